"""No warm-up: a run that goes hard without first spending its opening minutes clearly easier.

Source: RISK-FACTS.md, "Warm up with your usual stretches and start every run gently before picking up the pace"
and "Warm-up: the first ~10 minutes (or first 1.5 km) should be clearly easier than the main part of the run."

Method. The opening window is the first `warmup_window_s` of moving time or the first `warmup_window_m`, whichever
comes first (stops do not count). Only runs that later go hard are judged (an easy run needs no warm-up):
- interval sessions (from the speed stream or interval laps), whose hard part is located: the window ends where
  the first effort starts, and the main pace is the effort pace. Less than 40 % of the window before the first
  effort is too short a warm-up (a structured 5-minute warm-up passes; starting the reps cold does not);
- other speed work (tempo, race, workout, heart-rate zones) or, with history, a main part that is
  `speed_work_faster_than_easy_pct` faster than easy pace: the main part is what follows the window, less a
  cool-down of the same length when the run is long enough.
Flag when the window is not at least `warmup_easier_by_pct` slower than the main pace. Runs too short to hold a
window and a main part of the same length stay silent, as do runs without distance.

Evidence keys: `first_pace_s_per_km` (None when the hard part started at once), `main_pace_s_per_km`,
`window_s` (moving seconds judged), `window_m` (metres judged).
"""

from __future__ import annotations

import numpy as np

from syncd.domain.flags import Confidence, Flag, FlagCode, Severity
from syncd.domain.rules import speed_work
from syncd.domain.rules.context import RuleContext
from syncd.domain.streams_math import SpeedTrace, pace_s_per_km

VERSION: int = 1

ADVICE = (
    "Start gently: jog the first ten minutes or so clearly slower than the rest of the run, after your usual "
    "stretches, and only then pick up the pace."
)
# A warm-up before a located hard part must last at least this share of the window.
MIN_WARMUP_SHARE = 0.4


def evaluate(ctx: RuleContext) -> Flag | None:
    activity = ctx.activity
    if not activity.sport.is_run or activity.streams is None:
        return None
    trace = ctx.speed_trace()
    if trace is None:
        return None
    t = ctx.thresholds
    moving_time = trace.moving_time_s
    reached = (moving_time >= t.warmup_window_s) | (trace.distance_m >= t.warmup_window_m)
    if not reached.any():
        return None
    window_end = int(np.argmax(reached))
    hard = speed_work.analyze(ctx)
    confidence = Confidence.MEDIUM
    located = hard is not None and hard.trigger in ("laps", "intervals")
    if hard is not None and located and hard.main_start_s is not None and hard.rep_speed_mps is not None:
        main_speed = hard.rep_speed_mps
        start_idx = min(int(np.searchsorted(trace.time_s, hard.main_start_s)), len(trace.time_s) - 1)
        window_end = min(window_end, start_idx)
        confidence = Confidence.HIGH
        too_short = (
            moving_time[window_end] < MIN_WARMUP_SHARE * t.warmup_window_s
            and trace.distance_m[window_end] < MIN_WARMUP_SHARE * t.warmup_window_m
        )
    else:
        main = _main_part_speed(trace, window_end, t.warmup_window_s)
        if main is None:
            return None
        main_speed = main
        easy = ctx.easy_speed()
        fast_main = easy is not None and main_speed >= easy * (1 + t.speed_work_faster_than_easy_pct / 100)
        if hard is None and not fast_main:
            return None
        too_short = False
    window_s = float(moving_time[window_end])
    window_m = float(trace.distance_m[window_end])
    first_speed = window_m / window_s if window_s > 0 else None
    easier = first_speed is not None and first_speed * (1 + t.warmup_easier_by_pct / 100) <= main_speed
    if easier and not too_short:
        return None
    return Flag(
        code=FlagCode.NO_WARMUP,
        severity=Severity.CAUTION,
        confidence=confidence,
        evidence={
            "first_pace_s_per_km": pace_s_per_km(first_speed),
            "main_pace_s_per_km": pace_s_per_km(main_speed),
            "window_s": round(window_s, 0),
            "window_m": round(window_m, 0),
        },
        advice=ADVICE,
    )


def _main_part_speed(trace: SpeedTrace, window_end: int, window_s: float) -> float | None:
    """Moving speed after the opening window, leaving out a cool-down of the window's length on long runs.

    None when the main part is shorter than the window: too little run to say it "later" went hard.
    """
    moving_time = trace.moving_time_s
    total = float(moving_time[-1])
    end = len(moving_time) - 1
    if total >= 3 * window_s:
        end = int(np.searchsorted(moving_time, total - window_s))
    main_s = float(moving_time[end] - moving_time[window_end])
    if main_s < window_s:
        return None
    return float(trace.distance_m[end] - trace.distance_m[window_end]) / main_s
