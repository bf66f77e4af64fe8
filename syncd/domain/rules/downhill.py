"""Downhill running: sustained steep descents, or a lot of descent per kilometre, after cleaning the altitude.

Source: RISK-FACTS.md, "Terrain: keep to level ground. Running downhill produces higher landing forces" and
"Downhill: ... Bontemps et al. 2020 ... flag sustained descents steeper than -5 % over at least 200 m, or total
descent above ~20 m per km, after smoothing barometric/GPS elevation noise". High severity from -10 %, the gentlest
slope the damage studies used.

Evidence keys (SI; DownhillEvidence in rules/downhill_evidence.py, beside its note line):
- `descent_per_km_m`: total descent (m) per kilometre of the run
- `total_descent_m`: total descent in metres (3 m hysteresis, after cleaning)
- `steep_distance_m`, `steep_time_s`: distance and time on stretches of at least `downhill_min_stretch_m` whose
  average grade is steeper than -`downhill_grade_pct` (0 when they add up to less than one such stretch)
- `steepest_grade_pct`: steepest average grade over any `downhill_min_stretch_m` stretch (negative, %)
- `steep_pace_s_per_km`: pace on those steep stretches (None when there are none)

A steep stretch only counts inside a descent that loses at least MIN_STEEP_DROP_M (25 m): smoother GPS altitude
wanders by about that much on flat ground (a rolling 20 m dip on a GPS-only watch is not a hill to avoid).

Altitude you can trust (issue 28; streams_math.altitude_profile): sentinels (-9999) and values outside -500..9000 m
are no altitude, a constant channel is a placeholder ("not enough data for downhill"), the first five minutes are
held at the level the recording settles to (GPS altitude settling at the start), the altitude change across a
pause of a minute or more with no distance covered is taken out (a new fix after a stop is not a descent), and the
recording's own noise (the jitter between neighbouring grid points) raises the descent hysteresis (3 SD) and the
minimum drop (5 SD):
+-40 m of noise on a flat rail trail is not a descent. A descent is a descent on the smoothed profile only.
And only on altitude the runner's pace confirms (altitude_trusted): GPS altitude can wander by 50 m smoothly enough
to pass every filter, but its "climbs" then cost the runner no time; real climbs always do. Altitude recorded
with no position fix is the barometer's and stands without that test.

Runs only; treadmill, virtual and indoor runs have no real slope and stay silent, as do runs without altitude.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from syncd.domain.flags import Confidence, Flag, FlagCode, Severity
from syncd.domain.model import BoolArray, FloatArray, Sport
from syncd.domain.rule_versions import RULE_VERSIONS
from syncd.domain.rules.context import RuleContext
from syncd.domain.rules.downhill_evidence import DownhillEvidence
from syncd.domain.streams_math import (
    STOPPED_MPS,
    UPHILL_COST_PER_PCT,
    AltitudeProfile,
    differences,
    segments,
    within_window_of_any,
)
from syncd.domain.thresholds import Thresholds

VERSION: int = RULE_VERSIONS["downhill"]  # bumped in syncd/domain/rule_versions.py

ADVICE = (
    "Keep to level ground while your back settles: choose a flat loop, or walk the steep descents. "
    "Running downhill lands harder on your back."
)
# More than this share of altitude samples dropped as noise makes the figures less certain.
NOISY_SHARE = 0.05
# A steep descent must lose at least this much height to be sustained. GPS altitude without a barometer wanders
# by about +-10 m over a few minutes (vertical error is ~1.5x the horizontal), smoothly enough to survive every
# filter: a 200-300 m "descent" of under 20 m on a flat course is that wander, a real hill loses more. The
# 200 m at -5 % of the rule itself is only 10 m, well inside it.
MIN_STEEP_DROP_M = 25.0
# ... and at least this many times the recording's own altitude noise (AltitudeProfile.noise_m): on a noisy GPS
# altitude a "descent" inside the noise is the noise.
MIN_DROP_NOISE_SDS = 5.0
# Altitude the pace confirms (issue 28: GPS altitude swinging 20-67 m per km over a flat course, +-40 m along a
# rail trail). On a climb as steep as the descents the rule flags, every runner slows: about UPHILL_COST_PER_PCT of
# speed per 1 % of grade for the same effort (streams_math.flat_speed), more when they walk it. When the profile's
# steep climbs do not cost the runner even PACE_SLOWDOWN_SHARE of that against their flat running, the climbs, and
# so the descents beside them, are the altitude's noise, not terrain. Climbs are found as descents are (sustained,
# at least MIN_STEEP_DROP_M high and above the noise); judged only on MIN_CLIMB_EVIDENCE_M of them and
# MIN_FLAT_EVIDENCE_M of flat running (under FLAT_GRADE_PCT); a run that only descends is not judged.
PACE_SLOWDOWN_SHARE = 0.5
FLAT_GRADE_PCT = 2.0
MIN_CLIMB_EVIDENCE_M = 400.0
MIN_FLAT_EVIDENCE_M = 1000.0


def evaluate(ctx: RuleContext) -> Flag | None:
    flag = _profile_flag(ctx)
    return flag if flag is not None and altitude_trusted(ctx) else None


def unconfirmed(ctx: RuleContext) -> bool:
    """True when the profile would make a downhill flag but the runner's pace does not confirm its altitude: what
    data_gaps says instead ("not enough data for downhill")."""
    return _profile_flag(ctx) is not None and not altitude_trusted(ctx)


def _profile_flag(ctx: RuleContext) -> Flag | None:
    """The flag the cleaned profile makes, before asking whether the pace confirms it (computed once per context)."""
    return ctx.derived("downhill_profile_flag", lambda: _from_profile(ctx))


def _from_profile(ctx: RuleContext) -> Flag | None:
    activity = ctx.activity
    if not activity.sport.is_run or activity.sport in (Sport.TREADMILL_RUN, Sport.VIRTUAL_RUN) or activity.indoor:
        return None
    if activity.streams is None:
        return None
    t = ctx.thresholds
    profile = ctx.altitude_profile()
    if profile is None or profile.distance_m[-1] - profile.distance_m[0] < t.downhill_min_stretch_m:
        return None
    length_m = float(profile.distance_m[-1] - profile.distance_m[0])
    descent = profile.total_descent_m()
    per_km = descent / (length_m / 1000.0)
    steep_m, steep_s, steepest = _steep_stretches(profile, _steep(ctx, profile))
    if steep_m < t.downhill_min_stretch_m:
        # Less than one stretch's worth of steep descending: a 200 m window that only just averages -5 % on
        # GPS altitude (a few metres of noise move a 200 m grade by 2-3 %) is not a sustained descent.
        steep_m, steep_s = 0.0, 0.0
    if steep_m <= 0 and per_km < t.downhill_descent_per_km_m:
        return None
    high = steepest <= -t.downhill_high_grade_pct or steep_m >= t.downhill_high_distance_m
    if steep_m > 0:
        confidence = Confidence.HIGH if profile.rejected_share <= NOISY_SHARE else Confidence.MEDIUM
    else:
        confidence = Confidence.MEDIUM if profile.rejected_share <= NOISY_SHARE else Confidence.LOW
    return Flag(
        code=FlagCode.DOWNHILL,
        severity=Severity.HIGH if high else Severity.CAUTION,
        confidence=confidence,
        evidence=DownhillEvidence(
            descent_per_km_m=round(per_km, 1),
            total_descent_m=round(descent, 1),
            steep_distance_m=round(steep_m, 1),
            steep_time_s=round(steep_s, 1),
            steepest_grade_pct=round(steepest, 1),
            steep_pace_s_per_km=round(steep_s / steep_m * 1000.0, 0) if steep_m > 0 else None,
        ).to_evidence(),
        advice=ADVICE,
    )


def altitude_trusted(ctx: RuleContext) -> bool:
    """False when the cleaned profile's sustained steep climbs did not slow the runner (PACE_SLOWDOWN_SHARE).

    True when there is too little steep climbing or flat running to compare: the profile stands. True too for
    altitude recorded with no position fix at all: it is the barometer's (a watch without GPS, a GPS switched off),
    free of the GPS drift this test is for, and its pace comes from a wrist or foot sensor whose readings on
    climbs say little (issue 28: prefer barometric altitude).
    """
    profile = ctx.altitude_profile()
    if profile is None or _barometric(ctx):
        return True
    t = ctx.thresholds
    return ctx.derived(
        "altitude_trusted",
        lambda: _pace_shows_climbs(profile, t.downhill_min_stretch_m, t.downhill_grade_pct, _steep(ctx, profile)[1]),
    )


def _barometric(ctx: RuleContext) -> bool:
    """Altitude with no position fix anywhere in the recording: GPS did not measure it."""
    streams = ctx.activity.streams
    return streams is not None and streams.altitude_m is not None and not streams.has_gps


def _steep(ctx: RuleContext, profile: AltitudeProfile) -> tuple[BoolArray, FloatArray]:
    """`_steep_mask` of the context's profile with its thresholds, computed once (the flag and the pace check)."""
    t = ctx.thresholds
    return ctx.derived("downhill_steep", lambda: _steep_mask(profile, t.downhill_min_stretch_m, t.downhill_grade_pct))


