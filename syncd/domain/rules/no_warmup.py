"""No warm-up: a run that goes hard without first spending its opening minutes clearly easier.

Source: RISK-FACTS.md, "Warm up with your usual stretches and start every run gently before picking up the pace"
and "Warm-up: the first ~10 minutes (or first 1.5 km) should be clearly easier than the main part of the run."

Method. Only a run with a real hard part is judged, as speed_work found it (intervals, interval laps, a tempo
block, a race, a Strava workout); a steady run, however brisk, needs no warm-up and is never flagged, nor is a
run whose only sign of effort is heart rate. The opening window is the first `warmup_window_s` of moving time or
the first `warmup_window_m`, whichever comes first (stops do not count).
- reps (intervals, interval laps): the window ends where the first effort starts, the main pace is the rep pace.
  Less than 40 % of the window before the first effort is too short a warm-up (a structured 5-minute warm-up
  passes; starting the reps cold does not): `kind` "too_short";
- a tempo block: the main pace is the block's; a race or workout: the main part is what follows the window, less
  a cool-down of the same length when the run is long enough.
Flag when the window is not at least `warmup_easier_by_pct` slower than the main pace (`kind` "not_easier"), or
when the pace looks easier but heart rate says otherwise (`kind` "hr_not_easier"): over the second half of the
window (heart rate lags the first minutes) it already averages at least `HR_NEAR_SHARE` of the hard part's
typical heart rate (its median), and, when reps start later than the window, so does all the running from the
middle of the window to where they start (all of it is their warm-up); not when heart rate then falls by 10 bpm
while the pace holds or rises (a sensor settling, `_sensor_settling`). GPS pace on a phone can jump by a minute
per km; heart rate does not, and a genuine warm-up jog sits well below the hard part's heart rate. Not on a
climbing start (a hill lifts the heart rate at an easy effort), and only with heart rate over most of both parts.
A slow start up a steep hill is not an easy start: outdoors, both paces are grade-adjusted (about 3.3 % of speed
per 1 % of climb, 1.8 % per 1 % of descent) before they are compared. Runs too short to hold a window and a main
part of the same length stay silent, as do runs without distance, and a later leg of a multisport recording (a
triathlon's run after the swim and the ride: the earlier legs were its warm-up).

A hard start (issue 28: a hill race fast from the first minute, a 10 km road race run from the gun): when pace
finds no hard part but the athlete's hard heart-rate zone is known (RuleContext.hard_heart_rate), a run whose
heart rate already averages in the hard zone over the second half of the opening window and stays there (median of
the rest) went hard without a warm-up: `kind` "hard_start". The first minutes' effort decides, not the pace, which
a climb or a crowded start slows. Heart rate never decides alone: the run's heart rate must also be
`warmup_hard_start_above_usual_hr_pct` above the athlete's usual average on runs (history.usual_heart_rate), so a
wrong maximum (a runner whose easy runs sit at 155-185 bpm with "max 195") flags nothing; without that history,
no hard start is judged.

Evidence (NoWarmupEvidence in rules/no_warmup_evidence.py, beside its note line): `kind` ("too_short",
"not_easier", "hr_not_easier" or "hard_start"), `hard_from_bpm` (hard_start),
`first_pace_s_per_km` (None when the hard part started at once), `main_pace_s_per_km`, `window_s` (moving seconds
judged), `window_m` (metres judged), `opening_grade_pct` (average grade of the window, None when flat or unknown),
`first_flat_pace_s_per_km` (the opening pace adjusted to the flat, None when not adjusted), `opening_hr_bpm` and
`main_hr_bpm` (kind "hr_not_easier" only).
"""

from __future__ import annotations

import numpy as np

from syncd.domain.flags import Confidence, Flag, FlagCode, Severity
from syncd.domain.model import MULTISPORT_AFTER, BoolArray, FloatArray, Sport
from syncd.domain.rule_versions import RULE_VERSIONS
from syncd.domain.rules import speed_work
from syncd.domain.rules.context import RuleContext
from syncd.domain.rules.no_warmup_evidence import HARD_START, NoWarmupEvidence
from syncd.domain.streams_math import (
    AltitudeProfile,
    SpeedTrace,
    differences,
    flat_speed,
    grade_pct,
    median_of,
    pace_s_per_km,
)
from syncd.domain.thresholds import Thresholds

