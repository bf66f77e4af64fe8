"""What a run's recording was too thin to judge: said plainly in the note instead of a silent "no flags".

A run with one sample, a GPS that never moved, no distance at all or no altitude outdoors cannot be judged for
speed work, warm-up or downhill. Staying silent would read as "all clear"; guessing would be a flag built on
noise. So the note says "Not enough data for speed work, warm-up and downhill (no usable distance or speed)".
Checks that did produce a flag (a race marked on Strava needs no stream) are not listed.
"""

from __future__ import annotations

from collections.abc import Collection

from syncd.domain.flags import FlagCode
from syncd.domain.model import Sport
from syncd.domain.rules.context import RuleContext

# The checks a recording can be too thin for, in the order they are named.
CHECK_NAMES: dict[FlagCode, str] = {
    FlagCode.SPEED_WORK: "speed work",
    FlagCode.NO_WARMUP: "warm-up",
    FlagCode.DOWNHILL: "downhill",
}
NO_SAMPLES = "no samples recorded"
NO_PACE = "no usable distance or speed over time"
NO_ALTITUDE = "no usable altitude"
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
        missing[NO_SAMPLES] = codes
    else:
        trace = ctx.speed_trace()
        if trace is None or float(trace.moving.sum()) * trace.step_s < MIN_MOVING_S:
            missing[NO_PACE] = [FlagCode.SPEED_WORK, FlagCode.NO_WARMUP]
        if slope_matters and ctx.altitude_profile() is None:
            reason = NO_PACE if NO_PACE in missing else NO_ALTITUDE
            missing.setdefault(reason, []).append(FlagCode.DOWNHILL)
    phrases = []
    for reason, codes in missing.items():
        names = [CHECK_NAMES[c] for c in codes if c not in flagged]
        if names:
            phrases.append(f"{_join(names)} ({reason})")
    return tuple(phrases)


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
