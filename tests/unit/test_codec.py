"""The streams codec is lossless: every value comes back equal (==), NaNs stay NaN at the same positions."""

from __future__ import annotations

import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from syncd.adapters.db.codec import FORMAT_VERSION, CodecError, decode_streams, encode_streams
from syncd.domain.model import Streams


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.dtype == b.dtype == np.float64 and np.array_equal(a, b, equal_nan=True)


def _assert_round_trip(streams: Streams) -> bytes:
    blob = encode_streams(streams)
    back = decode_streams(blob)
    assert back == streams
    assert back.channels().keys() == streams.channels().keys()
    for name, column in streams.channels().items():
        assert _same(back.channels()[name], column), name
        assert np.array_equal(np.isnan(back.channels()[name]), np.isnan(column))
    return blob


def run_hour(n: int = 3600, seed: int = 1) -> Streams:
    """A 1 Hz hour of running as a watch records it: 1e-7 deg GPS, 0.1 m altitude/distance, 1 mm/s speed."""
    rng = np.random.default_rng(seed)
    speed = np.clip(2.9 + np.cumsum(rng.normal(0, 0.02, n)) * 0.1 + rng.normal(0, 0.15, n), 0.5, 6.0)
    heading = np.cumsum(rng.normal(0, 0.05, n))
    lat = 1.3094670 + np.cumsum(speed * np.cos(heading)) / 111_320 + rng.normal(0, 2e-6, n)
    lon = 103.8966970 + np.cumsum(speed * np.sin(heading)) / 111_320 + rng.normal(0, 2e-6, n)
    heart_rate = np.round(np.clip(125 + np.cumsum(rng.normal(0, 0.3, n)), 90, 190))
    heart_rate[:8] = np.nan
    return Streams(
        time_s=np.arange(n, dtype=float),
        distance_m=np.round(np.cumsum(speed), 1),
        lat=np.round(lat, 7),
        lon=np.round(lon, 7),
        altitude_m=np.round(5 + np.cumsum(rng.normal(0, 0.3, n)) * 0.2, 1),
        speed_mps=np.round(speed, 3),
        heart_rate=heart_rate,
        cadence=np.round(80 + rng.normal(0, 1.5, n)),
    )


def test_realistic_hour_round_trips_and_is_small() -> None:
    streams = run_hour()
    blob = _assert_round_trip(streams)
    raw_size = 8 * 8 * len(streams)
    assert blob[0] == FORMAT_VERSION
    # Measured 2026-11: about 20 kB for this hour (230 kB as raw float64). Keep a margin, catch regressions.
    assert len(blob) < 30_000, len(blob)
    assert len(blob) < raw_size / 7


def test_full_precision_floats_still_round_trip_exactly() -> None:
    rng = np.random.default_rng(3)
    n = 1000
    streams = Streams(
        time_s=np.cumsum(rng.uniform(0.9, 1.1, n)),
        distance_m=np.cumsum(rng.uniform(2, 3, n)),
        lat=47 + rng.normal(0, 1e-3, n),
        lon=8 + rng.normal(0, 1e-3, n),
    )
    _assert_round_trip(streams)


def test_decimals_made_by_multiplying_are_kept_bit_exact() -> None:
    raw = np.arange(0, 500_000, 317, dtype=np.int64)
    multiplied = raw * 0.01  # how some FIT decoders apply the scale
    divided = raw / 100.0
    assert not np.array_equal(multiplied, divided)  # the two conventions really differ in some last bits
    for column in (multiplied, divided):
        back = decode_streams(encode_streams(Streams(time_s=np.asarray(column, dtype=np.float64))))
        assert np.array_equal(back.time_s.view(np.uint64), column.view(np.uint64))


def test_absent_all_nan_empty_and_infinite_channels() -> None:
    _assert_round_trip(Streams(time_s=np.array([], dtype=float), heart_rate=np.array([], dtype=float)))
    streams = Streams(
        time_s=np.arange(5.0),
        heart_rate=np.full(5, np.nan),
        cadence=np.array([np.inf, 1.0, -np.inf, np.nan, 2.5]),
        altitude_m=np.array([1e300, -1e300, 0.0, 5e-324, np.nan]),
    )
    _assert_round_trip(streams)
    back = decode_streams(encode_streams(streams))
    assert back.lat is None
    assert back.distance_m is None


float_columns = hnp.arrays(
    np.float64,
    st.integers(0, 300),
    elements=st.one_of(
        st.floats(allow_nan=True, allow_infinity=True, width=64),
        st.integers(-10_000_000, 10_000_000).map(lambda i: i / 10_000_000),
        st.integers(0, 250).map(float),
    ),
)


@pytest.mark.hypothesis_heavy
@settings(max_examples=300, deadline=None)
@given(float_columns, st.data())
def test_any_floats_round_trip(column: np.ndarray, data: st.DataObject) -> None:
    other = data.draw(hnp.arrays(np.float64, len(column), elements=st.floats(allow_nan=True, width=64)))
    _assert_round_trip(Streams(time_s=np.arange(len(column), dtype=float), lat=column, heart_rate=other))


def test_version_and_corruption_are_reported() -> None:
    blob = encode_streams(run_hour(60))
    with pytest.raises(CodecError, match=r"format version 9.*upgrade syncd"):
        decode_streams(bytes([9]) + blob[1:])
    with pytest.raises(CodecError, match="corrupt streams blob"):
        decode_streams(blob[:-10])
    with pytest.raises(CodecError, match="corrupt streams blob"):
        decode_streams(bytes([FORMAT_VERSION]) + zlib.compress(b"\x05\x00\x00\x00\x01"))
    with pytest.raises(CodecError, match="empty"):
        decode_streams(b"")


def test_a_scale_is_judged_on_every_value_not_the_first_ones() -> None:
    """Scales are tried on the first values before the whole channel (issue 32): a channel whose first hundred
    values are whole metres and whose later ones have centimetres is stored at centimetres, and losslessly."""
    from syncd.adapters.db.codec import _scaled

    column = np.concatenate([np.arange(100.0), [100.25, 101.5], np.arange(102.0, 150.0)])
    found = _scaled(column)
    assert found is not None and found[0] & 0x7F == 2
    n = len(column)
    _assert_round_trip(Streams(time_s=np.arange(n, dtype=float), distance_m=column))
    late_full_precision = np.concatenate([np.arange(100.0), [1 / 3]])
    assert _scaled(late_full_precision) is None  # no scale reproduces 1/3: stored as float bits
    _assert_round_trip(Streams(time_s=np.arange(101, dtype=float), distance_m=late_full_precision))
    huge_late = np.concatenate([np.zeros(100), [2.0**60]])
    assert _scaled(huge_late) is None  # beyond 2**53 at scale 0: never integers
