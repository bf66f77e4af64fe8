"""Use cases of the back-pain diary: record an entry, read a #back tag from an activity, choose a run's advice
mode, export or delete an athlete's diary, and compare what preceded flare-ups (docs/pain.md).

Pain scores are health data: nothing here logs a score or a note; warnings name the activity and the problem only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Literal

from syncd.config import AdviceSettings
from syncd.domain.advice_mode import ModeSettings
from syncd.domain.as_of import DiaryInputs
from syncd.domain.flags import Flag, FlagCode
from syncd.domain.history import HISTORY_WINDOW, History
from syncd.domain.notes import gaps_in_note
from syncd.domain.pain import (
    PainEntry,
    PainInputError,
    PainSource,
    check_day,
    check_score,
    clean_note,
)
from syncd.domain.pain_analysis import VERSION as ANALYSIS_VERSION
from syncd.domain.pain_analysis import WEEK, AnalysisSettings, ExposureSession, LoadInputs, PainAnalysis, analyse
from syncd.domain.pain_tags import read_activity_tag
from syncd.domain.rules.downhill_evidence import DownhillEvidence
from syncd.domain.rules.hard_surface_evidence import HardSurfaceEvidence
from syncd.domain.rules.long_run_spike_evidence import can_judge
from syncd.domain.streams_state import streams_pending
from syncd.domain.thresholds import Thresholds
from syncd.logging import get_logger
from syncd.services.athletes import max_heart_rate_of
from syncd.services.pain_listing import entry_json

if TYPE_CHECKING:
    from syncd.domain.model import Activity
    from syncd.ports import (
        ActivityReadRepository,
        ActivityRepository,
        AthleteRepository,
        DescriptionWriter,
        LatestAnnotations,
        PainDiary,
    )
    from syncd.records import AnnotationRecord, AthleteRecord, LoadedActivity, StoredActivity

log = get_logger("syncd.pain")

# The last day a range of days to mark can end on (the repository reads up to the day after it): "from then on".
LAST_DAY = date.max - timedelta(days=1)

TagOutcome = Literal["added", "updated", "removed", "unchanged", "ignored"]


def mode_settings(advice: AdviceSettings) -> ModeSettings:
    return ModeSettings(mode=advice.mode, threshold=advice.threshold, window_days=advice.window_days)


def _local_today(activities: ActivityRepository, athlete_id: int, now: datetime) -> date:
    """The athlete's today, from the offset of their latest activity (UTC when there is none)."""
    latest = None
    for stored in activities.iter_activities(athlete_id=athlete_id, since=now - timedelta(days=60)):
        latest = stored
    offset = latest.activity.utc_offset_s if latest is not None else 0
    return (now + timedelta(seconds=offset)).date()


def record_entry(
    diary: PainDiary,
    activities: ActivityRepository,
    athlete_id: int,
    day: date,
    score: int,
    *,
    source: PainSource,
    note: str | None = None,
    activity_id: int | None = None,
    now: datetime | None = None,
    advice: AdviceSettings | None = None,
) -> PainEntry:
    """Check and store an entry a person typed (CLI or the feed's form); raises PainInputError, storing nothing."""
    now = now or datetime.now(UTC)
    check_score(score)
    text = clean_note(note)
    if activity_id is not None:
        stored = activities.get_activity(activity_id, with_streams=False)
        if stored.athlete_id != athlete_id:
            raise PainInputError("that activity belongs to another athlete: record pain on your own runs")
        day = stored.activity.start_local.date()
    check_day(
        day, today=_local_today(activities, athlete_id, now), first_activity_day=diary.first_activity_day(athlete_id)
    )
    entry = diary.record(PainEntry(athlete_id, day, score, source, activity_id=activity_id, note=text), now=now)
    _refresh_modes(diary, athlete_id, day)
    log.info("pain_entry_recorded", athlete_id=athlete_id, source=source.value)
    return entry


