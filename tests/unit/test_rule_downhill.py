"""downhill: sustained steep descents and descent per km, on synthetic altitude with known grades."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pytest

from syncd.domain.flags import Confidence, Flag, FlagCode, Severity
from syncd.domain.model import FloatArray, Sport, Streams
from syncd.domain.rules import downhill
from syncd.domain.rules.context import RuleContext
from syncd.domain.streams_math import UPHILL_COST_PER_PCT, altitude_profile
from syncd.domain.thresholds import Thresholds
from tests.unit.test_streams_math import noisy_flat, run_activity, synthetic_streams

DEFAULTS = Thresholds()


def descent_after(
    start_m: float, length_m: float, grade_pct: float, top: float = 200.0
) -> Callable[[FloatArray], FloatArray]:
    """Flat at `top`, then a straight descent at `grade_pct` for `length_m`, then flat again."""

    def profile(dist: FloatArray) -> FloatArray:
        down = np.clip(dist - start_m, 0.0, length_m)
        return top - down * grade_pct / 100.0

    return profile


def hilly_run(altitude: Callable[[FloatArray], FloatArray], length_m: float, flat_mps: float = 3.0) -> Streams:
    """A run over `altitude` that slows on the climbs as every runner does (streams_math.flat_speed's cost of 3.3 %
    of speed per 1 % of grade): a constant speed up an 8 % climb is what GPS altitude noise looks like."""
    edges = np.arange(0.0, length_m, 50.0)
    grade = (altitude(edges + 50.0) - altitude(edges)) / 50.0 * 100.0
    speeds = flat_mps / (1 + UPHILL_COST_PER_PCT * np.clip(grade, 0.0, 20.0))
    return synthetic_streams([(50.0 / v, float(v)) for v in speeds], altitude=altitude)


def evaluate(
    streams: Streams, *, sport: Sport = Sport.RUN, indoor: bool = False, thresholds: Thresholds = DEFAULTS
) -> Flag | None:
    return downhill.evaluate(RuleContext(run_activity(streams, sport=sport, indoor=indoor), thresholds=thresholds))


def test_flat_course_with_noisy_gps_altitude_is_not_flagged() -> None:
    for seed in range(5):
        assert evaluate(synthetic_streams([(4800, 2.9)], altitude=noisy_flat(seed))) is None


def test_moderate_sustained_descent_is_a_caution_with_its_numbers() -> None:
    # 5 km run, 600 m at -7 % in the middle: 42 m down.
    flag = evaluate(synthetic_streams([(1667, 3.0)], altitude=descent_after(2000, 600, 7.0)))
    assert flag is not None
    assert flag.code is FlagCode.DOWNHILL
    assert flag.severity is Severity.CAUTION
    assert flag.confidence is Confidence.HIGH
    ev = flag.evidence
    assert ev["steepest_grade_pct"] == pytest.approx(-7.0, abs=0.3)
    assert ev["steep_distance_m"] == pytest.approx(600, abs=60)
    assert ev["steep_time_s"] == pytest.approx(200, abs=25)
    assert ev["steep_pace_s_per_km"] == pytest.approx(333, abs=5)
    assert ev["total_descent_m"] == pytest.approx(42, abs=3)
    assert ev["descent_per_km_m"] == pytest.approx(42 / 5.0, abs=1)
    assert flag.advice and not any(ch.isdigit() for ch in flag.advice)


def test_ten_percent_or_a_long_steep_stretch_is_high() -> None:
    steep = evaluate(synthetic_streams([(1667, 3.0)], altitude=descent_after(2000, 400, 12.0)))
    assert steep is not None
    assert steep.severity is Severity.HIGH
    assert steep.evidence["steepest_grade_pct"] == pytest.approx(-12.0, abs=0.5)
    long = evaluate(synthetic_streams([(2000, 3.0)], altitude=descent_after(1000, 1500, 6.0)))
    assert long is not None
    assert long.severity is Severity.HIGH
    assert long.evidence["steep_distance_m"] == pytest.approx(1500, abs=100)


def test_a_short_steep_step_is_not_sustained() -> None:
    # -9 % for only 100 m (9 m down, -4.5 % over any 200 m) in a 5 km run: neither sustained nor much per km.
    assert evaluate(synthetic_streams([(1667, 3.0)], altitude=descent_after(2000, 100, 9.0))) is None


def test_rolling_course_is_flagged_on_descent_per_km_alone() -> None:
    # 4.8 % rollers (below the steep grade) that lose 24 m every km.
    def rollers(dist: FloatArray) -> FloatArray:
        phase = np.mod(dist, 1000.0)
        return np.where(phase < 500.0, phase * 0.048, 24.0 - (phase - 500.0) * 0.048)

    flag = evaluate(synthetic_streams([(3333, 3.0)], altitude=rollers))
    assert flag is not None
    assert flag.severity is Severity.CAUTION
    assert flag.confidence is Confidence.MEDIUM
    assert flag.evidence["steep_distance_m"] == 0
    assert flag.evidence["steep_pace_s_per_km"] is None
    assert flag.evidence["descent_per_km_m"] == pytest.approx(24.0, abs=2.5)


def test_thresholds_are_honoured() -> None:
    streams = synthetic_streams([(1667, 3.0)], altitude=descent_after(2000, 600, 7.0))
    assert evaluate(streams, thresholds=Thresholds(downhill_grade_pct=8.0, downhill_descent_per_km_m=50.0)) is None
    # Averaged over 1 km, the 600 m at -7 % is only -4.2 %.
    long_window = Thresholds(downhill_min_stretch_m=1000.0, downhill_descent_per_km_m=50.0)
    assert evaluate(streams, thresholds=long_window) is None


@pytest.mark.parametrize("sport", [Sport.TREADMILL_RUN, Sport.VIRTUAL_RUN, Sport.HIKE, Sport.WALK, Sport.RIDE])
def test_only_outdoor_runs_are_judged(sport: Sport) -> None:
    streams = synthetic_streams([(1667, 3.0)], altitude=descent_after(1000, 1000, 10.0))
    assert evaluate(streams, sport=sport) is None


def test_indoor_marker_silences_the_rule() -> None:
    streams = synthetic_streams([(1667, 3.0)], altitude=descent_after(1000, 1000, 10.0))
    assert evaluate(streams, indoor=True) is None
    assert evaluate(streams) is not None


def test_no_altitude_or_no_streams_is_silent() -> None:
    assert evaluate(synthetic_streams([(1667, 3.0)])) is None
    assert downhill.evaluate(RuleContext(run_activity(None))) is None


def test_too_short_a_run_is_silent() -> None:
    assert evaluate(synthetic_streams([(50, 3.0)], altitude=lambda d: 100.0 - 0.2 * d)) is None


def test_gps_gap_and_pause_do_not_break_the_descent() -> None:
    # A pause in the middle of the descent and a stretch with no altitude fixes.
    def with_gap(dist: FloatArray) -> FloatArray:
        alt = descent_after(1000, 1000, 8.0)(dist)
        alt[(dist > 1300) & (dist < 1500)] = np.nan
        return alt

    flag = evaluate(synthetic_streams([(500, 3.0), (300, None), (1000, 3.0)], altitude=with_gap))
    assert flag is not None
    assert flag.evidence["steepest_grade_pct"] == pytest.approx(-8.0, abs=0.5)
    # The pause is not time spent running downhill.
    assert flag.evidence["steep_time_s"] < 1100 / 3.0 + 30


def test_an_altitude_jump_across_a_pause_is_no_descent() -> None:
    # A flat run with GPS altitude jitter (+-4 m: too noisy for the level-shift repair) stops for 10 minutes at
    # 3.4 km and the altitude comes back 237 m lower: nobody ran that descent.
    rng = np.random.default_rng(7)
    streams = synthetic_streams(
        [(1134, 3.0), (600, None), (1100, 3.0)], altitude=lambda d: 50 + rng.normal(0, 4, len(d))
    )
    assert streams.altitude_m is not None
    after = streams.time_s >= 1734
    shifted = replace(streams, altitude_m=np.where(after, streams.altitude_m - 237.0, streams.altitude_m))
    assert evaluate(shifted) is None
    profile = altitude_profile(shifted)
    assert profile is not None and float(np.ptp(profile.altitude_m)) < 30
    # The same drop with no pause (distance covered between the samples) is not taken out here.
    running = synthetic_streams([(2234, 3.0)], altitude=lambda d: 50 + rng.normal(0, 4, len(d)))
    assert running.altitude_m is not None
    dropped = replace(
        running, altitude_m=np.where(running.time_s >= 1134, running.altitude_m - 237.0, running.altitude_m)
    )
    moving_profile = altitude_profile(dropped)
    assert moving_profile is not None and float(np.ptp(moving_profile.altitude_m)) > 200


def test_five_hour_ultra_at_one_hertz() -> None:
    def mountains(dist: FloatArray) -> FloatArray:
        return 1000.0 + 300.0 * np.sin(dist / 4000.0)

    flag = evaluate(hilly_run(mountains, 45_000.0, flat_mps=2.5))
    assert flag is not None
    # Max grade of 300 sin(d/4000) is 7.5 %; 45 km hold several such descents.
    assert flag.evidence["steepest_grade_pct"] == pytest.approx(-7.5, abs=0.3)
    assert flag.evidence["steep_distance_m"] > 5000


def test_a_descent_shorter_than_one_stretch_is_not_sustained() -> None:
    # 160 m at -7 %: the 200 m window around it averages about -5.6 %, but there is less than one stretch of it.
    assert evaluate(synthetic_streams([(4800, 2.9)], altitude=descent_after(3000.0, 160.0, 7.0))) is None
    flag = evaluate(synthetic_streams([(4800, 2.9)], altitude=descent_after(3000.0, 400.0, 7.0)))
    assert flag is not None and flag.evidence["steep_distance_m"] >= 200.0


def test_gps_altitude_wander_of_under_25_m_is_not_a_sustained_descent() -> None:
    # c2eb1b_8 (Forerunner 410, GPS altitude): on a flat 8 km, bumps of ~20 m that go down at -8 % for 250 m.
    def wander(dist: FloatArray) -> FloatArray:
        phase = np.mod(dist, 2000.0)
        up = np.clip(phase - 500.0, 0.0, 250.0) * 0.08
        down = np.clip(phase - 750.0, 0.0, 250.0) * 0.08
        return 1100.0 + up - down

    streams = synthetic_streams([(2700, 3.0)], altitude=wander)
    assert evaluate(streams) is None
    # The same shape with 30 m of height lost each time is a hill.
    assert evaluate(hilly_run(lambda d: 1.5 * wander(d) - 550.0, 8100.0)) is not None


# ---- issue 28: altitude you can trust -------------------------------------------------------------------------


def test_gps_altitude_settling_at_the_start_is_no_descent() -> None:
    """A marathon start: 261 -> 337 -> 272 m within the first 5 minutes, then a flat city course."""

    def settling(dist: FloatArray) -> FloatArray:
        return np.interp(dist, [0.0, 400.0, 800.0, 900.0, 1e9], [261.0, 337.0, 272.0, 272.0, 272.0])

    streams = synthetic_streams([(3600.0, 2.9)], altitude=settling)
    assert evaluate(streams) is None
    profile = altitude_profile(streams)
    assert profile is not None and profile.total_descent_m() < 5.0

    def fake_drop(dist: FloatArray) -> FloatArray:  # a flat city run whose GPS altitude starts 143 m too high
        return np.interp(dist, [0.0, 700.0, 1e9], [415.0, 272.0, 272.0])

    assert evaluate(synthetic_streams([(3600.0, 2.9)], altitude=fake_drop)) is None


def test_a_real_descent_from_the_start_is_kept() -> None:
    """An 8 % descent that goes on past the first five minutes is terrain, not settling."""
    flag = evaluate(synthetic_streams([(1500.0, 3.0)], altitude=lambda d: 500.0 - 0.08 * d))
    assert flag is not None and flag.evidence["total_descent_m"] == pytest.approx(0.08 * 4497, rel=0.05)


def test_forty_metres_of_noise_on_a_flat_rail_trail_is_no_descent() -> None:
    """GPS altitude jittering +-40 m around a flat rail trail: before issue 28 the level-shift removal turned the
    jitter into a random walk of 100+ m and the rule saw 20+ m of descent per km."""
    for seed in range(4):
        rng = np.random.default_rng(seed)

        def noisy(dist: FloatArray, rng: np.random.Generator = rng) -> FloatArray:
            return 120.0 + rng.uniform(-40.0, 40.0, len(dist))

        streams = synthetic_streams([(4800.0, 2.9)], altitude=noisy)
        profile = altitude_profile(streams)
        assert profile is not None and profile.noise_m > 3.0 and profile.hysteresis_m > 9.0
        assert float(np.ptp(profile.altitude_m)) < 40.0
        assert evaluate(streams) is None


def test_a_real_hill_under_the_same_noise_is_still_a_descent() -> None:
    rng = np.random.default_rng(3)

    def hill(dist: FloatArray) -> FloatArray:
        return descent_after(6000, 1500, 8.0, top=300.0)(dist) + rng.uniform(-40.0, 40.0, len(dist))

    flag = evaluate(synthetic_streams([(4800.0, 2.9)], altitude=hill))
    assert flag is not None and flag.evidence["steep_distance_m"] >= 500.0  # the 1.5 km at -8 % survives the noise


def smooth_wander(dist: FloatArray) -> FloatArray:
    """GPS altitude over a flat course rising 40 m at 8 % and falling back every 2 km: smooth enough to pass the
    spike, settling and noise filters (issue 28: an eTrex and a Polar swinging 20-67 m per km around Singapore)."""
    return 30.0 + np.interp(np.mod(dist, 2000.0), [0.0, 1000.0, 1500.0, 2000.0], [0.0, 0.0, 40.0, 0.0])


def test_climbs_the_runner_did_not_slow_on_are_altitude_noise() -> None:
    """Issue 28: a flat city run whose GPS altitude wanders by 40 m. Its "climbs" of 8 % cost the runner
    nothing, which no real climb does, so neither its climbs nor its descents are terrain."""
    even = synthetic_streams([(13_000 / 3.0, 3.0)], altitude=smooth_wander)
    assert evaluate(even) is None
    ctx = RuleContext(run_activity(even))
    assert not downhill.altitude_trusted(ctx)
    # The same profile run as a runner runs real hills (slower up the climbs) is terrain: the descents count.
    hills = hilly_run(smooth_wander, 13_000.0)
    assert downhill.altitude_trusted(RuleContext(run_activity(hills)))
    flag = evaluate(hills)
    assert flag is not None and flag.evidence["steep_distance_m"] > 1000


def test_barometric_altitude_needs_no_pace_to_confirm_it() -> None:
    """Issue 28 (cwp_outdoor_*: a Polar half and marathon with no GPS, barometric altitude, pace from the wrist):
    altitude recorded with no position fix is the barometer's, free of the GPS drift the pace test rejects, so its
    descents count even when the wrist's pace does not slow on the climbs."""
    no_gps = synthetic_streams([(13_000 / 3.0, 3.0)], altitude=smooth_wander, gps=False)
    assert downhill.altitude_trusted(RuleContext(run_activity(no_gps)))
    flag = evaluate(no_gps)
    assert flag is not None and flag.evidence["steep_distance_m"] > 1000


def test_a_descent_with_no_climb_to_compare_keeps_its_profile() -> None:
    """A point-to-point descent has no climb to check the altitude against: it stands."""
    streams = synthetic_streams([(1500.0, 3.0)], altitude=lambda d: 500.0 - 0.08 * d)
    assert downhill.altitude_trusted(RuleContext(run_activity(streams)))
    assert evaluate(streams) is not None
