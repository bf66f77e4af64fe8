"""What a run's recording was too thin to judge: said plainly in the note instead of a silent "no flags".

A run with one sample, a GPS that never moved, no distance at all or no altitude outdoors cannot be judged for
speed work, warm-up or downhill. Staying silent would read as "all clear"; guessing would be a flag built on
noise. So the note says "Not enough data for speed work, warm-up and downhill (no usable distance or speed)".
A run whose samples are still on its platform (stored from the listing, older than the annotation window) says
"(no streams yet)" instead until they are fetched (syncd.domain.streams_state).
Checks that did produce a flag (a race marked on Strava needs no stream) are not listed.

A descent on altitude whose steep climbs did not slow the runner is GPS noise (downhill.unconfirmed): "downhill
(altitude that looks like GPS noise: its climbs did not slow you)".

Bad input inside a recording is said too, never built on (issue 28): laps of zero or negative length or duration
("interval laps (2 laps of zero or negative length or duration)"), a structured workout's steps recorded without
laps, and a heart-rate channel holding only 0 or 255 (a strap dropout, the ANT+ "invalid" value).
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np

from syncd.domain.flags import FlagCode
from syncd.domain.model import FloatArray, Sport
from syncd.domain.rules.context import RuleContext
from syncd.domain.rules.downhill import unconfirmed
from syncd.domain.rules.speed_work import heart_readings
from syncd.domain.streams_state import NO_STREAMS_YET, awaiting_streams

# The checks a recording can be too thin for, in the order they are named.
CHECK_NAMES: dict[FlagCode, str] = {
    FlagCode.SPEED_WORK: "speed work",
    FlagCode.NO_WARMUP: "warm-up",
    FlagCode.DOWNHILL: "downhill",
}
NO_SAMPLES = "no samples recorded"
NO_PACE = "no usable distance or speed over time"
NO_ALTITUDE = "no usable altitude"
UNCONFIRMED_ALTITUDE = "altitude that looks like GPS noise: its climbs did not slow you"
# Less moving time than this (a GPS that never moved, all-NaN channels) is no pace to judge.
MIN_MOVING_S = 60.0


def data_gaps(ctx: RuleContext, flagged: Collection[FlagCode]) -> tuple[str, ...]:
    """One phrase per reason, e.g. "speed work and warm-up (no usable distance or speed over time)"; () for
    non-runs and for runs whose recording holds what every check needs."""
    activity = ctx.activity
    if not activity.sport.is_run:
        return ()
    slope_matters = activity.sport not in (Sport.TREADMILL_RUN, Sport.VIRTUAL_RUN) and not activity.indoor
    missing: dict[str, list[FlagCode]] = {}
    if activity.streams is None or len(activity.streams) < 2:
        codes = [FlagCode.SPEED_WORK, FlagCode.NO_WARMUP] + ([FlagCode.DOWNHILL] if slope_matters else [])
        # a summary whose samples are still on the platform is not a recording without samples
        missing[NO_STREAMS_YET if awaiting_streams(activity) else NO_SAMPLES] = codes
    else:
        trace = ctx.speed_trace()
        if trace is None or float(trace.moving.sum()) * trace.step_s < MIN_MOVING_S:
            missing[NO_PACE] = [FlagCode.SPEED_WORK, FlagCode.NO_WARMUP]
        if slope_matters and ctx.altitude_profile() is None:
            reason = NO_PACE if NO_PACE in missing else NO_ALTITUDE
            missing.setdefault(reason, []).append(FlagCode.DOWNHILL)
        elif slope_matters and unconfirmed(ctx):
            missing.setdefault(UNCONFIRMED_ALTITUDE, []).append(FlagCode.DOWNHILL)
    phrases = []
    for reason, codes in missing.items():
        names = [CHECK_NAMES[c] for c in codes if c not in flagged]
        if names:
            phrases.append(f"{_join(names)} ({reason})")
    return (*phrases, *_bad_input(ctx))


def _bad_input(ctx: RuleContext) -> list[str]:
    """Phrases for laps, workout steps and heart rate that are present but say nothing."""
    activity = ctx.activity
    phrases = []
    bad_laps = sum(1 for lap in activity.laps if not lap.usable)
    if bad_laps:
        plural = "lap" if bad_laps == 1 else "laps"
        phrases.append(f"interval laps ({bad_laps} {plural} of zero or negative length or duration)")
    if not activity.laps and activity.extra.get("workout_steps_without_laps"):
        phrases.append("interval laps (workout steps recorded without laps)")
    hr = activity.streams.heart_rate if activity.streams is not None else None
    if hr is not None and len(hr) and not _plausible_heart_rate(hr[:: max(1, len(hr) // 64)]):
        present = hr[np.isfinite(hr)]
        if len(present) and not heart_readings(present).any():
            phrases.append("heart rate (only readings of 0 or 255)")
    return phrases


def _plausible_heart_rate(readings: FloatArray) -> bool:
    """Whether any reading is one (`speed_work.heart_readings`): one such reading among a sample is enough to know the
    recording is not "only 0 or 255", so the whole channel is tested only when the sample has none."""
    return bool(heart_readings(readings).any())


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