VERSION: int = RULE_VERSIONS["no_warmup"]  # bumped in syncd/domain/rule_versions.py

ADVICE = (
    "Start gently: jog the first ten minutes or so clearly slower than the rest of the run, add a few dynamic "
    "drills (leg swings, skips, strides), and only then pick up the pace. Static stretching first does not "
    "prevent injury; a gradual start does more."
)
# A warm-up before a located hard part must last at least this share of the window.
MIN_WARMUP_SHARE = 0.4
# Below this average grade (%) a stretch counts as flat and its pace is not adjusted.
MIN_GRADE_PCT = 2.0
# The opening's heart rate (second half of the window) at or above this share of the hard part's is no warm-up.
HR_NEAR_SHARE = 0.95
# Heart rate this much lower just after the opening, at a pace held or raised, was a sensor settling (bpm).
SETTLING_DROP_BPM = 10.0
# Heart rate must cover at least this share of each part's time to be judged.
MIN_HR_COVERAGE = 0.6
MAX_HR_GAP_S = 15.0
PACE_TRIGGERS = frozenset({"laps", "intervals", "tempo", "race", "workout"})


def evaluate(ctx: RuleContext) -> Flag | None:
    activity = ctx.activity
    if not activity.sport.is_run or activity.streams is None or activity.extra.get(MULTISPORT_AFTER):
        return None  # a multisport leg after another (a triathlon's run after the ride) starts warmed up
    hard = speed_work.analyze(ctx)
    trace = ctx.speed_trace()
    if trace is None:
        return None
    t = ctx.thresholds
    moving_time = trace.moving_time_s
    reached = (moving_time >= t.warmup_window_s) | (trace.distance_m >= t.warmup_window_m)
    if not reached.any():
        return None
    if hard is None or hard.trigger not in PACE_TRIGGERS:
        return _hard_start(ctx, trace, int(np.argmax(reached)))
    parts = _parts(hard, trace, int(np.argmax(reached)), t)
    if parts is None:
        return None
    window_end, main_speed, main_idx, too_short, confidence = parts
    window_s = float(moving_time[window_end])
    window_m = float(trace.distance_m[window_end])
    first_speed = window_m / window_s if window_s > 0 else None
    main_range = (float(trace.distance_m[main_idx[0]]), float(trace.distance_m[main_idx[1]]))
    profile = None if _no_slope(ctx) else ctx.altitude_profile()
    opening_grade = _grade(profile, 0.0, window_m)
    flat_first = first_speed
    if first_speed is not None and (opening_grade is not None or _grade(profile, *main_range) is not None):
        flat_first = flat_speed(first_speed, opening_grade or 0.0)
        main_speed = flat_speed(main_speed, _grade(profile, *main_range) or 0.0)
    easier = flat_first is not None and flat_first * (1 + t.warmup_easier_by_pct / 100) <= main_speed
    heart = None
    if easier and not too_short:
        climbing = opening_grade is not None and opening_grade > 0
        heart = None if climbing else _heart_not_easier(ctx, trace, window_end, main_idx)
        if heart is None:
            return None
    adjusted = flat_first is not None and first_speed is not None and opening_grade is not None
    kind = "too_short" if too_short else ("hr_not_easier" if heart is not None else "not_easier")
    return Flag(
        code=FlagCode.NO_WARMUP,
        severity=Severity.CAUTION,
        confidence=confidence,
        evidence=NoWarmupEvidence(
            kind=kind,
            first_pace_s_per_km=pace_s_per_km(first_speed),
            main_pace_s_per_km=pace_s_per_km(main_speed),
            window_s=round(window_s, 0),
            window_m=round(window_m, 0),
            opening_grade_pct=round(opening_grade, 1) if opening_grade is not None else None,
            first_flat_pace_s_per_km=pace_s_per_km(flat_first) if adjusted else None,
            opening_hr_bpm=round(heart[0]) if heart is not None else None,
            main_hr_bpm=round(heart[1]) if heart is not None else None,
        ).to_evidence(),
        advice=ADVICE,
    )


