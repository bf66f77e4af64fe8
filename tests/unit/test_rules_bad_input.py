"""Bad recordings: every rule gives a clear verdict or stays silent, never crashes, never flags noise as effort."""

from __future__ import annotations

import numpy as np
import pytest

from syncd.domain.flags import FlagCode
from syncd.domain.model import Activity, Streams
from syncd.services.annotating import AnnotationPolicy, annotate_one
from tests.unit.test_streams_math import easy_history, run_activity, synthetic_streams

PACE_FLAGS = {FlagCode.SPEED_WORK, FlagCode.NO_WARMUP, FlagCode.DOWNHILL}


def one_sample() -> Streams:
    return Streams(
        time_s=np.array([0.0]),
        distance_m=np.array([0.0]),
        lat=np.array([45.0]),
        lon=np.array([7.0]),
        altitude_m=np.array([300.0]),
    )


def frozen_gps() -> Streams:
    """Thirty minutes of samples at one position: the watch never got a fix (no distance channel)."""
    n = 1800
    return Streams(time_s=np.arange(n, dtype=float), lat=np.full(n, 45.0), lon=np.full(n, 7.0))


def clock_jumps() -> Streams:
    """A steady run whose clock jumps back 10 minutes and then forward a day halfway through."""
    base = synthetic_streams([(3000.0, 2.9)])
    time = base.time_s.copy()
    time[1000:1500] -= 600.0
    time[2000:] += 86_400.0
    return Streams(time_s=time, distance_m=base.distance_m, lat=base.lat, lon=base.lon)


def no_distance() -> Streams:
    """Heart rate and cadence only: nothing says how far or how fast."""
    n = 3000
    return Streams(time_s=np.arange(n, dtype=float), heart_rate=np.full(n, 150.0), cadence=np.full(n, 84.0))


def gps_teleports() -> Streams:
    """A steady run with three single-sample GPS jumps of about 5 km and back (no distance channel)."""
    base = synthetic_streams([(3000.0, 2.9)])
    assert base.lat is not None and base.lon is not None
    lat = base.lat.copy()
    lat[[700, 1500, 2300]] += 0.045
    return Streams(time_s=base.time_s, lat=lat, lon=base.lon)


def nan_channels() -> Streams:
    n = 2000
    nan = np.full(n, np.nan)
    return Streams(time_s=np.arange(n, dtype=float), distance_m=nan, lat=nan, lon=nan, altitude_m=nan, speed_mps=nan)


def altitude_garbage() -> Streams:
    """A flat steady run whose barometer reads random values between 0 and 3,000 m."""
    rng = np.random.default_rng(5)
    return synthetic_streams([(3000.0, 2.9)], altitude=lambda d: rng.uniform(0.0, 3000.0, len(d)))


BAD = {
    "one sample": one_sample,
    "frozen gps": frozen_gps,
    "clock jumps": clock_jumps,
    "no distance": no_distance,
    "gps teleports": gps_teleports,
    "nan channels": nan_channels,
    "altitude garbage": altitude_garbage,
}


@pytest.mark.parametrize("name", sorted(BAD))
@pytest.mark.parametrize("with_history", [False, True])
def test_bad_recordings_never_crash_and_never_flag_noise(name: str, with_history: bool) -> None:
    activity: Activity = run_activity(BAD[name]())
    history = easy_history(2.9) if with_history else []
    annotated = annotate_one(activity, history, AnnotationPolicy(max_heart_rate=190.0))
    codes = {f.code for f in annotated.annotation.flags}
    assert not codes & {FlagCode.SPEED_WORK, FlagCode.NO_WARMUP}, (name, annotated.note)
    if name != "altitude garbage":
        assert FlagCode.DOWNHILL not in codes, (name, annotated.note)
    assert annotated.note is not None


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("one sample", "Not enough data for speed work, warm-up and downhill"),
        ("frozen gps", "Not enough data for speed work, warm-up and downhill"),
        ("no distance", "Not enough data for speed work, warm-up and downhill"),
        ("nan channels", "Not enough data for speed work, warm-up and downhill"),
    ],
)
def test_what_could_not_be_judged_is_said(name: str, expected: str) -> None:
    note = annotate_one(run_activity(BAD[name]()), [], AnnotationPolicy()).note
    assert note is not None and expected in note


def test_a_run_without_streams_says_so() -> None:
    note = annotate_one(run_activity(None), [], AnnotationPolicy()).note
    assert note is not None and "Not enough data for speed work, warm-up and downhill" in note


def test_a_good_recording_has_no_such_line() -> None:
    note = annotate_one(
        run_activity(synthetic_streams([(3000.0, 2.9)], altitude=lambda d: 100 + 0 * d)), [], AnnotationPolicy()
    ).note
    assert note is not None and "Not enough data" not in note