def _refresh_modes(diary: PainDiary, athlete_id: int, day: date) -> None:
    """Mark the runs whose mode this entry can change: every run from its day on, since a run's mode reads the
    whole diary before it (the red flag of pain unsettled for six weeks looks back beyond the window). The pass that
    made the change (sync, form post, CLI) redoes them at once (`annotating.annotate_marked`), the daily re-scan
    only catches what a crash left; an entry for today marks only today's runs."""
    diary.mark_runs_stale(athlete_id, day, LAST_DAY)


def apply_tag(
    diary: PainDiary,
    activities: ActivityRepository,
    activity_id: int,
    *,
    title: str | None,
    description: str | None = None,
    full_text: bool,
    now: datetime | None = None,
    advice: AdviceSettings | None = None,
) -> TagOutcome:
    """Bring the diary in line with the #back tag in an activity's text (the athlete's; our note is skipped).

    `full_text` says both title and description were read: only then does "no tag" remove a stored tag entry
    (a title-only read from an activity list cannot see a tag in the description). A tag out of range, two
    different tags, or a tag on something that is not a run: a warning in the log, nothing changed.
    """
    stored = activities.get_activity(activity_id, with_streams=False)
    reading = read_activity_tag(title, description)
    existing = diary.tag_entry(activity_id)
    if reading.status in ("invalid", "conflict"):
        log.warning("pain_tag_ignored", activity_id=activity_id, problem=reading.problem)
        return "ignored"
    if reading.status != "ok" or _tag_day_allowed(diary, activities, stored, now):
        _clear_tag_warning(activities, stored)
    else:
        return "ignored"  # a run dated in the future (or before the first activity): warned, nothing recorded
    if reading.status == "none":
        if existing is not None and full_text:
            diary.remove_tag(activity_id)
            _refresh_modes(diary, stored.athlete_id, existing.day)
            log.info("pain_tag_removed", activity_id=activity_id)
            return "removed"
        return "unchanged"
    assert reading.score is not None
    if not stored.activity.sport.is_run:
        log.warning("pain_tag_ignored", activity_id=activity_id, problem="a #back tag on an activity that is not a run")
        return "ignored"
    day = stored.activity.start_local.date()
    if existing is not None and existing.score == reading.score and existing.day == day:
        return "unchanged"
    diary.record(
        PainEntry(stored.athlete_id, day, reading.score, PainSource.TAG, activity_id=activity_id),
        now=now or datetime.now(UTC),
    )
    _refresh_modes(diary, stored.athlete_id, day)
    log.info("pain_tag_read", activity_id=activity_id, change="updated" if existing else "added")
    return "updated" if existing is not None else "added"


TAG_WARNING = "pain_tag"


def _tag_day_allowed(
    diary: PainDiary, activities: ActivityRepository, stored: StoredActivity, now: datetime | None
) -> bool:
    """A tag's day (its run's) passes the typed entries' check, or it is warned (in the log without the score, and
    on the activity for `syncd status`) and nothing is recorded."""
    day = stored.activity.start_local.date()
    today = _local_today(activities, stored.athlete_id, now or datetime.now(UTC))
    try:
        check_day(day, today=today, first_activity_day=diary.first_activity_day(stored.athlete_id))
    except PainInputError as exc:
        where = stored.activity.source.value
        message = f"#back tag not recorded: {exc}; or correct the run's date on {where}"
        log.warning("pain_tag_ignored", activity_id=stored.id, problem=message)
        activities.set_input_warning(stored.id, TAG_WARNING, message)
        return False
    return True


def _clear_tag_warning(activities: ActivityRepository, stored: StoredActivity) -> None:
    if TAG_WARNING in stored.input_warnings:
        activities.set_input_warning(stored.id, TAG_WARNING, None)