def _hard_start(ctx: RuleContext, trace: SpeedTrace, window_end: int) -> Flag | None:
    """A run in the hard heart-rate zone from its opening minutes on, without a pace-found hard part."""
    hard_bpm = ctx.hard_heart_rate()
    streams = ctx.activity.streams
    if hard_bpm is None or streams is None or streams.heart_rate is None:
        return None
    t0, t_end, last = (float(trace.time_s[i]) for i in (0, window_end, -1))
    if last - t_end < t_end - t0:
        return None  # too little run after the window to say it stayed hard
    plausible = _plausible_heart(ctx, streams.heart_rate)
    opening = _heart_between(streams.time_s, streams.heart_rate, plausible, (t0 + t_end) / 2, t_end)
    rest = _heart_between(streams.time_s, streams.heart_rate, plausible, t_end, last)
    if opening is None or rest is None or float(np.mean(opening)) < hard_bpm or float(median_of(rest)) < hard_bpm:
        return None
    t = ctx.thresholds
    usual = ctx.usual_heart_rate()
    if usual is None or float(median_of(rest)) < usual * (1 + t.warmup_hard_start_above_usual_hr_pct / 100):
        return None  # heart rate alone, against a maximum that may be wrong, makes no flag
    window_s, window_m = float(trace.moving_time_s[window_end]), float(trace.distance_m[window_end])
    return Flag(
        code=FlagCode.NO_WARMUP,
        severity=Severity.CAUTION,
        confidence=Confidence.MEDIUM,
        evidence=NoWarmupEvidence(
            kind=HARD_START,
            first_pace_s_per_km=pace_s_per_km(window_m / window_s) if window_s > 0 else None,
            window_s=round(window_s, 0),
            window_m=round(window_m, 0),
            opening_hr_bpm=round(float(np.mean(opening))),
            main_hr_bpm=round(float(median_of(rest))),
            hard_from_bpm=round(hard_bpm),
        ).to_evidence(),
        advice=ADVICE,
    )


def _parts(
    hard: speed_work.SpeedWork, trace: SpeedTrace, window_end: int, t: Thresholds
) -> tuple[int, float, tuple[int, int], bool, Confidence] | None:
    """(window end, main speed, main part's grid range, warm-up too short, confidence); None without a main part.

    Reps: the window stops where the first effort starts and the main speed is the rep speed. Otherwise the main
    part is what follows the window (less a cool-down), at a tempo block's speed when there is one.
    """
    if hard.trigger in ("laps", "intervals") and hard.main_start_s is not None and hard.rep_speed_mps is not None:
        moving_time = trace.moving_time_s
        start_idx = min(int(np.searchsorted(trace.time_s, hard.main_start_s)), len(trace.time_s) - 1)
        window_end = min(window_end, start_idx)
        too_short = bool(
            moving_time[window_end] < MIN_WARMUP_SHARE * t.warmup_window_s
            and trace.distance_m[window_end] < MIN_WARMUP_SHARE * t.warmup_window_m
        )
        return window_end, hard.rep_speed_mps, (start_idx, len(trace.time_s) - 1), too_short, Confidence.HIGH
    main = _main_part(trace, window_end, t.warmup_window_s)
    if main is None:
        return None
    main_speed, main_idx = main
    if hard.trigger == "tempo" and hard.rep_speed_mps is not None:
        main_speed = hard.rep_speed_mps
    return window_end, main_speed, main_idx, False, Confidence.MEDIUM


def _no_slope(ctx: RuleContext) -> bool:
    return ctx.activity.sport in (Sport.TREADMILL_RUN, Sport.VIRTUAL_RUN) or ctx.activity.indoor


def _grade(profile: AltitudeProfile | None, d0: float, d1: float) -> float | None:
    """Average grade (%) between two distances on the cleaned profile; None when flat (under 2 %) or unknown."""
    grade = grade_pct(profile, d0, d1)
    return grade if grade is not None and abs(grade) >= MIN_GRADE_PCT else None


