"""The shared numeric helpers of the file adapters: distance, gaps, gain/loss with hysteresis, moving time."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from syncd.adapters.files import numeric
from syncd.adapters.files.parsed import make_streams, plausible_offset

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)
maybe_nan = st.one_of(finite, st.just(float("nan")))


def test_one_degree_of_latitude_is_about_111_km() -> None:
    distance = numeric.cumulative_distance(np.array([45.0, 46.0]), np.array([14.0, 14.0]))
    assert distance[-1] == pytest.approx(111_195, rel=1e-3)


def test_gps_gaps_neither_add_nor_lose_distance() -> None:
    lat = np.array([45.0, np.nan, 45.001, 45.002])
    lon = np.array([14.0, np.nan, 14.0, 14.0])
    distance = numeric.cumulative_distance(lat, lon)
    assert distance[-1] == pytest.approx(222.4, rel=1e-2)
    assert np.all(np.diff(distance) >= 0)


@given(arrays(np.float64, st.integers(0, 60), elements=maybe_nan))
def test_monotonic_distance_never_decreases_and_has_no_gaps(values: np.ndarray) -> None:
    out = numeric.monotonic_distance(values)
    assert len(out) == len(values)
    assert np.all(np.isfinite(out))
    assert np.all(np.diff(out) >= 0)


@given(arrays(np.float64, st.integers(1, 60), elements=maybe_nan))
def test_forward_fill_only_fills_after_the_first_value(values: np.ndarray) -> None:
    out = numeric.forward_fill(values)
    real = np.isfinite(values)
    np.testing.assert_array_equal(out[real], values[real])
    if real.any():
        first = int(np.argmax(real))
        assert np.all(np.isnan(out[:first])) and np.all(np.isfinite(out[first:]))


def test_elevation_hysteresis_ignores_noise_below_3_m() -> None:
    noisy = np.array([10.0, 12.0, 10.0, 12.0, 10.0, 12.0])
    assert numeric.elevation_gain_loss(noisy) == (0.0, 0.0)
    climb = np.array([10.0, 14.0, 20.0, 15.0, 9.0])
    assert numeric.elevation_gain_loss(climb) == (10.0, 11.0)
    assert numeric.elevation_gain_loss(None) == (None, None)


def test_moving_time_skips_stops() -> None:
    time_s = np.arange(0.0, 7.0)
    distance = np.array([0.0, 3.0, 6.0, 6.0, 6.0, 9.0, 12.0])  # 3 m/s, 2 s stopped, 3 m/s
    assert numeric.moving_time(time_s, distance) == 4.0


def test_streams_drop_null_island_and_zero_heart_rate() -> None:
    streams = make_streams(
        np.arange(3.0),
        lat=np.array([0.0, 45.0, 45.001]),
        lon=np.array([0.0, 14.0, 14.0]),
        heart_rate=np.array([0.0, 0.0, 0.0]),
    )
    assert streams.lat is not None and np.isnan(streams.lat[0])
    assert streams.heart_rate is None
    assert streams.distance_m is not None and streams.distance_m[-1] == pytest.approx(111.2, rel=1e-2)


@pytest.mark.parametrize(("delta", "expected"), [(7200, 7200), (-18000, -18000), (19800.4, 19800), (1e9, 0), (None, 0)])
def test_utc_offsets_outside_real_zones_are_ignored(delta: float | None, expected: int) -> None:
    assert plausible_offset(delta) == expected
