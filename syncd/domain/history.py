"""What rules need to know about an athlete's other activities: small summaries, not whole activities.

No look-ahead: a run is judged on the history *as the athlete had it when the run started*. `history_before` cuts
any list of entries at the run's start, so re-annotating an old run once newer runs exist gives the same answer.
"""

from __future__ import annotations

import statistics
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from syncd.domain.model import Activity, Sport

# Enough history for the 28-day chronic load, the 6-week easy-pace baseline and the previous calendar week.
HISTORY_WINDOW = timedelta(days=42)


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
    # every activity (a batch shares the entries between activities), so it is computed once, not each time.
    _local_date: date = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_local_date", (self.start_utc + timedelta(seconds=self.utc_offset_s)).date())

    @property
    def local_date(self) -> date:
        return self._local_date


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


def history_before(
    entries: Iterable[HistoryEntry],
    start_utc: datetime,
    *,
    key: tuple[str, str] | None = None,
    window: timedelta | None = HISTORY_WINDOW,
) -> list[HistoryEntry]:
    """The entries that started strictly before `start_utc` (and within `window` of it), never `key` itself.

    Works on entries in any order. Everything a rule derives from the result is fixed once the run has started.
    """
    earliest = None if window is None else start_utc - window
    return [
        e for e in entries if e.start_utc < start_utc and (earliest is None or e.start_utc >= earliest) and e.key != key
    ]


class OrderedHistory:
    """An athlete's entries sorted by start, cut at any run's start by bisection (O(log n) per run).

    For callers that annotate many runs from one list (file imports, batched reannotation): build it once, then
    `before(run.start_utc, key=run.key)` gives exactly what `history_before` would.
    """

    __slots__ = ("_entries", "_starts")

    def __init__(self, entries: Iterable[HistoryEntry]) -> None:
        self._entries = sorted(entries, key=lambda e: e.start_utc)
        self._starts = [e.start_utc for e in self._entries]

    def before(
        self, start_utc: datetime, *, key: tuple[str, str] | None = None, window: timedelta | None = HISTORY_WINDOW
    ) -> list[HistoryEntry]:
        hi = bisect_left(self._starts, start_utc)
        lo = 0 if window is None else bisect_left(self._starts, start_utc - window, 0, hi)
        return [e for e in self._entries[lo:hi] if e.key != key]


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
) -> float | None:
    """The athlete's own easy speed as of `as_of`: the median average speed of their earlier easy-looking runs.

    Counted: road and treadmill runs of at least 15 minutes that started in the `window_days` before `as_of`,
    not marked race or workout, and flat (at most `max_climb_m_per_km` of climb per km; unknown climb counts as
    flat). The median ignores the odd tempo run or slow recovery jog. None with fewer than `min_runs` such runs:
    the rules then judge the run on its own structure.
    """
    earliest = as_of - timedelta(days=window_days)
    speeds = [
        e.average_speed_mps
        for e in history
        if e.sport in BASELINE_SPORTS
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
