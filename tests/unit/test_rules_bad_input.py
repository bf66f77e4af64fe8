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
        run_activity(synthetic_streams([(3000.0, 2.9)], altitude=lambda d: 100 + 2 * np.sin(d / 300))),
        [],
        AnnotationPolicy(),
    ).note
    assert note is not None and "Not enough data" not in note


@pytest.mark.parametrize(
    ("name", "altitude"),
    [
        ("sentinel -9999", lambda d: np.full(len(d), -9999.0)),
        ("constant placeholder", lambda d: 100 + 0 * d),
        ("sentinel with a few real values", lambda d: np.where(np.arange(len(d)) % 500 == 0, 100.0, -9999.0)),
    ],
)
def test_altitude_that_says_nothing_is_not_enough_data_for_downhill(name: str, altitude: object) -> None:
    """Issue 28: -9,999 or a constant altitude is 'not enough data for downhill', never a flag built on it."""
    annotated = annotate_one(
        run_activity(synthetic_streams([(3000.0, 2.9)], altitude=altitude)), [], AnnotationPolicy()
    )  # type: ignore[arg-type]
    assert FlagCode.DOWNHILL not in {f.code for f in annotated.annotation.flags}, name
    assert annotated.note is not None and "Not enough data for downhill (no usable altitude)" in annotated.note, name


def test_heart_rate_of_zero_or_255_is_no_heart_rate() -> None:
    """0 (strap dropout) and 255 (ANT+ invalid) all run long: no speed work, no warm-up verdict built on them."""
    for bad in (0.0, 255.0):
        streams = synthetic_streams([(3000.0, 2.9)], heart_rate=lambda t, b=bad: np.full(len(t), b))  # type: ignore[misc]
        policy = AnnotationPolicy(max_heart_rate=190.0)
        annotated = annotate_one(run_activity(streams), [], policy)
        assert not {f.code for f in annotated.annotation.flags} & PACE_FLAGS, bad
        assert annotated.note is not None and "heart rate (only readings of 0 or 255)" in annotated.note, bad


def test_laps_of_zero_or_negative_length_build_nothing() -> None:
    from syncd.domain.model import Lap

    laps = tuple(
        Lap(60.0 * i, -30.0 if i % 2 else 0.0, -400.0 if i % 3 else 0.0, None, "active", "manual") for i in range(12)
    )
    activity = run_activity(synthetic_streams([(3000.0, 2.9)]), laps=laps)
    annotated = annotate_one(activity, [], AnnotationPolicy())
    assert not {f.code for f in annotated.annotation.flags} & PACE_FLAGS
    assert annotated.note is not None
    assert "interval laps (12 laps of zero or negative length or duration)." in annotated.note


def test_workout_steps_without_laps_say_so() -> None:
    from dataclasses import replace

    activity = replace(run_activity(synthetic_streams([(3000.0, 2.9)])), extra={"workout_steps_without_laps": True})
    note = annotate_one(activity, [], AnnotationPolicy()).note
    assert note is not None and "interval laps (workout steps recorded without laps)" in note
    plain = annotate_one(run_activity(synthetic_streams([(3000.0, 2.9)])), [], AnnotationPolicy()).note
    assert plain is not None and "interval laps" not in plain


@pytest.mark.parametrize("jump_m", [30.0, 60.0, 120.0, 250.0])
def test_gps_jumps_are_not_reps(jump_m: float) -> None:
    """Issue 28: a steady run whose fix jumps sideways for 3 s and back, four times, is not an interval session."""
    base = synthetic_streams([(3000.0, 2.9)])
    assert base.lat is not None
    lat = base.lat.copy()
    for i in (700, 1400, 2100, 2600):
        lat[i : i + 3] += jump_m / 111_000
    streams = Streams(time_s=base.time_s, lat=lat, lon=base.lon)
    for history in ((), easy_history(2.9)):
        flags = {
            f.code for f in annotate_one(run_activity(streams), list(history), AnnotationPolicy()).annotation.flags
        }
        assert FlagCode.SPEED_WORK not in flags and FlagCode.NO_WARMUP not in flags


def test_altitude_the_pace_does_not_confirm_is_not_enough_data_for_downhill() -> None:
    """Issue 28: GPS altitude wandering by 40 m on a flat course, run at an even pace: no flag; the note says why."""
    streams = synthetic_streams(
        [(13_000 / 3.0, 3.0)],
        altitude=lambda d: 30.0 + np.interp(np.mod(d, 2000.0), [0.0, 1000.0, 1500.0, 2000.0], [0.0, 0.0, 40.0, 0.0]),
    )
    annotated = annotate_one(run_activity(streams), [], AnnotationPolicy())
    assert FlagCode.DOWNHILL not in {f.code for f in annotated.annotation.flags}
    expected = "Not enough data for downhill (altitude that looks like GPS noise: its climbs did not slow you)"
    assert annotated.note is not None and expected in annotated.note
