"""The athlete as of one instant: the facts every surface shows for a run or a day, computed once.

A note (as of its run's start), the digest and the diary page (as of a week's end), the feed's week strip and
session cards (as of each week's end) and the JSON API read an `AsOf`; none cuts history, takes a shoe's distance
back, counts a week or chooses the advice mode on its own. `state_as_of` is pure: the services load its inputs
(`services.as_of`) and hand it plain data.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from syncd.domain.advice_mode import MODE_SETTINGS, ModeDecision, ModeSettings, RunModes, choose_mode, platform_mode
from syncd.domain.history import HISTORY_WINDOW, History, HistoryEntry
from syncd.domain.load import LoadCheck, WeekCounts, week_counts, week_start
from syncd.domain.model import Gear
from syncd.domain.pain import PainEntry
from syncd.domain.run_figures import RunFigures, load_as_of, run_figures
from syncd.domain.thresholds import Thresholds

# How far back the previous run is looked for (the "first run since the pain" advice).
PREVIOUS_RUN_WITHIN = timedelta(days=30)
# Runs starting this close before a run are the same run recorded elsewhere, never its previous run.
_SAME_START = timedelta(minutes=2)


@dataclass(frozen=True, slots=True)
class Subject:
    """The run the state is taken for (at its start): left out of its own history with its twin, and its
    platform's note gets its own mode. None in `state_as_of`: the end of a day (digest, strip, diary page)."""

    key: tuple[str, str]
    platform: str
    is_run: bool = True
    activity_id: int | None = None
    group: str | None = None
    entry: HistoryEntry | None = None  # the run itself (`history.summarize`): its figures as of its end (`AsOf.run`)


@dataclass(frozen=True, slots=True)
class AsOf:
    """Athlete as of `at` (aware UTC) on the local day `day`: what was known then, nothing later.

    `history` is what started in the `HISTORY_WINDOW` before `at` (never the subject run nor its twin, each twin
    group once); `load` the running load over its local days as of `day` (never the instant: for a day's last run
    the same as the day's); `week` the counts of `day`'s calendar week so far;
    `shoes` each shoe's distance as of `at`; `diary` the entries in the mode window ending on `day`; `modes`
    syncd's own mode and the subject's platform's (for a day: syncd's own twice), from the diary entries up to
    `day` that the caller loaded (the mode reads the window, the red flag also older pain that never settled);
    `run` the subject run's figures as of its end, with the run in them (`domain.run_figures`: what its load,
    weekly, monotony and long-run rules judge), None for a day or without the subject's entry."""

    at: datetime
    day: date
    history: tuple[HistoryEntry, ...]
    load: LoadCheck
    week: WeekCounts
    shoes: tuple[Gear, ...]
    diary: tuple[PainEntry, ...]
    modes: RunModes
    run: RunFigures | None = None
    _shoes_by_id: Mapping[str, Gear] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_shoes_by_id", {shoe.gear_id: shoe for shoe in self.shoes})

    @property
    def mode(self) -> ModeDecision:
        """syncd's own mode and its reason (the feed, the digest, the JSON API)."""
        return self.modes.note

    def shoe(self, gear_id: str | None) -> Gear | None:
        """The shoe `gear_id` as it was at `at` (None: no such shoe or none given)."""
        return self._shoes_by_id.get(gear_id or "")


@dataclass(frozen=True, slots=True)
class DiaryInputs:
    """The diary as the mode reads it: the entries (any span that covers the mode window) and the athlete's own
    choice (`syncd pain --mode`; None or "auto": `[advice] mode`)."""

    entries: Sequence[PainEntry] = ()
    settings: ModeSettings = field(default_factory=ModeSettings)
    athlete_mode: str | None = None


def end_of_day(day: date, zone: tzinfo) -> datetime:
    """The instant (aware UTC) the local `day` ends in `zone`: a week's or a day's state is taken there."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)


def shoe_as_of(gear: Gear, later_m: float) -> Gear:
    """The shoe as it was at an instant: today's distance less what activities that started after it added."""
    return replace(gear, distance_m=max(gear.distance_m - later_m, 0.0))