def _pace_shows_climbs(profile: AltitudeProfile, min_stretch_m: float, grade_pct: float, grade: FloatArray) -> bool:
    """Moving speed on the climbs the rule would call steep descents run the other way (the mirrored profile, with
    the same minimum height and noise test), against the speed on flat `min_stretch_m` windows (`grade`: the
    grade of each such window, from `_steep_mask`)."""
    climbs, _ = _steep_mask(replace(profile, altitude_m=-profile.altitude_m), min_stretch_m, grade_pct)
    if grade.size == 0:
        return True
    flat = np.zeros(len(climbs), dtype=bool)
    flat[: len(grade)] = np.abs(grade) < FLAT_GRADE_PCT
    dt = differences(profile.time_s)
    moving = (dt > 0) & (dt <= profile.step_m / STOPPED_MPS)  # standing still is neither fast nor slow
    climbs &= moving
    flat &= moving & ~climbs
    climb_m = np.count_nonzero(climbs) * profile.step_m
    flat_m = np.count_nonzero(flat) * profile.step_m
    if climb_m < MIN_CLIMB_EVIDENCE_M or flat_m < MIN_FLAT_EVIDENCE_M:
        return True
    climb_speed = climb_m / float(dt[climbs].sum())
    flat_speed = flat_m / float(dt[flat].sum())
    rise = differences(profile.altitude_m)[climbs].sum() / climb_m * 100.0
    expected = UPHILL_COST_PER_PCT * min(float(rise), 20.0)  # the slowdown the grade costs at the same effort
    return bool(flat_speed / climb_speed - 1.0 >= PACE_SLOWDOWN_SHARE * expected)