def read_remote_description(
    diary: PainDiary,
    activities: ActivityRepository,
    activity_id: int,
    text: str | None,
    *,
    now: datetime | None = None,
    advice: AdviceSettings | None = None,
) -> TagOutcome:
    """A description just read from the platform (before a write-back, or at the daily re-scan): keep the stored
    copy current and bring the diary in line with its tag. Never raises: the caller's work goes on."""
    try:
        diary.keep_description(activity_id, text)
        stored = activities.get_activity(activity_id, with_streams=False)
        return apply_tag(
            diary,
            activities,
            activity_id,
            title=stored.activity.name,
            description=text or "",
            full_text=True,
            now=now,
            advice=advice,
        )
    except Exception as exc:
        log.warning("pain_tag_read_failed", activity_id=activity_id, error=type(exc).__name__)
        return "ignored"


def diary_of(store: object) -> PainDiary | None:
    """The database Store's diary; the unit tests' in-memory fakes keep none."""
    from syncd.ports import KeepsDiary

    return store.pain_diary if isinstance(store, KeepsDiary) else None


def remote_description_read(
    activities: ActivityRepository, activity_id: int, text: str | None, *, now: datetime
) -> TagOutcome:
    """The write-back's hook: a description it just read goes to the diary (stores without a database, such as
    the unit tests' in-memory fakes, have no diary)."""
    diary = diary_of(activities)
    if diary is None:
        return "ignored"
    return read_remote_description(diary, activities, activity_id, text, now=now)


def apply_stored_tag(
    diary: PainDiary,
    activities: ActivityRepository,
    stored: StoredActivity,
    *,
    advice: AdviceSettings | None = None,
    now: datetime | None = None,
) -> TagOutcome:
    """The tag in a stored activity's title and description (as last fetched); never raises.

    Read as the full text: a stored tag entry came from text we still hold. Once the description was read (the
    detail, a write-back's or the re-scan's read) it is kept with the activity; before that (Strava's list carries
    the title only) the entry can only have come from the title, so a title without its tag removes it.
    """
    return apply_activity_tag(diary, activities, stored.id, stored.activity, advice=advice, now=now)


def apply_activity_tag(
    diary: PainDiary,
    activities: ActivityRepository,
    activity_id: int,
    activity: Activity,
    *,
    advice: AdviceSettings | None,
    now: datetime | None,
) -> TagOutcome:
    """`apply_stored_tag` for an activity as loaded (its id, and its title and description as last fetched)."""
    try:
        return apply_tag(
            diary,
            activities,
            activity_id,
            title=activity.name,
            description=activity.description,
            full_text=True,
            now=now,
            advice=advice,
        )
    except Exception as exc:
        log.warning("pain_tag_read_failed", activity_id=activity_id, error=type(exc).__name__)
        return "ignored"


RECENT_TAG_DAYS = 3


def refresh_recent_tags(
    diary: PainDiary,
    activities: ActivityRepository,
    readers: Mapping[str, DescriptionWriter],
    *,
    now: datetime,
    days: int = RECENT_TAG_DAYS,
    advice: AdviceSettings | None = None,
) -> int:
    """Daily: re-read the descriptions of the last `days` days' runs (a description edit fires no webhook and
    changes nothing in the activity list). One read per run; a rate limit stops that platform. Returns changes."""
    changed = 0
    stopped: set[str] = set()
    for stored in activities.iter_activities(since=now - timedelta(days=days)):
        provider = stored.activity.source.value
        reader = readers.get(provider)
        if reader is None or provider in stopped or not stored.activity.sport.is_run:
            continue
        try:
            remote = reader.read_description(stored.athlete_id, stored.activity.external_id)
        except Exception as exc:
            if "RateLimited" in type(exc).__name__:
                stopped.add(provider)
            log.warning("pain_tag_reread_failed", activity_id=stored.id, provider=provider, error=type(exc).__name__)
            continue
        outcome = read_remote_description(diary, activities, stored.id, remote.text, now=now, advice=advice)
        changed += outcome in ("added", "updated", "removed")
    return changed


