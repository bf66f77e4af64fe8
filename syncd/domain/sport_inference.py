"""What sport a recording is when the file does not say (Strava's and Movescount's GPX exports carry none).

The verdict comes from the recording itself: the speed profile while moving (10-second steps, so GPS jitter at a
standstill and single-fix jumps do not count) and, when present, the cadence. Running sits between a brisk walk
and an easy ride, so the bands are wide and the middle ground gives "unknown" instead of a guess: a walk taken
for a run would get false flags, a run taken for a walk only loses its notes.

The verdict is kept in `sport_original` as "inferred:<sport>" (so it survives the store and is shown as a guess),
and `syncd annotate --sport S` overrides it ("given:<sport>").
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from syncd.domain.model import Activity, FloatArray, Sport, Streams

INFERRED_PREFIX = "inferred:"
GIVEN_PREFIX = "given:"

STEP_S = 10.0
MOVING_MPS = 0.5
# Faster than any runner or cyclist over 10 s: a GPS jump or a vehicle, left out of the profile.
IMPLAUSIBLE_MPS = 25.0
MIN_MOVING_S = 300.0
MIN_DISTANCE_M = 500.0
# Median moving speed bands (m/s): walking up to ~9:15/km, running ~8:30/km to ~2:50/km, riding above ~21 km/h.
WALK_MAX_MPS = 1.8
RUN_MIN_MPS = 1.95
RUN_MAX_MPS = 5.8
RIDE_MIN_MPS = 5.8
# Share of moving time that must sit in the running band for a "run" verdict.
RUN_SHARE = 0.6
# Climb per km above which slow movement is a hike rather than a walk.
HIKE_GAIN_PER_KM = 40.0
# Running cadence: FIT/TCX count strides per minute (one foot, ~75-100), others steps (~150-200).
RUN_CADENCE_STRIDES = 70.0
RUN_CADENCE_STEPS = 140.0


@dataclass(frozen=True)
class SportVerdict:
    """`sport` is None when the recording cannot tell (`reason` says why, in the runner's words)."""

    sport: Sport | None
    reason: str
    median_speed_mps: float | None = None


def moving_speeds(streams: Streams) -> FloatArray:
    """Speeds (m/s) of the 10-second steps spent moving at a plausible speed."""
    if streams.distance_m is None or len(streams.time_s) < 2:
        return np.zeros(0)
    t, d = streams.time_s, streams.distance_m
    ok = np.isfinite(t) & np.isfinite(d)
    t, d = t[ok], d[ok]
    if len(t) < 2 or t[-1] - t[0] < STEP_S:
        return np.zeros(0)
    grid = np.arange(t[0], t[-1], STEP_S)
    at = np.interp(grid, t, d)
    speeds = np.diff(at) / STEP_S
    # a step that spans a recording gap (no sample inside it for over a minute) is not movement we can judge
    gaps = np.diff(t) > 60.0
    if gaps.any():
        starts, ends = t[:-1][gaps], t[1:][gaps]
        inside = np.zeros(len(speeds), dtype=bool)
        for lo, hi in zip(starts.tolist(), ends.tolist(), strict=True):
            inside |= (grid[1:] > lo) & (grid[:-1] < hi)
        speeds = speeds[~inside]
    result: FloatArray = speeds[(speeds > MOVING_MPS) & (speeds < IMPLAUSIBLE_MPS)]
    return result


def infer_sport(streams: Streams | None, elevation_gain_m: float | None = None) -> SportVerdict:
    """The sport the movement shows, or a verdict saying why it cannot tell."""
    if streams is None or streams.distance_m is None:
        return SportVerdict(None, "not enough data to tell the sport: no distance or GPS track")
    speeds = moving_speeds(streams)
    moving_s = len(speeds) * STEP_S
    distance = float(speeds.sum() * STEP_S)
    if moving_s < MIN_MOVING_S or distance < MIN_DISTANCE_M:
        return SportVerdict(
            None, f"too short to tell the sport ({moving_s / 60:.0f} min, {distance:.0f} m moving; needs 5 min, 500 m)"
        )
    median = float(np.median(speeds))
    run_share = float(np.mean((speeds >= RUN_MIN_MPS) & (speeds <= RUN_MAX_MPS)))
    if median >= RIDE_MIN_MPS:
        return SportVerdict(Sport.RIDE, f"median moving speed {median * 3.6:.0f} km/h: riding", median)
    if RUN_MIN_MPS <= median <= RUN_MAX_MPS and run_share >= RUN_SHARE:
        return SportVerdict(Sport.RUN, f"median moving pace {_pace(median)}: running", median)
    if median <= WALK_MAX_MPS and not _running_cadence(streams.cadence):
        gain_per_km = (elevation_gain_m or 0.0) / max(distance / 1000.0, 0.1)
        if gain_per_km >= HIKE_GAIN_PER_KM:
            return SportVerdict(
                Sport.HIKE, f"median moving pace {_pace(median)} with {gain_per_km:.0f} m/km of climb: hiking", median
            )
        return SportVerdict(Sport.WALK, f"median moving pace {_pace(median)}: walking", median)
    if RUN_MIN_MPS * 0.9 <= median <= RUN_MAX_MPS and _running_cadence(streams.cadence):
        return SportVerdict(Sport.RUN, f"median moving pace {_pace(median)} at running cadence", median)
    return SportVerdict(
        None,
        f"cannot tell the sport: median moving pace {_pace(median)}, {run_share:.0%} of the time at running pace",
        median,
    )


def _running_cadence(cadence: FloatArray | None) -> bool:
    if cadence is None:
        return False
    values = cadence[np.isfinite(cadence) & (cadence > 0)]
    if len(values) < 30:
        return False
    median = float(np.median(values))
    return RUN_CADENCE_STRIDES <= median <= 110.0 or RUN_CADENCE_STEPS <= median <= 220.0


def _pace(speed_mps: float) -> str:
    seconds = round(1000.0 / speed_mps)
    return f"{seconds // 60}:{seconds % 60:02d}/km"


def needs_inference(activity: Activity) -> bool:
    """True for an activity whose file named no sport at all (not for one that named a sport we do not map)."""
    return activity.sport is Sport.OTHER and not activity.sport_original.strip()


def is_inferred(activity: Activity) -> bool:
    return activity.sport_original.startswith(INFERRED_PREFIX)


def inferred_label(sport: Sport) -> str:
    return f"{INFERRED_PREFIX}{sport.value}"


def given_label(sport: Sport) -> str:
    return f"{GIVEN_PREFIX}{sport.value}"


def with_inferred_sport(activity: Activity) -> Activity:
    """The activity with the sport its movement shows, when its file named none; otherwise unchanged.

    The verdict's reason is kept in `extra["sport_inference"]`, so a file that cannot be told says why.
    """
    if not needs_inference(activity):
        return activity
    verdict = infer_sport(activity.streams, activity.elevation_gain_m)
    extra = {**activity.extra, "sport_inference": verdict.reason}
    if verdict.sport is None:
        return replace(activity, extra=extra)
    return replace(activity, sport=verdict.sport, sport_original=inferred_label(verdict.sport), extra=extra)


def with_given_sport(activity: Activity, sport: Sport) -> Activity:
    """The activity with the sport the athlete named (`syncd annotate --sport`), which beats anything inferred."""
    return replace(activity, sport=sport, sport_original=given_label(sport))


def inferred_note_line(activity: Activity) -> str | None:
    """The line a note carries when its sport was guessed, so the runner can see it and correct it."""
    if not is_inferred(activity):
        return None
    return f"Taken as a {activity.sport.value.replace('_', ' ')} from its pace: the file named no sport."
