"""Loading what `domain.as_of.state_as_of` needs, once, through the store's ports: the history rows, the shoes with
what later activities added to them, the diary and the athlete's own mode. Every surface asks here (or hands the
builder rows it already read for a batch) and reads the `AsOf` it gets."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from syncd.config import AdviceSettings
from syncd.domain.as_of import AsOf, DiaryInputs, Subject, end_of_day, state_as_of
from syncd.domain.history import HISTORY_WINDOW, History, summarize
from syncd.domain.model import Gear
from syncd.domain.thresholds import Thresholds
from syncd.logging import get_logger
from syncd.services.pain_diary import mode_settings

if TYPE_CHECKING:
    from syncd.ports import ActivityReadRepository, ActivityRepository, GearRepository, PainDiary
    from syncd.records import AthleteRecord, LoadedActivity, StoredActivity

log = get_logger("syncd.digest")


def subject_of(stored: StoredActivity | LoadedActivity) -> Subject:
    """The stored run a state is taken for: left out of its own history, with its twin; its summary gives the
    state the run's figures as of its end (`AsOf.run`), which its rules read."""
    activity = stored.activity
    return Subject(
        activity.key,
        activity.source.value,
        activity.sport.is_run,
        stored.id,
        stored.logical_group,
        summarize(activity) if activity.sport.is_run else None,
    )


def diary_inputs(
    diary: PainDiary | None, athlete_id: int, advice: AdviceSettings | None, *, day_from: date | None, day_to: date
) -> DiaryInputs:
    """The athlete's diary entries in [day_from, day_to] and own mode; none without a diary (the unit tests'
    in-memory fakes keep none)."""
    settings = mode_settings(advice or AdviceSettings())
    if diary is None:
        return DiaryInputs(settings=settings)
    entries = diary.entries(athlete_id, day_from=day_from, day_to=day_to)
    return DiaryInputs(entries, settings, diary.advice_mode(athlete_id))


def run_state(
    store: ActivityRepository,
    stored: StoredActivity,
    thresholds: Thresholds,
    advice: AdviceSettings | None = None,
    *,
    diary: PainDiary | None,
    max_hr: float | None = None,
) -> AsOf:
    """One stored run's state at its start: its history, its shoe as of the run, the diary before it (`diary`
    None: no diary is kept, as in the unit tests' in-memory fakes)."""
    activity = stored.activity
    start, day = activity.start_utc, activity.start_local.date()
    history = History(store.history_rows(stored.athlete_id, start - HISTORY_WINDOW, start))
    shoes: list[tuple[Gear, float]] = []
    if activity.gear_id:
        gear = store.get_gear(stored.athlete_id, activity.gear_id)
        if gear is not None:
            shoes.append((gear, store.gear_distance_after(stored.athlete_id, gear.gear_id, start)))
    inputs = diary_inputs(diary, stored.athlete_id, advice, day_from=None, day_to=day)
    return state_as_of(
        history, start, day, thresholds=thresholds, shoes=shoes, diary=inputs, subject=subject_of(stored), max_hr=max_hr
    )


def day_state(
    activities: ActivityRepository,
    gear: GearRepository,
    athlete_id: int,
    at: datetime,
    day: date,
    *,
    diary: PainDiary,
    thresholds: Thresholds,
    advice: AdviceSettings | None = None,
    max_hr: float | None = None,
) -> AsOf:
    """The athlete at the instant `at` that ends the local day `day` (a week's end for the digest and the diary
    page): every shoe as of then, the whole diary up to that day."""
    history = History(activities.history_rows(athlete_id, at - HISTORY_WINDOW, at))
    shoes = [
        (shoe, activities.gear_distance_after(athlete_id, shoe.gear_id, at)) for shoe in gear.list_gear(athlete_id)
    ]
    inputs = diary_inputs(diary, athlete_id, advice, day_from=None, day_to=day)
    return state_as_of(history, at, day, thresholds=thresholds, shoes=shoes, diary=inputs, max_hr=max_hr)


def week_end_state(
    activities: ActivityRepository,
    gear: GearRepository,
    athlete_id: int,
    monday: date,
    *,
    diary: PainDiary,
    zone: tzinfo,
    thresholds: Thresholds,
    advice: AdviceSettings | None = None,
    max_hr: float | None = None,
) -> AsOf:
    """The athlete as the week starting `monday` ended in `zone` (the digest, the diary page)."""
    sunday = monday + timedelta(days=6)
    at = end_of_day(sunday, zone)
    return day_state(
        activities, gear, athlete_id, at, sunday, diary=diary, thresholds=thresholds, advice=advice, max_hr=max_hr
    )


def athlete_zone(reads: ActivityReadRepository, athlete: AthleteRecord) -> tzinfo:
    """The athlete's zone, where their weeks and days end; else their latest activity's zone or fixed UTC offset;
    else UTC."""
    latest_name, offset = reads.latest_zone(athlete.id)
    for name in (athlete.timezone_name, latest_name):
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                log.warning("unknown time zone, using the activity offset", athlete=athlete.key, zone=name)
    return UTC if offset is None else timezone(timedelta(seconds=offset))