class DiaryBatch:
    """The diary for a batch of stored activities being annotated (`annotate_batch`): what `apply_stored_tag` and
    `services.as_of.run_state` read per activity, with a few queries per chunk instead of five per activity.

    The tags of `holders` (`tag_holders`) are applied for the whole chunk first, on the `diary` given. That gives
    every run the same modes as one at a time: an entry from a tag counts only for runs that started after the
    tagged one (`advice_mode._known_before`). The caller decides where they are kept: in its own unit of work with
    the notes, or in one it rolls back (the entries as they will be once each tag is written with its run's note).
    """

    def __init__(
        self,
        diary: PainDiary,
        activities: ActivityRepository,
        items: Sequence[LoadedActivity],
        advice: AdviceSettings | None,
        *,
        holders: set[int],
        earlier: Sequence[LoadedActivity] = (),
        now: datetime | None = None,
    ) -> None:
        self._settings = mode_settings(advice or AdviceSettings())
        for item in earlier:  # tagged runs of the batch's earlier chunks (their notes may not be saved yet)
            apply_activity_tag(diary, activities, item.id, item.activity, advice=advice, now=now)
        for item in items:
            if item.id in holders:
                apply_activity_tag(diary, activities, item.id, item.activity, advice=advice, now=now)
        last_day: dict[int, date] = {}
        for item in items:
            day = item.activity.start_local.date()
            last_day[item.athlete_id] = max(last_day.get(item.athlete_id, day), day)
        # every entry up to the chunk's last run: a run's mode reads the whole diary before it, as a day's does
        self._entries = {
            athlete: diary.entries(athlete, day_from=None, day_to=high) for athlete, high in last_day.items()
        }
        self._modes = {athlete: diary.advice_mode(athlete) for athlete in last_day}

    def inputs(self, athlete_id: int) -> DiaryInputs:
        """The athlete's diary for the chunk, as `services.as_of.diary_inputs` loads it for one run; the state
        builder keeps each run's own span of it."""
        return DiaryInputs(self._entries.get(athlete_id, []), self._settings, self._modes.get(athlete_id))


def tag_holders(diary: PainDiary, items: Sequence[LoadedActivity]) -> set[int]:
    """The activities whose #back tag may change the diary: their text holds one, or the diary holds one of theirs."""
    tagged = diary.tagged_activities([item.id for item in items])
    return {item.id for item in items if item.id in tagged or _carries_tag(item.activity)}


def _carries_tag(activity: Activity) -> bool:
    """Whether the athlete's text (our note left out) holds anything the tag reader acts on."""
    return read_activity_tag(activity.name, activity.description).status != "none"


def set_athlete_mode(diary: PainDiary, athlete_id: int, mode: str | None) -> None:
    """An athlete's own mode (`auto`/None follows [advice] mode); their runs' notes are redone."""
    if mode not in (None, "auto", "sore", "staying_well"):
        raise PainInputError(f"mode {mode!r}: use auto, sore or staying_well")
    diary.set_advice_mode(athlete_id, None if mode == "auto" else mode)
    diary.mark_runs_stale(athlete_id, date.min, LAST_DAY)


def export_athlete(diary: PainDiary, athletes: AthleteRepository, athlete_id: int) -> dict[str, object]:
    """Everything the diary holds about one athlete (their export: `syncd pain --export ATHLETE`)."""
    athlete = athletes.get_athlete(athlete_id)
    return {
        "athlete": athlete.key,
        "advice_mode": diary.advice_mode(athlete_id) or "auto",
        "entries": [
            {**entry_json(e, athlete.key), "recorded_at": e.recorded_at.isoformat() if e.recorded_at else None}
            for e in diary.entries(athlete_id)
        ],
    }


def delete_athlete_diary(diary: PainDiary, athlete_id: int) -> int:
    return diary.delete_athlete(athlete_id)


# ---- what preceded flare-ups ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AnalysisReads:
    """What the flare-up analysis reads: the diary, the athletes (their key), their activities, the latest
    annotation of each, and the activity reads (whose versioned cache keeps the exposures)."""

    diary: PainDiary
    athletes: AthleteRepository
    activities: ActivityRepository
    annotations: LatestAnnotations
    activity_reads: ActivityReadRepository