def _steep_mask(profile: AltitudeProfile, min_stretch_m: float, grade_pct: float) -> tuple[BoolArray, FloatArray]:
    """Per grid step, whether it is part of a sustained steep descent; and the grade of each `min_stretch_m` window.

    Averaging over the whole window is what makes a descent "sustained": a short steep step inside a gentle slope
    does not count, a long slope with a few flatter metres still does.
    """
    alt = profile.altitude_m
    k = max(1, round(min_stretch_m / profile.step_m))
    if len(alt) <= k:
        return np.zeros(max(len(alt) - 1, 0), dtype=bool), np.zeros(0)
    grade = (alt[k:] - alt[:-k]) / (k * profile.step_m) * 100.0
    in_steep_window = within_window_of_any(grade <= -grade_pct, k)
    # A steep window reaches a little way onto the flat either side; only its descending steps count.
    local = differences(alt) / profile.step_m * 100.0
    covered = in_steep_window & (local <= -grade_pct / 2)
    min_drop = max(MIN_STEEP_DROP_M, MIN_DROP_NOISE_SDS * profile.noise_m)
    return _without_small_drops(covered, alt, max(1, k // 2), min_drop), grade


def _without_small_drops(covered: BoolArray, alt: FloatArray, bridge: int, min_drop_m: float) -> BoolArray:
    """`covered` with every descent that loses under `min_drop_m` (MIN_STEEP_DROP_M, more on noisy altitude) removed.

    Steep pieces less than `bridge` grid steps apart are one descent (a flatter few metres do not split a hill),
    and its drop is the height lost from its first to its last step.
    """
    starts, ends = segments(covered)
    if len(starts) == 0:
        return covered
    joined = np.concatenate(([True], starts[1:] - ends[:-1] > bridge))
    group = np.cumsum(joined) - 1
    first = starts[joined]
    last = np.concatenate((ends[:-1][joined[1:]], ends[-1:]))
    small = (alt[first] - alt[last]) < min_drop_m
    if not small.any():
        return covered
    out = covered.copy()
    for s, e in zip(starts[small[group]].tolist(), ends[small[group]].tolist(), strict=True):
        out[s:e] = False
    return out


def steep_stretches(profile: AltitudeProfile, thresholds: Thresholds) -> list[tuple[float, float]]:
    """Where the rule's steep descents are, as (start, end) metres from the start: what a chart shades."""
    covered, _grade = _steep_mask(profile, thresholds.downhill_min_stretch_m, thresholds.downhill_grade_pct)
    starts, ends = segments(covered)
    x = profile.distance_m
    return [(float(x[s]), float(x[min(e, len(x) - 1)])) for s, e in zip(starts.tolist(), ends.tolist(), strict=True)]


def _steep_stretches(profile: AltitudeProfile, mask: tuple[BoolArray, FloatArray]) -> tuple[float, float, float]:
    """Distance and time descending inside any steep window (`mask`: `_steep_mask`'s answer), and the steepest
    window's grade."""
    covered, grade = mask
    if grade.size == 0:
        return 0.0, 0.0, 0.0
    # Time per grid step, capped so that standing still on a descent does not count as time spent running it.
    dt = np.minimum(differences(profile.time_s), profile.step_m / STOPPED_MPS)
    steep_m = float(np.count_nonzero(covered)) * profile.step_m
    steep_s = float(dt[covered].sum())
    return steep_m, steep_s, float(grade.min())
