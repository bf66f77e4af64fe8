"""What every rule is given: the activity, the athlete's history around it, thresholds and optional map data."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from syncd.domain.as_of import AsOf
from syncd.domain.history import HistoryEntry, easy_speed_baseline, summarize, usual_heart_rate
from syncd.domain.model import Activity, FloatArray, Gear
from syncd.domain.run_figures import RunFigures, run_figures
from syncd.domain.streams_math import (
    AltitudeProfile,
    SpeedTrace,
    altitude_profile,
    distance_of,
    speed_trace,
)
from syncd.domain.thresholds import Thresholds
from syncd.ports import SurfaceMap


@dataclass(frozen=True, slots=True)
class RuleContext:
    """Input of one rule run.

    `history` holds the athlete's activities that started *before* this one (never this one, never a later one),
    in any order, typically the `HISTORY_WINDOW` before it (`syncd.domain.history.History.before` cuts them so):
    everything a rule derives from it is fixed once the run has started, so re-annotating later gives the same
    answer. `gear` carries the shoe's distance *as of the end of this run*. `now` is kept for callers but no rule
    depends on it. `state` is the run's as-of state when a service built one (`domain.as_of`, its `history` the
    one given here): the rules read the run's load, weekly and long-run figures from it (`figures`).
    """

    activity: Activity
    history: Sequence[HistoryEntry] = ()
    thresholds: Thresholds = field(default_factory=Thresholds)
    gear: Gear | None = None
    surface_map: SurfaceMap | None = None
    max_heart_rate: float | None = None
    resting_heart_rate: float | None = None
    threshold_heart_rate: float | None = None
    now: datetime | None = None
    state: AsOf | None = None
    _derived: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    def derived[T](self, key: str, compute: Callable[[], T]) -> T:
        """Compute a value several rules need (cleaned altitude, speed trace, easy pace) once per context.

        The context is immutable, so what is derived from it stays valid for as long as the context lives.
        """
        if key not in self._derived:
            self._derived[key] = compute()
        return cast(T, self._derived[key])

    def distance(self) -> FloatArray | None:
        """Cumulative distance per sample (shared by the speed trace and the altitude profile)."""
        streams = self.activity.streams
        return self.derived("distance", lambda: distance_of(streams) if streams is not None else None)

    def speed_trace(self) -> SpeedTrace | None:
        """The activity's speed trace (shared by speed_work and no_warmup)."""
        streams = self.activity.streams
        return self.derived(
            "speed_trace",
            lambda: speed_trace(streams, distance=self.distance()) if streams is not None else None,
        )

    def altitude_profile(self) -> AltitudeProfile | None:
        """The activity's cleaned altitude (shared by downhill and speed_work's terrain check)."""
        streams = self.activity.streams
        return self.derived(
            "altitude_profile",
            lambda: (
                altitude_profile(streams, distance=self.distance())
                if streams is not None and streams.altitude_m is not None
                else None
            ),
        )

    def hard_heart_rate(self) -> float | None:
        """The heart rate (bpm) from which running is hard for this athlete, or None without a reference.

        From the lactate-threshold heart rate when known (`speed_work_hard_from_pct_threshold`), else the heart-rate
        reserve (`speed_work_hard_from_pct_hrr` of max - resting, Karvonen), else `speed_work_top_zone_from_pct_max`
        of max alone: 80 % of max is within many runners' easy running, so that cut-off sits near 88-90 %.
        """
        t = self.thresholds
        if self.threshold_heart_rate:
            return self.threshold_heart_rate * t.speed_work_hard_from_pct_threshold / 100
        if not self.max_heart_rate:
            return None
        if self.resting_heart_rate and self.resting_heart_rate < self.max_heart_rate:
            reserve = self.max_heart_rate - self.resting_heart_rate
            return self.resting_heart_rate + reserve * t.speed_work_hard_from_pct_hrr / 100
        return self.max_heart_rate * t.speed_work_top_zone_from_pct_max / 100

    def easy_speed(self) -> float | None:
        """The athlete's own easy speed from earlier runs (shared by speed_work and no_warmup), or None."""
        t = self.thresholds

        def baseline() -> float | None:
            usual = self.usual_heart_rate()
            return easy_speed_baseline(
                self.history,
                self.activity.start_utc,
                window_days=t.easy_pace_window_days,
                min_runs=t.easy_pace_min_runs,
                max_climb_m_per_km=t.easy_pace_max_climb_m_per_km,
                not_easy_from_hr=None if usual is None else usual * (1 + t.easy_pace_max_above_usual_hr_pct / 100),
            )

        return self.derived("easy_speed", baseline)

    def usual_heart_rate(self) -> float | None:
        """The athlete's usual average heart rate on earlier runs (history.usual_heart_rate, the easy pace's window),
        or None: what says whether this run's heart rate was high for this runner (speed_work, no_warmup)."""
        t = self.thresholds
        return self.derived(
            "usual_heart_rate",
            lambda: usual_heart_rate(
                self.history,
                self.activity.start_utc,
                window_days=t.easy_pace_window_days,
                min_runs=t.easy_pace_min_runs,
            ),
        )

    def figures(self) -> RunFigures:
        """The run's figures as of its end (load, last week's sessions, monotony, longest recent run): its state's
        (`AsOf.run`) when a service gave one, else computed once per context by the same function
        (`domain.run_figures.run_figures`) from this context's history, as the state computes them from its own."""
        if self.state is not None and self.state.run is not None:
            return self.state.run
        return self.derived(
            "figures",
            lambda: run_figures(self.history, self.summary(), self.thresholds, max_hr=self.max_heart_rate),
        )

    def summary(self) -> HistoryEntry:
        """The activity itself as a history entry (shared by the load, monotony and weekly rules)."""
        return self.derived("summary", lambda: summarize(self.activity))