def exposures(reads: AnalysisReads, athlete_id: int, thresholds: Thresholds | None = None) -> list[ExposureSession]:
    """Each activity once (a run on two platforms counts once), with what its stored flags measured.

    Missing is not 0: a run without an annotation, or whose note says the recording was too thin for speed work or
    downhill, has no figure for them; paved km count as measured only once the surface rule has measured any of
    this athlete's runs (a surface map is set up) and only on runs with a recording. The store's versioned cache
    keeps the answer until an activity or an annotation changes. `thresholds`: the configured `[rules]` (which
    runs the long-run-spike rule could judge depends on its `long_run_history_days`).
    """
    days = (thresholds or Thresholds()).long_run_history_days
    found: tuple[ExposureSession, ...] = reads.activity_reads.cached(
        ("pain-exposures", ANALYSIS_VERSION, athlete_id, days), lambda: tuple(_read_exposures(reads, athlete_id, days))
    )
    return list(found)


def _read_exposures(reads: AnalysisReads, athlete_id: int, history_days: int) -> list[ExposureSession]:
    activities: dict[int, Activity] = {}
    seen: set[str] = set()
    for stored in reads.activities.iter_activities(athlete_id=athlete_id):
        if stored.logical_group is not None:
            if stored.logical_group in seen:
                continue
            seen.add(stored.logical_group)
        activities[stored.id] = stored.activity
    annotations = reads.annotations.latest_annotations(list(activities))
    rows = [(activity, annotations.get(activity_id)) for activity_id, activity in activities.items()]
    surface_measured = any(a is not None and any(f.code is FlagCode.HARD_SURFACE for f in a.flags) for _, a in rows)
    judged = _spike_judged(list(activities.values()), timedelta(days=history_days))
    return [_exposure(activity, annotation, surface_measured, judged) for activity, annotation in rows]


def _spike_judged(activities: Sequence[Activity], window: timedelta) -> set[datetime]:
    """Starts of the runs the long-run-spike rule could judge (`window`, the configured `long_run_history_days`, of
    recording before, a run in it): for the others "no spike flag" means "could not tell", which the analysis keeps
    apart from "no spike"."""
    if not activities:
        return set()
    earliest = min(a.start_utc for a in activities)
    runs = sorted({a.start_utc for a in activities if a.sport.is_run})
    return {start for i, start in enumerate(runs) if i and can_judge(start, earliest, runs[i - 1], window)}


def _descent_m(flag: Flag | None) -> float:
    evidence = DownhillEvidence.from_flag(flag)
    return float(evidence.total_descent_m or 0.0) if evidence is not None else 0.0


def _paved_m(flag: Flag | None) -> float:
    evidence = HardSurfaceEvidence.from_flag(flag)
    measured = evidence.measured() if evidence is not None else None
    return measured.paved_m if measured is not None else 0.0


def _exposure(
    activity: Activity, annotation: AnnotationRecord | None, surface_measured: bool, spike_judged: set[datetime]
) -> ExposureSession:
    """One activity's figures from its latest annotation: the flags' own evidence, None where nothing measured."""
    session = ExposureSession(
        start_utc=activity.start_utc,
        day=activity.start_local.date(),
        sport=activity.sport,
        duration_s=activity.duration_s or 0.0,
    )
    if not activity.sport.is_run:
        return session
    # a platform summary whose samples are not fetched yet measured nothing (whatever its note says: with
    # `when_clean = "none"` a clean note, and the line naming what it lacks, is not stored at all); streams are
    # stored only with the detail, so a run loaded without them is told by its detail mark
    waiting = streams_pending(activity.source, activity.sport, has_streams=False, extra=activity.extra)
    if annotation is None or waiting:
        return replace(session, hard_m=None, descent_m=None, speed=None, spike=None)
    flags = {f.code: f for f in annotation.flags}
    gaps = gaps_in_note(annotation.note)
    hard = flags.get(FlagCode.HARD_SURFACE)
    downhill = flags.get(FlagCode.DOWNHILL)
    no_recording = FlagCode.SPEED_WORK in gaps and FlagCode.NO_WARMUP in gaps
    return replace(
        session,
        hard_m=_paved_m(hard) if surface_measured and not no_recording else None,
        descent_m=_descent_m(downhill) if FlagCode.DOWNHILL not in gaps else None,
        speed=True if FlagCode.SPEED_WORK in flags else (None if FlagCode.SPEED_WORK in gaps else False),
        spike=True if FlagCode.LONG_RUN_SPIKE in flags else (False if activity.start_utc in spike_judged else None),
    )


