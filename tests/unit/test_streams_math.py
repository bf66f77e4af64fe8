"""Shared stream helpers, on synthetic streams whose truth is known.

`synthetic_streams` and `run_activity` are also the builders the rule tests use.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from syncd.domain.history import HistoryEntry, easy_speed_baseline
from syncd.domain.model import Activity, FloatArray, Lap, Source, Sport, Streams
from syncd.domain.rules.context import RuleContext
from syncd.domain.streams_math import (
    PLAUSIBLE_ALTITUDE_M,
    _plausible_altitude,
    altitude_profile,
    descent_with_hysteresis,
    distance_of,
    find_efforts,
    haversine_cumulative,
    mean_of,
    median_of,
    moving_average,
    pace_s_per_km,
    rolling_median,
    running_speed,
    segments,
    speed_trace,
    within_window_of_any,
)

METRES_PER_DEGREE_LAT = 111_194.9
START = datetime(2026, 5, 4, 7, 0, tzinfo=UTC)


def synthetic_streams(
    plan: Sequence[tuple[float, float | None]],
    *,
    dt: float = 1.0,
    altitude: Callable[[FloatArray], FloatArray] | None = None,
    gps: bool = True,
    distance: bool = True,
    speed: bool = False,
    heart_rate: Callable[[FloatArray], FloatArray] | None = None,
) -> Streams:
    """A run following `plan`: (seconds, m/s) pieces; m/s None is a device pause (no samples, no distance).

    The route runs due north, so GPS distance equals the distance channel; `altitude` maps distance to metres.
    """
    times: list[FloatArray] = []
    speeds: list[FloatArray] = []
    t0 = 0.0
    for seconds, mps in plan:
        if mps is not None:
            t = np.arange(t0, t0 + seconds, dt)
            times.append(t)
            speeds.append(np.full(len(t), float(mps)))
        t0 += seconds
    time = np.concatenate(times)
    v = np.concatenate(speeds)
    step = np.diff(time, prepend=time[0])
    # Distance covered since the previous sample at that sample's speed (a pause adds nothing).
    gap_ok = step <= dt * 1.5
    dist = np.cumsum(np.where(gap_ok, v * step, 0.0))
    lat = 45.0 + dist / METRES_PER_DEGREE_LAT if gps else None
    lon = np.full(len(time), 7.0) if gps else None
    return Streams(
        time_s=time,
        distance_m=dist if distance else None,
        lat=lat,
        lon=lon,
        altitude_m=altitude(dist) if altitude is not None else None,
        speed_mps=v if speed else None,
        heart_rate=heart_rate(time) if heart_rate is not None else None,
    )


def run_activity(
    streams: Streams | None,
    *,
    sport: Sport = Sport.RUN,
    workout_type: int | None = None,
    indoor: bool = False,
    laps: tuple[Lap, ...] = (),
) -> Activity:
    duration = float(streams.time_s[-1]) if streams is not None else 3600.0
    dist = distance_of(streams) if streams is not None else None
    return Activity(
        source=Source.FILE,
        external_id="synthetic",
        sport=sport,
        sport_original=sport.value,
        start_utc=START,
        distance_m=float(dist[-1]) if dist is not None else None,
        elapsed_s=duration,
        workout_type=workout_type,
        indoor=indoor,
        streams=streams,
        laps=laps,
    )


def easy_history(speed_mps: float, runs: int = 8, sport: Sport = Sport.RUN) -> list[HistoryEntry]:
    """Recent runs all at `speed_mps`: an athlete whose easy pace is exactly that."""
    return [
        HistoryEntry(
            key=("file", f"h{i}"),
            sport=sport,
            start_utc=START - timedelta(days=i + 1),
            utc_offset_s=0,
            duration_s=3000.0,
            distance_m=3000.0 * speed_mps,
            average_speed_mps=speed_mps,
        )
        for i in range(runs)
    ]


# --- distance ---------------------------------------------------------------------------------------------------


def test_haversine_one_degree_of_latitude_and_missing_fixes_are_bridged() -> None:
    lat = np.array([45.0, np.nan, 45.5, 46.0])
    lon = np.array([7.0, np.nan, 7.0, 7.0])
    dist = haversine_cumulative(lat, lon)
    assert dist[0] == 0.0
    assert dist[1] == 0.0  # the missing fix adds nothing
    assert dist[-1] == pytest.approx(METRES_PER_DEGREE_LAT, rel=1e-3)
    assert np.all(np.diff(dist) >= 0)


def test_distance_prefers_the_recorded_channel_and_repairs_it() -> None:
    streams = Streams(
        time_s=np.arange(5.0),
        distance_m=np.array([np.nan, 10.0, 9.0, np.nan, 30.0]),  # leading NaN, a step back, a gap
        lat=np.array([45.0, 45.1, 45.2, 45.3, 45.4]),
        lon=np.full(5, 7.0),
    )
    dist = distance_of(streams)
    assert dist is not None
    assert dist.tolist() == [0.0, 0.0, 0.0, 0.0, 20.0]


def test_distance_falls_back_to_gps_then_to_the_speed_sensor() -> None:
    gps_only = synthetic_streams([(100, 3.0)], distance=False)
    dist = distance_of(gps_only)
    assert dist is not None
    assert dist[-1] == pytest.approx(297.0, rel=1e-3)

    # A treadmill with only a speed sensor: integrate speed, but not across a 60 s recording gap.
    time = np.concatenate([np.arange(0.0, 100.0), np.arange(160.0, 260.0)])
    treadmill = Streams(time_s=time, speed_mps=np.full(len(time), 3.0))
    dist = distance_of(treadmill)
    assert dist is not None
    assert dist[-1] == pytest.approx(3.0 * 198, rel=1e-6)


def test_distance_is_none_without_any_source() -> None:
    assert distance_of(Streams(time_s=np.arange(10.0), heart_rate=np.full(10, 120.0))) is None


# --- filters -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("width", [1, 3, 5])
def test_rolling_median_removes_spikes_up_to_five_samples_wide_and_keeps_a_ramp(width: int) -> None:
    ramp = np.linspace(0.0, 50.0, 51)
    spiked = ramp.copy()
    spiked[24 : 24 + width] = -200.0
    # Beside a spike the answer comes from a neighbour a few samples away: at most seven samples of slope.
    assert np.all(np.abs(rolling_median(spiked)[10:40] - ramp[10:40]) <= 7.0)
    assert np.allclose(rolling_median(ramp)[7:-7], ramp[7:-7])
    assert np.array_equal(rolling_median(ramp[:10]), ramp[:10])  # too short to filter


def test_rolling_median_is_exact_on_monotone_data() -> None:
    # On a monotone sequence every window median is its centre (away from the reflected edges).
    values = np.cumsum(np.random.default_rng(3).random(200))
    assert np.array_equal(rolling_median(values)[7:-7], values[7:-7])


def test_moving_average_keeps_constants_and_means() -> None:
    assert np.allclose(moving_average(np.full(20, 7.0), 5), 7.0)
    values = np.arange(10.0)
    assert moving_average(values, 3)[5] == pytest.approx(5.0)
    assert len(moving_average(values, 3)) == len(values)


def test_segments_finds_runs_of_true() -> None:
    starts, ends = segments(np.array([True, True, False, True, False, False, True]))
    assert starts.tolist() == [0, 3, 6]
    assert ends.tolist() == [2, 4, 7]
    starts, ends = segments(np.zeros(4, dtype=bool))
    assert len(starts) == len(ends) == 0


# --- descent -----------------------------------------------------------------------------------------------------


def test_hysteresis_ignores_jitter_and_counts_real_drops() -> None:
    jitter = np.tile([0.0, 1.0, -1.0, 1.5, 0.0], 50)  # swings of up to 2.5 m
    assert descent_with_hysteresis(jitter, 3.0) == 0.0
    hill = np.concatenate([np.linspace(0, 40, 50), np.linspace(40, -10, 50)])
    assert descent_with_hysteresis(hill, 3.0) == pytest.approx(50.0)
    # Two separate descents, each counted in full.
    two = np.array([10.0, 0.0, 8.0, 1.0])
    assert descent_with_hysteresis(two, 3.0) == pytest.approx(17.0)
    assert descent_with_hysteresis(np.array([5.0]), 3.0) == 0.0


@pytest.mark.hypothesis_heavy  # many examples, tenths of a second: the full suite runs it, the quick unit run does not
@settings(max_examples=200, deadline=None)
@given(arrays(np.float64, st.integers(2, 200), elements=st.floats(-500, 500)))
def test_hysteresis_descent_is_bounded_by_the_raw_drops(altitude: FloatArray) -> None:
    raw = float(np.clip(-np.diff(altitude), 0, None).sum())
    descent = descent_with_hysteresis(altitude, 3.0)
    assert 0.0 <= descent <= raw + 1e-6
    assert descent_with_hysteresis(altitude, 0.0) == pytest.approx(raw, abs=1e-6)


# --- altitude ----------------------------------------------------------------------------------------------------


def noisy_flat(seed: int = 1) -> Callable[[FloatArray], FloatArray]:
    """A 0-10 m coastal course as GPS altitude records it: jitter, spikes to -200 m and 0 m dropouts."""

    def profile(dist: FloatArray) -> FloatArray:
        rng = np.random.default_rng(seed)
        alt = 5.0 + 3.0 * np.sin(dist / 900.0) + rng.normal(0.0, 1.5, len(dist))
        spikes = rng.choice(len(dist), size=max(1, len(dist) // 400), replace=False)
        alt[spikes] = -200.0
        alt[:3] = 0.0
        return alt

    return profile


def test_altitude_profile_cleans_spikes_dropouts_and_jitter() -> None:
    streams = synthetic_streams([(3600, 3.0)], altitude=noisy_flat())
    profile = altitude_profile(streams)
    assert profile is not None
    assert np.allclose(np.diff(profile.distance_m), 10.0)
    assert profile.altitude_m.min() > -5.0
    assert profile.altitude_m.max() < 15.0
    # ~10.8 km of a course that only swings a few metres: descent stays small (a naive sum gives thousands).
    assert profile.total_descent_m() < 40.0
    raw = streams.altitude_m
    assert raw is not None
    assert float(np.clip(-np.diff(raw), 0, None).sum()) > 1000.0


def test_altitude_profile_drops_a_zero_dropout_far_above_sea_level() -> None:
    streams = synthetic_streams([(600, 3.0)], altitude=lambda d: np.where(d == 0, 0.0, 1117.0 + 0 * d))
    profile = altitude_profile(streams)
    assert profile is not None
    assert profile.altitude_m.min() == pytest.approx(1117.0)


def test_altitude_profile_keeps_a_real_descent() -> None:
    streams = synthetic_streams([(1000, 3.0)], altitude=lambda d: 300.0 - 0.08 * d)
    profile = altitude_profile(streams)
    assert profile is not None
    assert profile.total_descent_m() == pytest.approx(0.08 * 2997, rel=0.05)
    assert profile.time_s[-1] == pytest.approx(999.0, abs=5.0)


def test_altitude_profile_removes_a_barometer_level_shift() -> None:
    # run.fit does this near its end: flat ground, then the sensor re-zeroes 18 m lower within one sample.
    streams = synthetic_streams([(900, 3.0)], altitude=lambda d: np.where(d < 1500.0, 10.0, -8.0))
    profile = altitude_profile(streams)
    assert profile is not None
    assert profile.total_descent_m() == pytest.approx(0.0, abs=0.5)
    assert float(np.ptp(profile.altitude_m)) < 1.0


def test_altitude_profile_keeps_a_steep_but_runnable_descent() -> None:
    streams = synthetic_streams([(600, 3.0)], altitude=lambda d: np.maximum(200.0 - 0.3 * d, 0.0) + 5.0)
    profile = altitude_profile(streams)
    assert profile is not None
    assert profile.total_descent_m() == pytest.approx(200.0, rel=0.05)


def test_altitude_profile_needs_altitude_and_distance() -> None:
    assert altitude_profile(synthetic_streams([(600, 3.0)])) is None
    no_distance = Streams(time_s=np.arange(100.0), altitude_m=np.full(100, 50.0))
    assert altitude_profile(no_distance) is None
    standing = synthetic_streams([(600, 0.0)], altitude=lambda d: 50.0 + 0 * d)
    assert altitude_profile(standing) is None


# --- speed -------------------------------------------------------------------------------------------------------


def test_speed_trace_reads_pauses_as_stopped() -> None:
    streams = synthetic_streams([(600, 3.0), (300, None), (600, 3.0)])
    trace = speed_trace(streams)
    assert trace is not None
    middle = (trace.time_s > 650) & (trace.time_s < 850)
    assert np.all(trace.speed_mps[middle] < 0.5)
    steady = (trace.time_s > 100) & (trace.time_s < 500)
    assert np.allclose(trace.speed_mps[steady], 3.0, atol=0.01)
    assert trace.moving_time_s[-1] == pytest.approx(1200.0, abs=30.0)


def test_speed_trace_needs_a_minute_of_distance() -> None:
    assert speed_trace(synthetic_streams([(30, 3.0)])) is None
    assert speed_trace(Streams(time_s=np.arange(600.0))) is None


def test_running_speed_ignores_walking_breaks() -> None:
    streams = synthetic_streams([(300, 3.0), (200, 1.3)] * 4)
    trace = speed_trace(streams)
    assert trace is not None
    assert running_speed(trace) == pytest.approx(3.0, abs=0.05)


def test_find_efforts_measures_reps_and_recoveries() -> None:
    plan = [(600.0, 2.7)] + [(60.0, 4.0), (90.0, 1.5)] * 6 + [(600.0, 2.7)]
    trace = speed_trace(synthetic_streams(plan))
    assert trace is not None
    efforts = find_efforts(trace, 3.3)
    assert len(efforts) == 6
    for effort in efforts:
        assert effort.duration_s == pytest.approx(60.0, abs=6.0)
        assert effort.distance_m == pytest.approx(240.0, abs=25.0)
        assert effort.speed_mps > 3.5
    assert all(e.recovery_s == pytest.approx(90.0, abs=8.0) for e in efforts[:-1])
    assert all(e.recovery_speed_mps is not None and e.recovery_speed_mps < 2.0 for e in efforts[:-1])


def test_find_efforts_merges_a_steady_run_with_short_dips() -> None:
    trace = speed_trace(synthetic_streams([(240.0, 3.5), (4.0, 2.0)] * 10))
    assert trace is not None
    efforts = find_efforts(trace, 3.3)
    assert len(efforts) == 1
    assert efforts[0].duration_s > 2000


# --- history -----------------------------------------------------------------------------------------------------


def test_easy_speed_is_the_median_of_earlier_plain_runs() -> None:
    history = easy_history(2.5, runs=3) + easy_history(3.0, runs=1) + easy_history(3.5, runs=3)
    assert easy_speed_baseline(history, START) == pytest.approx(3.0)
    races = [
        HistoryEntry(("f", f"r{i}"), Sport.RUN, START - timedelta(days=1), 0, 1200.0, 5000.0, None, 4.5, 1)
        for i in range(9)
    ]
    rides = easy_history(8.0, runs=9, sport=Sport.RIDE)
    trails = easy_history(1.5, runs=9, sport=Sport.TRAIL_RUN)
    assert easy_speed_baseline(races + rides + trails + history, START) == pytest.approx(3.0)


def test_easy_speed_ignores_later_old_hilly_and_short_runs() -> None:
    history = easy_history(3.0, runs=3)
    later = [replace(e, key=("f", f"later{i}"), start_utc=START + timedelta(days=i)) for i, e in enumerate(history)]
    old = [replace(e, key=("f", f"old{i}"), start_utc=START - timedelta(days=60)) for i, e in enumerate(history)]
    hilly = [
        replace(e, key=("f", f"hill{i}"), average_speed_mps=2.0, elevation_gain_m=300.0) for i, e in enumerate(history)
    ]
    short = [replace(e, key=("f", f"short{i}"), average_speed_mps=2.0, duration_s=600.0) for i, e in enumerate(history)]
    assert easy_speed_baseline(history + later + old + hilly + short, START) == pytest.approx(3.0)


def test_easy_speed_leaves_out_runs_well_above_the_usual_heart_rate() -> None:
    """Issue 28: a runner who often races unmarked. Five easy runs (four at 3.0 m/s, one at 3.3; 140-141 bpm, their
    usual) and four hard ones at 3.6 m/s (165 bpm, 17 % above it): the median of all nine calls 3.3 m/s easy, the
    easy runs alone 3.0. Runs without heart rate still count: nothing says they were hard."""

    def runs(speed: float, bpm: float | None, count: int, tag: str) -> list[HistoryEntry]:
        return [
            replace(e, key=("f", f"{tag}{i}"), average_heart_rate=bpm)
            for i, e in enumerate(easy_history(speed, runs=count))
        ]

    easy = runs(3.0, 140.0, 4, "easy") + runs(3.3, 141.0, 1, "steady")
    hard = runs(3.6, 165.0, 4, "hard")
    ctx = RuleContext(run_activity(None), history=easy + hard)
    assert ctx.usual_heart_rate() == 141.0
    assert ctx.easy_speed() == pytest.approx(3.0)  # the hard runs are 17 % above 141 bpm: left out
    assert easy_speed_baseline(easy + hard, START) == pytest.approx(3.3)  # all nine
    no_heart = runs(3.6, None, 4, "noheart")
    assert RuleContext(run_activity(None), history=easy + no_heart).easy_speed() == pytest.approx(3.3)


def test_easy_speed_needs_enough_runs() -> None:
    assert easy_speed_baseline(easy_history(3.0, runs=2), START) is None
    assert easy_speed_baseline([], START) is None
    assert easy_speed_baseline(easy_history(3.0, runs=2), START, min_runs=2) == pytest.approx(3.0)


def test_pace_rounds_to_seconds_per_km() -> None:
    assert pace_s_per_km(4.0) == 250.0
    assert pace_s_per_km(0.0) is None
    assert pace_s_per_km(None) is None


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(0.6, 8.0), min_size=3, max_size=60))
def test_easy_speed_is_the_median_of_any_plain_runs(speeds: list[float]) -> None:
    history = [
        HistoryEntry(("f", str(i)), Sport.RUN, START - timedelta(hours=i + 1), 0, 1000.0, 1000.0 * v, None, v)
        for i, v in enumerate(speeds)
    ]
    expected = float(np.median(np.asarray(speeds)))
    assert easy_speed_baseline(history, START) == pytest.approx(expected, rel=1e-9, abs=1e-12)


@settings(max_examples=200, deadline=None)
@given(arrays(np.float64, st.integers(0, 60), elements=st.floats(-1e6, 1e6) | st.just(np.nan)))
def test_median_of_is_numpys_median(values: FloatArray) -> None:
    """The hot-path median gives np.median's answer to the bit: the mean of the two middle values when the count is
    even, NaN when empty or when a sample is NaN (the rules compare its result with thresholds)."""
    expected = float(np.median(values)) if len(values) else float("nan")
    got = median_of(values)
    assert (np.isnan(expected) and np.isnan(got)) or got == expected


@pytest.mark.parametrize("duration_s", [60.0, 61.0, 62.0, 100.0, 3600.0])
def test_speed_trace_window_spans_at_every_length(duration_s: float) -> None:
    """Each grid point's speed is the distance over the window's own span, shorter at the ends (a steady 3 m/s
    reads 3 m/s everywhere, the first and last points included)."""
    time = np.linspace(0.0, duration_s, 37)
    trace = speed_trace(Streams(time_s=time, distance_m=3.0 * time))
    assert trace is not None
    np.testing.assert_allclose(trace.speed_mps, 3.0, rtol=1e-12)


def test_speed_trace_shares_read_only_moving_masks() -> None:
    """The moving mask and moving time are derived once and shared by every rule, so no reader may change them."""
    time = np.arange(600, dtype=np.float64)
    trace = speed_trace(Streams(time_s=time, distance_m=np.minimum(time, 300.0) * 3.0))
    assert trace is not None
    assert trace.moving is trace.moving and trace.moving_time_s is trace.moving_time_s
    assert trace.moving[:100].all() and not trace.moving[200:].any()
    assert float(trace.moving_time_s[-1]) == pytest.approx(300.0, abs=12.0)
    with pytest.raises(ValueError):
        trace.moving[0] = False


def _reference_descent(altitude: FloatArray, threshold_m: float) -> float:
    """The Schmitt trigger over every sample, written plainly: what descent_with_hysteresis must equal."""
    points = altitude.tolist()
    descent, direction = 0.0, 0
    high = low = anchor = current = points[0]
    for value in points[1:]:
        if direction == 0:
            high, low = max(high, value), min(low, value)
            if high - value >= threshold_m:
                direction, anchor, current = -1, high, value
            elif value - low >= threshold_m:
                direction, anchor, current = 1, low, value
        elif direction < 0:
            if value < current:
                current = value
            elif value - current >= threshold_m:
                descent += anchor - current
                direction, anchor, current = 1, current, value
        elif value > current:
            current = value
        elif current - value >= threshold_m:
            direction, anchor, current = -1, current, value
    return descent + (anchor - current if direction < 0 else 0.0)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.integers(-8, 8), min_size=2, max_size=300),
    st.sampled_from([0.5, 3.0, 3.5, 10.0]),
    st.sampled_from([0.25, 1.0, 1.7]),
)
def test_descent_skips_notches_without_changing_a_bit(steps: list[int], threshold_m: float, scale: float) -> None:
    """Removing notches before the trigger (issue 28's speed target) leaves the total descent exactly as the plain
    trigger over every sample has it, for jittery profiles with many small swings and ties."""
    altitude = np.cumsum(np.asarray(steps, dtype=np.float64) * scale)
    assert descent_with_hysteresis(altitude, threshold_m) == _reference_descent(altitude, threshold_m)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.floats(0.01, 6.0), min_size=1, max_size=300),
    st.lists(st.booleans(), min_size=300, max_size=300),
    st.sampled_from([0.5, 3.0, 3.5, 10.0]),
)
def test_descent_without_flat_steps_is_the_plain_trigger(
    sizes: list[float], ups: list[bool], threshold_m: float
) -> None:
    """A profile with no flat step (the smoothed usual case) takes the turning points from one sign mask: the
    descent is still, to the bit, the plain trigger over every sample."""
    steps = np.asarray([size if up else -size for size, up in zip(sizes, ups, strict=False)])
    altitude = np.concatenate(([100.0], 100.0 + np.cumsum(steps)))
    assert np.count_nonzero(np.diff(altitude)) == len(altitude) - 1
    assert descent_with_hysteresis(altitude, threshold_m) == _reference_descent(altitude, threshold_m)


def test_descent_keeps_a_new_low_inside_a_small_swing() -> None:
    """10 -> 5 -> 7 -> 6 -> 20 with 3 m hysteresis descends 5 m: the dip to 5 is the descent's bottom even though
    it is followed by a swing of only 2 m, so it is no notch to skip."""
    altitude = np.array([10.0, 5.0, 7.0, 6.0, 20.0])
    assert descent_with_hysteresis(altitude, 3.0) == _reference_descent(altitude, 3.0) == 5.0


@settings(max_examples=300, deadline=None)
@given(st.lists(st.booleans(), min_size=1, max_size=80), st.integers(1, 30))
def test_window_of_any_is_the_convolution_it_replaces(mask: list[bool], width: int) -> None:
    """The running count gives, to the element, `np.convolve(mask, ones(width), "full") > 0.5`, which the downhill
    rule's steep windows were before (issue 28's speed target)."""
    values = np.asarray(mask, dtype=np.bool_)
    expected = np.convolve(values.astype(np.float64), np.ones(width), mode="full") > 0.5
    got = within_window_of_any(values, width)
    assert got.dtype == np.bool_ and got.shape == expected.shape and (got == expected).all()


@settings(max_examples=200, deadline=None)
@given(
    st.integers(2, 400),
    st.sampled_from([1.0, 2.0, 3.0, 2.5]),
    st.integers(1, 8),
    st.sampled_from(["regular", "jitter", "late_start"]),
    st.integers(0, 2**31),
)
def test_speed_trace_is_the_interpolated_window_it_replaces(
    n: int, step_s: float, k: int, timing: str, seed: int
) -> None:
    """The speed trace's grid read off 1 Hz samples and its window in three slices equal, to the bit, np.interp
    onto the grid and the padded window over spans (the plain computation) on regular and irregular clocks."""
    rng = np.random.default_rng(seed)
    time = np.arange(n, dtype=np.float64) + (100.0 if timing == "late_start" else 0.0)
    if timing == "jitter":
        time = np.cumsum(rng.uniform(0.5, 1.5, n))
    distance = np.cumsum(rng.uniform(0.0, 6.0, n))
    streams = Streams(time_s=time, distance_m=distance)
    trace = speed_trace(streams, step_s=step_s, half_window_s=k * step_s)
    if trace is None:
        assert time[-1] - time[0] < 60.0
        return
    grid = np.arange(0.0, time[-1] - time[0] + 1e-9, step_s)
    dist_grid = np.interp(grid, time - time[0], distance_of(streams))
    dist_grid -= dist_grid[0]
    m = len(grid)
    ahead = np.concatenate((dist_grid[k:], np.full(min(k, m), dist_grid[-1])))
    behind = np.concatenate((np.zeros(min(k, m)), dist_grid[:-k]))
    index = np.arange(m)
    spans = np.maximum((np.minimum(index + k, m - 1) - np.maximum(index - k, 0)) * step_s, step_s)
    assert trace.distance_m.tobytes() == dist_grid.tobytes()
    assert trace.speed_mps.tobytes() == ((ahead - behind) / spans).tobytes()


@settings(max_examples=200, deadline=None)
@given(arrays(np.float64, st.integers(0, 40), elements=st.floats(-1e4, 1e5) | st.sampled_from([np.nan, 0.0, -9999.0])))
def test_plausible_altitude_is_the_mask_it_replaces(altitude: FloatArray) -> None:
    """Two reductions give the plain mask of finite altitudes in PLAUSIBLE_ALTITUDE_M, its count and np.ptp."""
    low, high = PLAUSIBLE_ALTITUDE_M
    valid = np.isfinite(altitude) & (altitude >= low) & (altitude <= high)
    got_valid, count, spread, above_zero = _plausible_altitude(altitude)
    assert not above_zero or bool((altitude > 0.0).all())
    assert (got_valid == valid).all() and count == int(valid.sum())
    if count:
        assert spread == float(np.ptp(altitude[valid]))


@settings(max_examples=200, deadline=None)
@given(arrays(np.float64, st.integers(1, 300), elements=st.floats(-1e9, 1e9)))
def test_mean_of_is_numpys_mean(values: FloatArray) -> None:
    """The hot-path mean is ndarray.mean to the bit (the same pairwise sum over the same count)."""
    assert mean_of(values) == float(values.mean())
