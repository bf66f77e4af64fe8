"""What rules need to know about an athlete's other activities: small summaries, not whole activities.

No look-ahead: a run is judged on the history *as the athlete had it when the run started*. `History.before` cuts
the athlete's activities at the run's start, so re-annotating an old run once newer runs exist gives the same
answer.
"""

from __future__ import annotations

import statistics
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from syncd.domain.model import Activity, Sport

# Local calendar days of history the day-based figures read, ending on the run's (or the day's) own day: enough for
# the 28-day chronic load and the usual week before a break, the 6-week easy-pace baseline and the previous week.
HISTORY_DAYS = 42
# The instant cut that holds those days whole: what started in this window before a run's start (or a day's end).
# 42 days would do while the athlete stays in one zone; a first day recorded in another zone begins up to 26 hours
# earlier (UTC+14 against UTC-12), so two days more. So a run's load and its day's read the same local days
# (`load.check_load`), whether the cut was taken at the run's start or at the day's end (issue 27).
HISTORY_WINDOW = timedelta(days=HISTORY_DAYS + 2)


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One activity of the athlete as history: enough for load, weekly counts, shoes and the easy-pace baseline."""

    key: tuple[str, str]
    sport: Sport
    start_utc: datetime
    utc_offset_s: int
    duration_s: float
    distance_m: float | None = None
    average_heart_rate: float | None = None
    average_speed_mps: float | None = None
    workout_type: int | None = None
    elevation_gain_m: float | None = None
    gear_id: str | None = None
    # The local calendar day, fixed at construction: the weekly and load rules ask it of every history entry for
    # every activity (a batch shares the entries between activities), so it is computed once, not each time, and
    # is a plain slot, not a property: reading it is then no Python call (a few hundred of them per run).
    local_date: date = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "local_date", (self.start_utc + timedelta(seconds=self.utc_offset_s)).date())


def summarize(activity: Activity) -> HistoryEntry:
    duration = activity.duration_s or 0.0
    speed = activity.distance_m / duration if activity.distance_m and duration else None
    return HistoryEntry(
        key=activity.key,
        sport=activity.sport,
        start_utc=activity.start_utc,
        utc_offset_s=activity.utc_offset_s,
        duration_s=duration,
        distance_m=activity.distance_m,
        average_heart_rate=activity.average_heart_rate,
        average_speed_mps=speed,
        workout_type=activity.workout_type,
        elevation_gain_m=activity.elevation_gain_m,
        gear_id=activity.gear_id,
    )


@dataclass(frozen=True, slots=True)
class HistoryRow:
    """One stored activity as history, with what deciding "is it the run itself or its twin?" needs."""

    activity_id: int | None
    logical_group: str | None  # the same run from two sources shares one (syncd.services.identity)
    entry: HistoryEntry


class History:
    """An athlete's activities ordered by start: the one definition of "the history before this run".

    Every path cuts through it (one run's note, a batch of notes, the digest, the feed's week strip, the diary):
    what started in [start, end), never the run itself (by store id or by key) nor its twin, each twin group once
    (the first by start, then by store id, then by key: the same whatever order the rows come in). Cut at a run's
    start (`before`) there is no look-ahead, so re-annotating an old run once newer runs exist gives the same answer.
    Bisection: O(log n) per cut, so a batch reads its rows once and cuts them for each run.
    """

    __slots__ = ("_rows", "_starts")

    def __init__(self, rows: Iterable[HistoryRow | HistoryEntry]) -> None:
        items = [r if isinstance(r, HistoryRow) else HistoryRow(None, None, r) for r in rows]
        self._rows = sorted(items, key=_start_then_id)
        self._starts = [r.entry.start_utc for r in self._rows]

    def span(
        self,
        start: datetime | None,
        end: datetime,
        *,
        activity_id: int | None = None,
        group: str | None = None,
        key: tuple[str, str] | None = None,
    ) -> list[HistoryEntry]:
        """What started in [start, end) (no lower bound: None), without the activity `activity_id`/`key` and its
        twin group `group`, each other twin group once."""
        high = bisect_left(self._starts, end)
        low = 0 if start is None else bisect_left(self._starts, start, 0, high)
        seen: set[str] = set()
        out = []
        for row in self._rows[low:high]:
            if (activity_id is not None and row.activity_id == activity_id) or (
                key is not None and row.entry.key == key
            ):
                continue
            found = row.logical_group
            if found is not None:
                if found == group or found in seen:
                    continue  # its own twin, or the same run from the other source: counted once
                seen.add(found)
            out.append(row.entry)
        return out

    def before(
        self,
        start_utc: datetime,
        *,
        activity_id: int | None = None,
        group: str | None = None,
        key: tuple[str, str] | None = None,
        window: timedelta | None = HISTORY_WINDOW,
    ) -> list[HistoryEntry]:
        """The history of a run that started at `start_utc`: what started strictly before it, within `window`."""
        earliest = None if window is None else start_utc - window
        return self.span(earliest, start_utc, activity_id=activity_id, group=group, key=key)


def _start_then_id(row: HistoryRow) -> tuple[datetime, bool, int, tuple[str, str]]:
    """Twins often start in the same second: which one stands for the group must not hang on the input order."""
    return (row.entry.start_utc, row.activity_id is None, row.activity_id or 0, row.entry.key)


def history_before(
    entries: Iterable[HistoryRow | HistoryEntry],
    start_utc: datetime,
    *,
    key: tuple[str, str] | None = None,
    window: timedelta | None = HISTORY_WINDOW,
) -> list[HistoryEntry]:
    """`History(entries).before(start_utc, key=key, window=window)`, for a list cut once (any order)."""
    return History(entries).before(start_utc, key=key, window=window)


# Strava workout_type values for runs that mean hard effort (0 default, 1 race, 2 long run, 3 workout).
STRAVA_RUN_RACE = 1
STRAVA_RUN_WORKOUT = 3
# Sports whose average speed says something about easy running: trail and track runs do not (terrain, sessions).
BASELINE_SPORTS = frozenset({Sport.RUN, Sport.TREADMILL_RUN})
# Runs shorter than this are warm-ups, strides or a jog to the shop: no baseline.
BASELINE_MIN_DURATION_S = 900.0
_STOPPED_MPS = 0.5


def easy_speed_baseline(
    history: Iterable[HistoryEntry],
    as_of: datetime,
    *,
    window_days: int = 42,
    min_runs: int = 3,
    max_climb_m_per_km: float = 15.0,
    not_easy_from_hr: float | None = None,
) -> float | None:
    """The athlete's own easy speed as of `as_of`: the median average speed of their earlier easy-looking runs.

    Counted: road and treadmill runs of at least 15 minutes that started in the `window_days` before `as_of`,
    not marked race or workout, flat (at most `max_climb_m_per_km` of climb per km; unknown climb counts as
    flat), and not run at an average heart rate of `not_easy_from_hr` or more (RuleContext.easy_speed: 5 % above the
    runner's usual on runs, `usual_heart_rate`; a run without heart rate counts). The median ignores the odd tempo
    run or slow recovery jog, but not a runner who races unmarked every week: their races would make the "easy" pace
    (issue 28: a runner whose steady runs are 4:34-4:56/km got an easy pace of 4:20/km). None with fewer than
    `min_runs` such runs: the rules then judge the run on its own structure.
    """
    earliest = as_of - timedelta(days=window_days)
    speeds = [
        e.average_speed_mps
        for e in history
        if e.sport in BASELINE_SPORTS
        and (not_easy_from_hr is None or e.average_heart_rate is None or e.average_heart_rate < not_easy_from_hr)
        and earliest <= e.start_utc < as_of
        and e.workout_type not in (STRAVA_RUN_RACE, STRAVA_RUN_WORKOUT)
        and e.duration_s >= BASELINE_MIN_DURATION_S
        and e.average_speed_mps is not None
        and e.average_speed_mps > _STOPPED_MPS
        and _flat(e, max_climb_m_per_km)
    ]
    if len(speeds) < max(1, min_runs):
        return None
    return statistics.median(speeds)


def usual_heart_rate(
    history: Iterable[HistoryEntry], as_of: datetime, *, window_days: int = 42, min_runs: int = 3
) -> float | None:
    """The athlete's usual average heart rate on runs (median of earlier runs of 15+ minutes, not races or
    workouts, in the `window_days` before `as_of`), or None with fewer than `min_runs` such runs.

    The personal reference that says whether a run's heart rate was high *for this runner*: a configured maximum
    can be wrong (a runner whose easy runs all sit at 155-185 bpm with "max 195")."""
    earliest = as_of - timedelta(days=window_days)
    rates = [
        e.average_heart_rate
        for e in history
        if e.sport.is_run
        and earliest <= e.start_utc < as_of
        and e.workout_type not in (STRAVA_RUN_RACE, STRAVA_RUN_WORKOUT)
        and e.duration_s >= BASELINE_MIN_DURATION_S
        and e.average_heart_rate is not None
        and 30.0 <= e.average_heart_rate <= 250.0
    ]
    return statistics.median(rates) if len(rates) >= max(1, min_runs) else None


def _flat(entry: HistoryEntry, max_climb_m_per_km: float) -> bool:
    if entry.elevation_gain_m is None or not entry.distance_m:
        return True
    return entry.elevation_gain_m / (entry.distance_m / 1000.0) <= max_climb_m_per_km