@dataclass(frozen=True)
class AthleteAnalysis:
    athlete_key: str
    analysis: PainAnalysis
    entries: tuple[PainEntry, ...] = ()
    sessions: tuple[ExposureSession, ...] = ()


def analysis_settings(advice: AdviceSettings | None = None, thresholds: Thresholds | None = None) -> AnalysisSettings:
    """The analysis reads the diary as the advice does (the same threshold and sore-mode window) and the load as
    the notes do (the configured `[rules]` guards)."""
    advice = advice or AdviceSettings()
    return AnalysisSettings(
        painful_from=advice.threshold, window_days=advice.window_days, thresholds=thresholds or Thresholds()
    )


def load_inputs(
    reads: AnalysisReads, athlete: AthleteRecord, entries: Sequence[PainEntry], max_hr: float | None
) -> LoadInputs:
    """What the as-of state computes a day's load from (`services.as_of.day_state`): the stored history rows (twins
    once) from the history window before the first diary week to the last entry, the athlete's zone and maximum
    heart rate; so each week's load ratio is the one the digest and the diary page show for its last day."""
    from syncd.services.as_of import athlete_zone  # services.as_of imports this module

    zone = athlete_zone(reads.activity_reads, athlete)
    if not entries:
        return LoadInputs(History(()), zone, max_hr)
    first = min(e.day for e in entries) - timedelta(days=WEEK + 2) - HISTORY_WINDOW
    last = max(e.day for e in entries) + timedelta(days=2)  # end_of_day(last entry's eve) in any zone is before it
    start, end = datetime.combine(first, time(0), tzinfo=UTC), datetime.combine(last, time(0), tzinfo=UTC)
    history: History = reads.activity_reads.cached(  # kept, like the exposures, until the data changes
        ("pain-history", ANALYSIS_VERSION, athlete.id, start, end),
        lambda: History(reads.activities.history_rows(athlete.id, start, end)),
    )
    return LoadInputs(history, zone, max_hr)


def analysis_for(
    reads: AnalysisReads,
    athlete_id: int,
    advice: AdviceSettings | None = None,
    thresholds: Thresholds | None = None,
    *,
    default_max_hr: float | None = None,
) -> AthleteAnalysis:
    """What preceded the athlete's flare-ups: one result for the page, `syncd pain --analysis` and the digest;
    `thresholds`: the configured `[rules]`; `default_max_hr`: the configured `[athlete] max_heart_rate`."""
    entries = tuple(reads.diary.entries(athlete_id))
    sessions = tuple(exposures(reads, athlete_id, thresholds))
    athlete = reads.athletes.get_athlete(athlete_id)
    load = load_inputs(reads, athlete, entries, max_heart_rate_of(athlete, default_max_hr))
    result = analyse(entries, sessions, analysis_settings(advice, thresholds), load)
    return AthleteAnalysis(athlete.key, result, entries, sessions)


def week_pattern(
    reads: AnalysisReads,
    athlete_id: int,
    monday: date,
    advice: AdviceSettings,
    thresholds: Thresholds | None = None,
    *,
    default_max_hr: float | None = None,
) -> str | None:
    """The digest's analysis sentence, only once the athlete has diary entries up to the week's end: the page's
    first sentence (a finding, or how far the diary is from telling), same result and words as the diary page and
    `syncd pain --analysis`. The week's mode is the as-of state's (`services.as_of.week_end_state`)."""
    if not reads.diary.entries(athlete_id, day_to=monday + timedelta(days=6)):
        return None
    return analysis_for(reads, athlete_id, advice, thresholds, default_max_hr=default_max_hr).analysis.digest_sentence()