def state_as_of(
    history: History,
    at: datetime,
    day: date,
    *,
    thresholds: Thresholds,
    shoes: Iterable[tuple[Gear, float]] = (),
    diary: DiaryInputs | None = None,
    subject: Subject | None = None,
    max_hr: float | None = None,
) -> AsOf:
    """The one builder of an `AsOf`: `history` holds the athlete's rows (any span covering the `HISTORY_WINDOW` before
    `at`), `shoes` each shoe with the distance later activities added to it, `subject` the run it is taken for."""
    diary = diary or DiaryInputs()
    if subject is None:
        cut = history.before(at)
    else:
        cut = history.before(at, activity_id=subject.activity_id, group=subject.group, key=subject.key)
    known = _known(diary, day)
    run = None
    if subject is not None and subject.is_run and subject.entry is not None:
        run = run_figures(cut, subject.entry, thresholds, max_hr=max_hr)
    first_day = day - timedelta(days=diary.settings.window_days - 1)
    return AsOf(
        at=at,
        day=day,
        history=tuple(cut),
        load=load_as_of(cut, day, thresholds, max_hr=max_hr),
        week=week_counts(cut, week_start(day), min_session_min=thresholds.min_session_min),
        shoes=tuple(shoe_as_of(gear, later) for gear, later in shoes),
        diary=tuple(e for e in known if first_day <= e.day),
        modes=_modes(known, cut, at=at, day=day, diary=diary, subject=subject),
        run=run,
    )


def _known(diary: DiaryInputs, day: date) -> list[PainEntry]:
    """The entries the mode reads: every one up to `day`, for a run as for a day, so a run's note and the day's page
    give the same reason and the same red flag (pain unsettled for six weeks looks back beyond the window)."""
    return [e for e in diary.entries if e.day <= day]


def day_load(
    history: History, day: date, zone: tzinfo, thresholds: Thresholds, *, max_hr: float | None = None
) -> LoadCheck:
    """The load of the state as the local `day` ended in `zone` (`state_as_of(history, end_of_day(day, zone), day)
    .load`, without the rest of the state): the flare-up analysis reads each week's load here, so its load ratio is
    the one the digest and the diary page show for that day."""
    return load_as_of(history.before(end_of_day(day, zone)), day, thresholds, max_hr=max_hr)


def _modes(
    entries: Sequence[PainEntry],
    history: Sequence[HistoryEntry],
    *,
    at: datetime,
    day: date,
    diary: DiaryInputs,
    subject: Subject | None,
) -> RunModes:
    """syncd's own mode (the whole diary) and the subject's platform's (only the athlete's tags there)."""
    if subject is None:
        return _day_modes(entries, at, day, diary)
    return run_modes(entries, history, at=at, day=day, diary=diary, subject=subject)


def _day_modes(entries: Sequence[PainEntry], at: datetime, day: date, diary: DiaryInputs) -> RunModes:
    own = choose_mode(
        entries, run_day=day, run_start=at, settings=diary.settings, athlete_mode=_own_choice(diary.athlete_mode)
    )
    return RunModes(note=own, platform=own)


def run_modes(
    entries: Sequence[PainEntry],
    history: Iterable[HistoryEntry],
    *,
    at: datetime,
    day: date,
    diary: DiaryInputs,
    subject: Subject,
) -> RunModes:
    """Both decisions for a run starting at `at` from the diary entries around it and the activities before it
    (the previous run, within `PREVIOUS_RUN_WITHIN`, for the "first run since the pain" advice)."""
    since = at - PREVIOUS_RUN_WITHIN
    previous = [
        h for h in history if h.sport.is_run and h.key != subject.key and since <= h.start_utc < at - _SAME_START
    ]
    last = max(previous, key=lambda h: h.start_utc, default=None)
    common: dict[str, Any] = {
        "run_day": day,
        "run_start": at,
        "settings": diary.settings,
        "athlete_mode": _own_choice(diary.athlete_mode),
        "previous_run_start": last.start_utc if last else None,
        "previous_run_day": last.local_date if last else None,
    }
    return RunModes(
        note=choose_mode(entries, **common), platform=platform_mode(entries, platform=subject.platform, **common)
    )


def _own_choice(athlete_mode: str | None) -> Any:
    return athlete_mode if athlete_mode in MODE_SETTINGS else None


__all__ = [
    "HISTORY_WINDOW",
    "PREVIOUS_RUN_WITHIN",
    "AsOf",
    "DiaryInputs",
    "Subject",
    "end_of_day",
    "load_as_of",
    "run_modes",
    "shoe_as_of",
    "state_as_of",
]