def _heart_not_easier(
    ctx: RuleContext, trace: SpeedTrace, window_end: int, main_idx: tuple[int, int]
) -> tuple[float, float] | None:
    """(opening, hard-part) heart rate when the opening's is already near the hard part's; None otherwise.

    When the hard part starts after the window, the opening is also judged from the middle of the window to where
    it starts, and the easier of the two counts: reps after 40 minutes of easy running had a warm-up, whatever a
    wrist sensor read in the first minutes (issue 28, a run/walk whose last 15 minutes were faster). None too when
    heart rate is missing over much of either part: no verdict from a patchy chest strap.
    """
    streams = ctx.activity.streams
    if streams is None or streams.heart_rate is None:
        return None
    t0, t_end = float(trace.time_s[0]), float(trace.time_s[window_end])
    plausible = _plausible_heart(ctx, streams.heart_rate)
    opening = _heart_between(streams.time_s, streams.heart_rate, plausible, (t0 + t_end) / 2, t_end)
    t_hard = (float(trace.time_s[i]) for i in main_idx)
    hard = _heart_between(streams.time_s, streams.heart_rate, plausible, *t_hard)
    if opening is None or hard is None:
        return None
    opening_hr = float(np.mean(opening))
    if _sensor_settling(
        trace, streams.time_s, streams.heart_rate, plausible, window_end=window_end, opening=opening_hr
    ):
        return None
    if main_idx[0] > window_end:  # reps after more running than the window: all of it is their warm-up
        run_up = _heart_between(
            streams.time_s, streams.heart_rate, plausible, (t0 + t_end) / 2, float(trace.time_s[main_idx[0]])
        )
        opening_hr = min(opening_hr, float(np.mean(run_up))) if run_up is not None else opening_hr
    main_hr = float(median_of(hard))
    return (opening_hr, main_hr) if opening_hr >= HR_NEAR_SHARE * main_hr else None


def _sensor_settling(
    trace: SpeedTrace,
    time_s: FloatArray,
    heart_rate: FloatArray,
    plausible: BoolArray,
    *,
    window_end: int,
    opening: float,
) -> bool:
    """Heart rate that falls by `SETTLING_DROP_BPM` over the next stretch as long as the opening, while the runner
    holds or raises the pace, was no heart rate: a chest strap still dry, a sensor settling (issue 28: a marathon's
    first 10 minutes read 167-172 bpm at 6:30/km, then 140-151 at 6:05). Pace then decides."""
    t0, t_end = float(trace.time_s[0]), float(trace.time_s[window_end])
    later_end = min(int(np.searchsorted(trace.time_s, 2 * t_end - t0)), len(trace.time_s) - 1)
    later = _heart_between(time_s, heart_rate, plausible, t_end, float(trace.time_s[later_end]))
    if later is None or float(np.mean(later)) > opening - SETTLING_DROP_BPM:
        return False
    later_speed = trace.moving_speed_between(window_end, later_end)
    opening_speed = trace.moving_speed_between(0, window_end)
    return later_speed is not None and opening_speed is not None and later_speed >= opening_speed


def _plausible_heart(ctx: RuleContext, heart_rate: FloatArray) -> BoolArray:
    """Samples holding a heart-rate reading (`speed_work.heart_readings`), found once per context: both parts the
    rule compares read it."""
    return ctx.derived("no_warmup_plausible_heart", lambda: speed_work.heart_readings(heart_rate))


def _heart_between(
    time_s: FloatArray, heart_rate: FloatArray, plausible: BoolArray, t0: float, t1: float
) -> FloatArray | None:
    """Valid heart-rate samples (`plausible`: `_plausible_heart`) between two times, or None when they cover too
    little of it.

    Covered time is the sum of gaps between valid samples up to `MAX_HR_GAP_S` (GPX exports often carry heart
    rate on every third or fourth fix only); a dropout longer than that counts as uncovered.
    """
    if t1 - t0 < 60.0:
        return None
    inside = (time_s >= t0) & (time_s <= t1)
    valid = inside & plausible
    if not valid.any():
        return None
    gaps = differences(time_s[valid])
    covered = float(gaps[gaps <= MAX_HR_GAP_S].sum())
    return heart_rate[valid] if covered >= MIN_HR_COVERAGE * (t1 - t0) else None


def _main_part(trace: SpeedTrace, window_end: int, window_s: float) -> tuple[float, tuple[int, int]] | None:
    """Moving speed (and grid index range) after the opening window, leaving out a cool-down on long runs.

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
    d0, d1 = float(trace.distance_m[window_end]), float(trace.distance_m[end])
    return (d1 - d0) / main_s, (window_end, end)
