"""Speed work: intervals, tempo efforts, races and workouts, judged against the athlete's own easy pace.

Source: RISK-FACTS.md, "Intensity: drop speed work; do light jogging or easy medium-long and long runs instead" and
"Speed work: repeated efforts clearly faster than the athlete's own easy pace (from their recent history, not a
fixed number), interval laps, Strava workout_type 3 (workout) or 1 (race), or a large share of time in the top
heart-rate zones."

Triggers, strongest first:
- `laps`: the device recorded active laps separated by rest laps (at least `speed_work_min_reps`);
- `intervals`: the speed stream shows `speed_work_min_reps` similar fast efforts (25 s to 15 min), each followed by
  a clearly slower recovery, with a median pace `speed_work_faster_than_easy_pct` faster than the easy pace from
  history, or, without history, than this run's own typical running pace. Efforts on descents steeper than -3 %
  and slowdowns on grades steeper than 5 % are terrain (a hill run with walking breaks), not intervals;
- `race` / `workout`: Strava run workout_type 1 / 3 (0 is a default run, 2 a long run; 10-12 are ride types);
- `tempo` (needs history): one unbroken effort of at least 10 minutes that much faster than easy pace;
- `hr_zones` (needs the athlete's max HR): at least `speed_work_top_zone_share_pct` of the recorded time at or
  above `speed_work_top_zone_from_pct_max` % of max HR (zones 4-5 of the 5-zone model).

Evidence keys: `trigger`, `reps` (count), `rep_distance_m`, `rep_duration_s`, `rep_pace_s_per_km` (medians),
`easy_pace_s_per_km` (None without history), `top_zone_share_pct` (None without HR and max HR).
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from syncd.domain.flags import Confidence, Flag, FlagCode, Severity
from syncd.domain.history import STRAVA_RUN_RACE, STRAVA_RUN_WORKOUT
from syncd.domain.model import Activity, Lap, Sport, Streams
from syncd.domain.rules.context import RuleContext
from syncd.domain.streams_math import (
    MAX_SAMPLE_GAP_S,
    AltitudeProfile,
    Effort,
    SpeedTrace,
    find_efforts,
    pace_s_per_km,
    running_speed,
)

VERSION: int = 2

ADVICE = (
    "Give the speed sessions a rest while your back settles: swap them for light jogging or easy medium-long runs "
    "at a pace where you can still chat."
)
# Structure is only read from runs at least this long; a few minutes cannot hold a session.
MIN_RUN_S = 600.0
MIN_REP_S = 25.0
MAX_REP_S = 900.0
TEMPO_MIN_S = 600.0
# A gap counts as a recovery when its speed is at most this share of the effort's.
RECOVERY_RATIO = 0.8
# Gravity, not effort: a fast stretch down a slope steeper than this; a slowdown on a grade steeper than that.
DOWNHILL_ASSIST_PCT = 3.0
STEEP_TERRAIN_PCT = 5.0
# Reps are alike: each at least this share of the reps' median speed.
SIMILAR_SPEED = 0.9
# The contrast with the run's other running is only judged when there is at least this much of it.
MIN_OTHER_RUNNING_S = 120.0
ACTIVE_LAPS = frozenset({"active", "interval"})
REST_LAPS = frozenset({"rest", "recovery"})


@dataclass(frozen=True, slots=True)
class SpeedWork:
    """What made a run speed work; `main_start_s`/`main_speed_mps` locate its hard part for the warm-up rule."""

    trigger: str
    reps: int
    rep_distance_m: float | None
    rep_duration_s: float | None
    rep_speed_mps: float | None
    easy_speed_mps: float | None
    top_zone_share_pct: float | None
    main_start_s: float | None


def evaluate(ctx: RuleContext) -> Flag | None:
    found = analyze(ctx)
    if found is None:
        return None
    confidence = {
        "laps": Confidence.HIGH,
        "race": Confidence.HIGH,
        "workout": Confidence.HIGH,
        "intervals": Confidence.HIGH if found.easy_speed_mps is not None else Confidence.MEDIUM,
    }.get(found.trigger, Confidence.MEDIUM)
    return Flag(
        code=FlagCode.SPEED_WORK,
        severity=Severity.INFO if found.trigger == "hr_zones" else Severity.CAUTION,
        confidence=confidence,
        evidence={
            "trigger": found.trigger,
            "reps": found.reps,
            "rep_distance_m": _round(found.rep_distance_m, 1),
            "rep_duration_s": _round(found.rep_duration_s, 1),
            "rep_pace_s_per_km": pace_s_per_km(found.rep_speed_mps),
            "easy_pace_s_per_km": pace_s_per_km(found.easy_speed_mps),
            "top_zone_share_pct": _round(found.top_zone_share_pct, 1),
        },
        advice=ADVICE,
    )


def analyze(ctx: RuleContext) -> SpeedWork | None:
    """The strongest speed-work finding for this run, or None (also for non-runs and when data is lacking).

    The warm-up rule asks the same question of the same context, so the answer is derived once per context.
    """
    return ctx.derived("speed_work", lambda: _analyze(ctx))


def _analyze(ctx: RuleContext) -> SpeedWork | None:
    activity = ctx.activity
    if not activity.sport.is_run:
        return None
    t = ctx.thresholds
    easy = ctx.easy_speed()
    streams = activity.streams
    long_enough = (activity.duration_s or 0.0) >= MIN_RUN_S or (
        streams is not None and len(streams) > 1 and float(streams.time_s[-1] - streams.time_s[0]) >= MIN_RUN_S
    )
    hr_share = _top_zone_share(streams, ctx.max_heart_rate, t.speed_work_top_zone_from_pct_max)
    if long_enough and (laps := _lap_reps(activity.laps, t.speed_work_min_reps)):
        return SpeedWork(
            "laps",
            len(laps),
            _median([lap.distance_m for lap in laps]),
            _median([lap.moving_s or lap.elapsed_s for lap in laps]),
            _median([lap.speed_mps for lap in laps]),
            easy,
            hr_share,
            laps[0].start_offset_s,
        )
    reps: list[Effort] = []
    tempo: Effort | None = None
    trace = ctx.speed_trace() if streams is not None and long_enough else None
    if trace is not None and streams is not None:
        reference = easy if easy is not None else running_speed(trace)
        if reference is not None:
            margin = 1 + t.speed_work_faster_than_easy_pct / 100
            fast = reference * margin
            efforts = find_efforts(trace, fast, MIN_REP_S, recovery_ratio=RECOVERY_RATIO)
            profile = None if _no_slope(activity) else ctx.altitude_profile()
            reps = _interval_reps(efforts, trace, profile, fast=fast, margin=margin, min_reps=t.speed_work_min_reps)
            if easy is not None:
                tempos = [e for e in efforts if e.speed_mps >= fast and e.duration_s >= TEMPO_MIN_S]
                tempo = max(tempos, key=lambda e: e.duration_s, default=None)
    if reps and trace is not None:
        return SpeedWork(
            "intervals",
            len(reps),
            statistics.median(e.distance_m for e in reps),
            statistics.median(e.duration_s for e in reps),
            statistics.median(e.speed_mps for e in reps),
            easy,
            hr_share,
            float(trace.time_s[reps[0].start]),
        )
    workout = {STRAVA_RUN_RACE: "race", STRAVA_RUN_WORKOUT: "workout"}.get(activity.workout_type or 0)
    if workout is not None or tempo is not None:
        return SpeedWork(
            workout or "tempo",
            1 if tempo is not None else 0,
            tempo.distance_m if tempo is not None else None,
            tempo.duration_s if tempo is not None else None,
            tempo.speed_mps if tempo is not None else None,
            easy,
            hr_share,
            float(trace.time_s[tempo.start]) if tempo is not None and trace is not None else None,
        )
    if long_enough and hr_share is not None and hr_share >= t.speed_work_top_zone_share_pct:
        return SpeedWork("hr_zones", 0, None, None, None, easy, hr_share, None)
    return None


def _lap_reps(laps: Sequence[Lap], min_reps: int) -> list[Lap]:
    """Active laps of a structured session; every lap "active" (a device default) does not count without rests."""
    active = [lap for lap in laps if (lap.intensity or "").lower() in ACTIVE_LAPS]
    rests = sum(1 for lap in laps if (lap.intensity or "").lower() in REST_LAPS)
    if len(active) >= min_reps and rests >= min_reps - 1:
        return active
    return []


def _interval_reps(
    efforts: list[Effort],
    trace: SpeedTrace,
    profile: AltitudeProfile | None,
    *,
    fast: float,
    margin: float,
    min_reps: int,
) -> list[Effort]:
    """Similar fast efforts with real recoveries between them, or [] when the pattern is not an interval session.

    Reps must be alike (duration within a factor of two, speed within 10 % of the median), faster than `fast`, and
    stand out from the run's other running (warm-up, cool-down, jogged recoveries) by the same margin: bursts
    between traffic lights on a steady run are as fast as the rest of it.
    """
    candidates = [e for e in efforts if e.duration_s <= MAX_REP_S]
    if profile is not None:
        candidates = [e for e in candidates if not _terrain_made(e, trace, profile)]
    if not candidates:
        return []
    typical = statistics.median(e.duration_s for e in candidates)
    alike = [e for e in candidates if typical / 2 <= e.duration_s <= typical * 2]
    if not alike:
        return []
    speed = statistics.median(e.speed_mps for e in alike)
    reps = [e for e in alike if e.speed_mps >= SIMILAR_SPEED * speed]
    if len(reps) < min_reps:
        return []
    rep_speed = statistics.median(e.speed_mps for e in reps)
    if rep_speed < fast:
        return []
    in_reps = np.zeros(len(trace.speed_mps), dtype=np.bool_)
    for e in reps:
        in_reps[e.start : e.end] = True
    moving = trace.speed_mps[trace.moving]
    running_cut = 0.6 * float(np.percentile(moving, 90)) if len(moving) else 0.0
    others = trace.speed_mps[trace.moving & ~in_reps & (trace.speed_mps >= running_cut)]
    if len(others) * trace.step_s >= MIN_OTHER_RUNNING_S and rep_speed < float(np.median(others)) * margin:
        return []
    recovered = all(
        e.recovery_speed_mps is not None and e.recovery_speed_mps <= RECOVERY_RATIO * e.speed_mps for e in reps[:-1]
    )
    return reps if recovered else []


def _no_slope(activity: Activity) -> bool:
    return activity.sport in (Sport.TREADMILL_RUN, Sport.VIRTUAL_RUN) or activity.indoor


def _terrain_made(effort: Effort, trace: SpeedTrace, profile: AltitudeProfile) -> bool:
    """True when the slope explains the pattern: fast only because downhill, or slow after it because steep."""
    last = len(trace.distance_m) - 1
    d0 = trace.distance_m[effort.start]
    d1 = trace.distance_m[min(effort.end, last)]
    d2 = trace.distance_m[min(effort.end + round(effort.recovery_s / trace.step_s), last)]
    a0, a1, a2 = np.interp([d0, d1, d2], profile.distance_m, profile.altitude_m)
    if d1 - d0 > 0 and (a1 - a0) / (d1 - d0) * 100 <= -DOWNHILL_ASSIST_PCT:
        return True
    return bool(d2 - d1 >= 20.0 and abs(a2 - a1) / (d2 - d1) * 100 >= STEEP_TERRAIN_PCT)


def _top_zone_share(streams: Streams | None, max_hr: float | None, from_pct: float) -> float | None:
    """Share (%) of time with a heart rate at or above `from_pct` % of the athlete's max, weighting by sample gaps."""
    if streams is None or streams.heart_rate is None or not max_hr or len(streams) < 2:
        return None
    hr = streams.heart_rate
    dt = np.diff(streams.time_s, append=streams.time_s[-1])
    dt = np.where((dt > 0) & (dt <= MAX_SAMPLE_GAP_S), dt, 0.0)
    known = np.isfinite(hr) & (hr > 0)
    total = float(dt[known].sum())
    if total <= 0:
        return None
    top = float(dt[known & (hr >= max_hr * from_pct / 100)].sum())
    return top / total * 100


def _median(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)
