"""Pure, vectorised helpers the stream-based rules share: distance, cleaned altitude, smoothed speed, efforts.

Why a module of its own: recorded streams are messy (GPS altitude spikes and 0 m dropouts, jitter, pauses, GPS
gaps, 1 s or "smart" 4-5 s sampling), and every rule must see the same cleaned picture. Everything here is numpy
without Python loops over samples (loops run over segments only), so a 1-hour run at 1 Hz costs microseconds.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np

from syncd.domain.model import BoolArray, FloatArray, Streams

EARTH_RADIUS_M = 6_371_000.0
# Below this a runner is standing (traffic light, watch not paused): excluded from pace figures.
STOPPED_MPS = 0.5
# A gap in samples longer than this is a pause or GPS loss, not a stretch to integrate speed across.
MAX_SAMPLE_GAP_S = 10.0
# Spike filter on the distance grid: a sample further than this from its neighbourhood median is noise.
ALTITUDE_SPIKE_TOLERANCE_M = 10.0
# Between two distance-grid points a change steeper than this is a sensor jump (a barometer recalibrating, a GPS
# fix switching), not terrain: it is removed as a level shift so it adds no climb or descent.
MAX_TERRAIN_GRADE = 0.5
# Altitude changes smaller than this are jitter when summing descent (hysteresis, as most platforms do).
DESCENT_HYSTERESIS_M = 3.0
# Altitudes outside this range are sentinels (-9999, 65535 scaled) or garbage, never terrain on a run.
PLAUSIBLE_ALTITUDE_M = (-500.0, 9000.0)
# GPS altitude settles during the first minutes of a recording (261 -> 337 -> 272 m within 5 minutes of a marathon
# start; a 37 m hump in the first 200 m): when the altitude of this first stretch of time moves more than the
# spike tolerance and more than twice as much as in the same time after it, it is held at the level the recording
# settles to, so no climb or descent is read from it. A real slope that goes on past the window is kept.
ALTITUDE_SETTLE_S = 300.0
# A stop of this long with no distance covered is a pause: the altitude change across it is not terrain.
ALTITUDE_PAUSE_S = 60.0
# The residual noise left after smoothing sets the descent hysteresis: at least this many times its SD, so
# +-40 m of GPS noise on a flat rail trail adds no "descent" (barometric altitude keeps the 3 m default).
NOISE_HYSTERESIS_SDS = 3.0
# A level shift is a rare event: more of the grid's steps than this "jumping" is noise.
MAX_LEVEL_SHIFT_SHARE = 0.01
NOISE_SCALE_STEPS = 21
# Above this residual SD (m) the altitude is noisy (GPS jitter) and is smoothed over NOISE_SCALE_STEPS.
NOISY_ALTITUDE_M = 3.0  # grid steps (10 m) of the running mean the noise is measured against
# Resampled grids are sized from the recording's span, so a stored row with an absurd span (a clock that jumped 55
# years, GPS teleporting across the globe) must not size one: 2 million points covers 7 days at 0.5 Hz and
# 20,000 km at 10 m; anything larger is treated as "no usable profile".
MAX_GRID_POINTS = 2_000_000

IntArray = np.ndarray[tuple[int], np.dtype[np.intp]]


def haversine_cumulative(lat: FloatArray, lon: FloatArray) -> FloatArray:
    """Cumulative great-circle distance along a track; missing fixes add nothing (the next fix bridges the gap)."""
    ok = np.isfinite(lat) & np.isfinite(lon)
    out = np.zeros(len(lat), dtype=np.float64)
    idx = np.flatnonzero(ok)
    if len(idx) < 2:
        return out
    la, lo = np.radians(lat[idx]), np.radians(lon[idx])
    a = np.sin(np.diff(la) / 2) ** 2 + np.cos(la[:-1]) * np.cos(la[1:]) * np.sin(np.diff(lo) / 2) ** 2
    steps = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    out[idx[1:]] = np.cumsum(steps)
    return np.maximum.accumulate(out)


def _monotonic(values: FloatArray) -> FloatArray | None:
    """Fill NaNs by carrying forward (leading NaNs become the first value) and forbid going backwards."""
    ok = np.isfinite(values)
    if ok.all():
        return np.maximum.accumulate(values) if len(values) >= 2 else None
    if ok.sum() < 2:
        return None
    idx = np.where(ok, np.arange(len(values)), 0)
    np.maximum.accumulate(idx, out=idx)
    filled = values[idx]
    filled[: np.argmax(ok)] = values[np.argmax(ok)]
    return np.maximum.accumulate(filled)


def differences[A: np.ndarray[Any, Any]](values: A) -> A:
    """`np.diff(values)` (each sample minus the one before) without its generality's cost on the hot path."""
    return cast(A, values[1:] - values[:-1])


def _first_of_each(sorted_values: FloatArray) -> IntArray | None:
    """Indices of the first sample at each distinct value of a non-decreasing array (np.unique without a sort);
    None when every value is new (the usual recording), so no index array is built and `_at` copies nothing."""
    keep = np.empty(len(sorted_values), dtype=np.bool_)
    if len(keep):
        keep[0] = True
        np.greater(sorted_values[1:], sorted_values[:-1], out=keep[1:])
        if keep.all():
            return None
    return np.flatnonzero(keep)


def distance_of(streams: Streams) -> FloatArray | None:
    """Cumulative distance per sample: the recorded channel, else GPS, else the integrated speed sensor."""
    if streams.distance_m is not None:
        recorded = _monotonic(streams.distance_m)
        if recorded is not None and recorded[-1] > recorded[0]:
            shifted: FloatArray = recorded - recorded[0]
            return shifted
    if streams.has_gps and streams.lat is not None and streams.lon is not None:
        return haversine_cumulative(streams.lat, streams.lon)
    if streams.speed_mps is not None and len(streams) >= 2:
        speed = np.nan_to_num(streams.speed_mps, nan=0.0)
        dt = differences(streams.time_s)
        dt = np.where((dt > 0) & (dt <= MAX_SAMPLE_GAP_S), dt, 0.0)
        return np.concatenate(([0.0], np.cumsum(0.5 * (speed[1:] + speed[:-1]) * dt)))
    return None


def _median3(a: FloatArray, b: FloatArray, c: FloatArray) -> FloatArray:
    result: FloatArray = np.maximum(np.minimum(a, b), np.minimum(np.maximum(a, b), c))
    return result


def _median5(a: FloatArray, b: FloatArray, c: FloatArray, d: FloatArray, e: FloatArray) -> FloatArray:
    return _median3(e, np.maximum(np.minimum(a, b), np.minimum(c, d)), np.minimum(np.maximum(a, b), np.maximum(c, d)))


def rolling_median(values: FloatArray) -> FloatArray:
    """Centred running pseudo-median: the median of three running medians of five, 5 samples apart (reflect padding).

    Like a running median of 11 it removes spikes up to five samples wide and leaves ramps untouched, but it is
    elementwise min/max (no sorting), several times cheaper on the hot path. Beside a spike, and on a peak, the
    answer may be off by up to seven samples' worth of slope, which is why callers only replace samples that stray
    far from it.
    """
    n = len(values)
    if n < 15:
        return values.copy()
    # Reflect padding by hand: np.pad's generality costs more than the filter itself on the hot path.
    padded = np.concatenate((values[7:0:-1], values, values[-2:-9:-1]))
    # m5[j] is centred on padded[j + 2], i.e. on values[j - 5].
    m5 = _median5(padded[:-4], padded[1:-3], padded[2:-2], padded[3:-1], padded[4:])
    return _median3(m5[:n], m5[5 : n + 5], m5[10 : n + 10])


def moving_average(values: FloatArray, window: int) -> FloatArray:
    """Centred running mean (edges padded with the edge value): the low-pass after the median filter."""
    if window < 2 or len(values) < window:
        return values.copy()
    half = window // 2
    width = 2 * half + 1
    n = len(values)
    # the edge padding and the kernel without np.full (a Python-level function, called three times a profile)
    padded = np.empty(n + 2 * half)
    padded[:half] = values[0]
    padded[half : half + n] = values
    padded[half + n :] = values[-1]
    result: FloatArray = np.convolve(padded, _box_kernel(width), mode="valid")
    return result


@functools.cache
def _box_kernel(width: int) -> FloatArray:
    """`np.full(width, 1.0 / width)`, read-only and shared."""
    kernel = np.full(width, 1.0 / width)
    kernel.flags.writeable = False
    return kernel


def segments(mask: BoolArray) -> tuple[IntArray, IntArray]:
    """Start and end (exclusive) indices of each run of True in `mask`."""
    padded = np.zeros(len(mask) + 2, dtype=np.int8)  # 0, mask, 0 without the casts np.concatenate of lists costs
    padded[1:-1] = mask
    edges = differences(padded)
    return (edges == 1).nonzero()[0], (edges == -1).nonzero()[0]


def within_window_of_any(mask: BoolArray, width: int) -> BoolArray:
    """For each of the len(mask) + width - 1 positions i, whether any of mask[i - width + 1 .. i] is True.

    `np.convolve(mask, np.ones(width), mode="full") > 0.5` (a window of `width` samples touches a True one) by a
    running count instead: the convolution is a dot product per position, ~20 times the work on the hot path.
    """
    n = len(mask)
    if n == 0 or width < 1:
        return np.zeros(max(n + width - 1, 0), dtype=np.bool_)
    # counts[width + t] = number of True in mask[:t] for t in 0..n, held at the total after the end and 0 before.
    counts = np.empty(n + 2 * width, dtype=np.intp)
    counts[: width + 1] = 0
    np.cumsum(mask, out=counts[width + 1 : width + 1 + n])
    counts[width + 1 + n :] = counts[width + n]
    return counts[width + 1 : width + n + width] > counts[1 : n + width]


@dataclass(frozen=True, slots=True)
class AltitudeProfile:
    """Cleaned altitude on an even distance grid (`step_m` apart) with the elapsed time at each grid point."""

    step_m: float
    distance_m: FloatArray
    altitude_m: FloatArray
    time_s: FloatArray
    rejected_share: float
    noise_m: float = 0.0  # SD of what the smoothing removed: the recording's own altitude noise

    @property
    def hysteresis_m(self) -> float:
        """The swing a climb or descent must exceed to count: 3 m, or more on a noisy (GPS) altitude."""
        return max(DESCENT_HYSTERESIS_M, NOISE_HYSTERESIS_SDS * self.noise_m)

    def total_descent_m(self, hysteresis_m: float | None = None) -> float:
        return descent_with_hysteresis(self.altitude_m, self.hysteresis_m if hysteresis_m is None else hysteresis_m)


def altitude_profile(
    streams: Streams, step_m: float = 10.0, smooth_m: float = 50.0, distance: FloatArray | None = None
) -> AltitudeProfile | None:
    """Altitude with noise removed, resampled every `step_m` metres of distance.

    Steps: drop NaNs; treat exact 0 m as a dropout when the track is not at sea level; resample by distance (so
    standing still adds no noise); replace samples further than ALTITUDE_SPIKE_TOLERANCE_M from the running median
    over nine grid steps (spikes, implausible vertical jumps); then low-pass with a running mean over `smooth_m`.
    None when there is no altitude or no distance to place it on. `distance` is `distance_of(streams)` when the
    caller already has it (a rule context computes it once for the profile and the speed trace).
    """
    return _altitude_profile(streams, step_m, smooth_m, distance)


def _altitude_profile(
    streams: Streams, step_m: float, smooth_m: float, distance: FloatArray | None
) -> AltitudeProfile | None:
    if streams.altitude_m is None:
        return None
    if distance is None:
        distance = distance_of(streams)
    if distance is None:
        return None
    altitude = streams.altitude_m
    valid, n_valid, spread, above_zero = _plausible_altitude(altitude)
    if n_valid < 10 or spread == 0.0:
        return None  # no altitude, or a constant placeholder: not enough data for downhill
    sample = altitude[:: max(1, len(altitude) // 256)]
    # (with no 0 m sample at all the answer changes nothing, so the median is not taken)
    if (
        not above_zero
        and (altitude == 0.0).any()
        and abs(median_of(sample[np.isfinite(sample)] if n_valid < len(altitude) else sample)) > 20.0
    ):
        valid &= altitude != 0.0
        n_valid = int(np.count_nonzero(valid))
    # Keep the first sample at each distance so np.interp sees strictly increasing x (distance never decreases).
    # Every sample valid (the usual case): no copies, and the time axis below shares the same first samples.
    every = n_valid == len(altitude)
    dist_v = distance if every else distance[valid]
    first = _first_of_each(dist_v)
    dist_u = _at(dist_v, first)
    if len(dist_u) < 2 or dist_u[-1] - dist_u[0] < 2 * step_m:
        return None
    if not math.isfinite(dist_u[-1] - dist_u[0]) or (dist_u[-1] - dist_u[0]) / step_m > MAX_GRID_POINTS:
        return None
    grid = np.arange(dist_u[0], dist_u[-1] + 1e-9, step_m)
    alt_u = _without_pause_steps(
        dist_u,
        _at(altitude if every else altitude[valid], first),
        _at(streams.time_s if every else streams.time_s[valid], first),
    )
    raw = np.interp(grid, dist_u, alt_u)
    # Time from every sample, not only those with altitude, so a pause stays inside one grid step.
    all_first = first if every else _first_of_each(distance)
    times = np.interp(grid, _at(distance, all_first), _at(streams.time_s, all_first))
    raw = _settled(raw, times)
    median = rolling_median(raw)
    spikes = np.abs(raw - median) > ALTITUDE_SPIKE_TOLERANCE_M
    despiked = _without_level_shifts(np.where(spikes, median, raw), MAX_TERRAIN_GRADE * step_m)
    rejected = (len(altitude) - n_valid) / len(altitude) + np.count_nonzero(spikes) / len(spikes)
    # the noise: the jitter left between neighbouring grid points (RMS of second differences / sqrt(6), which is the
    # SD of white noise; a steady slope has none, terrain's curvature over 10 m next to none); noisy altitude is
    # smoothed over 200 m instead of 50 m
    curvature = differences(differences(despiked))
    noise = math.sqrt(float(curvature @ curvature) / (6 * len(curvature))) if len(curvature) else 0.0
    window = NOISE_SCALE_STEPS if noise > NOISY_ALTITUDE_M else max(1, round(smooth_m / step_m) | 1)
    smooth = moving_average(despiked, window)
    return AltitudeProfile(step_m, grid, smooth, times, min(1.0, rejected), noise)


def _plausible_altitude(altitude: FloatArray) -> tuple[BoolArray, int, float, bool]:
    """Which samples hold a plausible altitude (PLAUSIBLE_ALTITUDE_M, finite), how many, their range (np.ptp), and
    whether every sample is known to lie above 0 m (then no 0 m dropout need be looked for).

    When the lowest and highest are plausible every sample is (a NaN would make both NaN): two reductions instead
    of a mask built from three comparisons, counted, and copied out (the usual recording).
    """
    n = len(altitude)
    if n:
        low, high = float(altitude.min()), float(altitude.max())
        if low >= PLAUSIBLE_ALTITUDE_M[0] and high <= PLAUSIBLE_ALTITUDE_M[1]:
            return np.ones(n, dtype=np.bool_), n, high - low, low > 0.0
    valid = np.isfinite(altitude) & (altitude >= PLAUSIBLE_ALTITUDE_M[0]) & (altitude <= PLAUSIBLE_ALTITUDE_M[1])
    n_valid = int(np.count_nonzero(valid))
    return valid, n_valid, (float(np.ptp(altitude[valid])) if n_valid else math.nan), False


def _at(values: FloatArray, first: IntArray | None) -> FloatArray:
    """`values[first]`, without the copy when `first` keeps every sample (None: the usual 1 Hz recording)."""
    return values if first is None or len(first) == len(values) else values[first]


def mean_of(values: FloatArray) -> float:
    """`float(values.mean())` of a non-empty float array (the same sum, divided by the same count) without the
    Python layer ndarray.mean goes through: a third of its cost, and the rules take several per run.
    `array.nonzero()[0]` stands in for np.flatnonzero on 1-D arrays here for the same reason."""
    return float(np.add.reduce(values)) / len(values)


def median_of(values: FloatArray) -> float:
    """np.median (the mean of the two middle values when even; NaN when empty or with a NaN) without the cost of
    its generality: the rules take several medians of a few thousand samples per run."""
    n = len(values)
    if n == 0 or np.isnan(values).any():
        return math.nan
    half = n // 2
    if n % 2:
        return float(np.partition(values, half)[half])
    low, high = np.partition(values, (half - 1, half))[half - 1 : half + 1].tolist()
    return float((low + high) / 2)


def _without_pause_steps(distance: FloatArray, altitude: FloatArray, times: FloatArray) -> FloatArray:
    """Altitude with the change across each pause taken out (the rest of the track shifted back).

    A pause is ALTITUDE_PAUSE_S or more between two samples with no distance covered (under STOPPED_MPS): the
    altitude a device reports after it is a new fix or a drifted barometer, and a descent nobody ran (issue 28: a
    237 m "drop" across a 10-minute stop). A GPS gap while running covers distance and keeps its altitude change.
    """
    dt = differences(times)
    if len(dt) and float(dt.max()) < ALTITUDE_PAUSE_S:
        return altitude  # no gap long enough to be a pause (the usual recording): nothing to test distance for
    paused = (dt >= ALTITUDE_PAUSE_S) & (differences(distance) < STOPPED_MPS * dt)
    if not paused.any():
        return altitude
    steps = differences(altitude)
    steps[paused] = 0.0
    return np.concatenate(([altitude[0]], altitude[0] + np.cumsum(steps)))


def _settled(raw: FloatArray, times: FloatArray) -> FloatArray:
    """`raw` with the first ALTITUDE_SETTLE_S held at the level reached then (GPS altitude settling at the start)."""
    if not len(times) or times[-1] - times[0] < 2 * ALTITUDE_SETTLE_S:
        return raw
    settled, after = np.searchsorted(times, (times[0] + ALTITUDE_SETTLE_S, times[0] + 2 * ALTITUDE_SETTLE_S)).tolist()
    if settled <= 0 or settled >= len(raw):
        return raw
    opening = raw[: settled + 1]
    moved = float(opening.max() - opening.min())
    if moved <= ALTITUDE_SPIKE_TOLERANCE_M:
        return raw  # the usual case: a quiet start
    following = raw[settled : after + 1]
    if moved <= 2 * float(following.max() - following.min()):
        return raw
    held = raw.copy()
    held[:settled] = raw[settled]
    return held


def _without_level_shifts(altitude: FloatArray, max_step_m: float) -> FloatArray:
    """Altitude with every grid step larger than `max_step_m` set to zero (the rest of the track shifted back)."""
    steps = differences(altitude)
    if len(steps) and max(float(steps.max()), -float(steps.min())) <= max_step_m:
        return altitude  # no step is a jump (the usual recording); a NaN step takes the full test below
    jumps = np.abs(steps) > max_step_m
    count = int(np.count_nonzero(jumps))  # count / len is jumps.mean() to the bit, without its Python layer
    if not count or count / len(jumps) > MAX_LEVEL_SHIFT_SHARE:
        # frequent "jumps" are noise, not a sensor re-zeroing: removing them all would turn the noise into a random
        # walk of tens of metres (issue 28: +-40 m on a flat rail trail); the smoothing and the noise-scaled
        # hysteresis deal with it instead
        return altitude
    steps[jumps] = 0.0
    return np.concatenate(([altitude[0]], altitude[0] + np.cumsum(steps)))


def descent_with_hysteresis(altitude: FloatArray, threshold_m: float = DESCENT_HYSTERESIS_M) -> float:
    """Total descent counting only swings of at least `threshold_m`, so jitter on the flat adds nothing.

    A Schmitt trigger over the turning points only (numpy finds them), so the loop runs per hill, not per sample.
    """
    if len(altitude) < 2:
        return 0.0
    turning = _turning_points(altitude)
    if turning is None:
        return 0.0
    points = _without_notches(turning, threshold_m).tolist()
    descent = 0.0
    direction = 0
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
    if direction < 0:
        descent += anchor - current
    return float(descent)


def _turning_points(altitude: FloatArray) -> FloatArray | None:
    """The first and last altitude and those where the direction turns (flat steps skipped); None when flat."""
    step = differences(altitude)
    count = np.count_nonzero(step)
    if count == len(step):
        # No flat step (the usual smoothed profile): the turns are where the sign changes, picked by one mask
        # instead of the index arithmetic below (the same points, in fewer numpy calls).
        signs = np.sign(step)
        keep = np.empty(len(altitude), dtype=np.bool_)
        keep[0] = keep[-1] = True
        np.not_equal(signs[1:], signs[:-1], out=keep[1:-1])
        return altitude[keep]
    if count == 0:
        return None
    nonzero = step.nonzero()[0]
    signs = np.sign(step[nonzero])
    turns = nonzero[(signs[1:] != signs[:-1]).nonzero()[0] + 1]
    return altitude[np.concatenate(([0], turns, [len(altitude) - 1]))]


# Passes of notch removal before the Schmitt trigger: one takes a 1-hour run's ~450 turning points to ~120; more
# cost more numpy calls than the loop iterations they save (callgrind: 585k, 452k, 527k, 653k instructions for 0-3).
NOTCH_PASSES = 1


def _without_notches(points: FloatArray, threshold_m: float) -> FloatArray:
    """Turning points without the notches the trigger ignores anyway, so its Python loop runs over far fewer.

    A notch is two neighbouring points less than `threshold_m` apart inside a trend that goes on past them: a dip
    and a rise (l, h) between a higher high before (h <= H) and a lower low after (l >= L) on a descent, or a rise
    and a dip on a climb. Whatever the trigger's state, it neither turns on such a pair nor keeps a value from it
    that the next point does not replace, so the descent is the same to the bit without it. Pairs are removed
    where no two overlap (the first of each run of notches), which keeps each removal valid (NOTCH_PASSES).
    """
    for _ in range(NOTCH_PASSES):
        if len(points) < 4:
            break
        before, first, second, after = points[:-3], points[1:-2], points[2:-1], points[3:]
        rise = second - first
        on_descent = (rise > 0) & (second <= before) & (first >= after)
        on_climb = (rise < 0) & (second >= before) & (first <= after)
        notch = (np.abs(rise) < threshold_m) & (on_descent | on_climb)
        if not notch.any():
            break
        notch[1:] &= ~notch[:-1]  # never two overlapping pairs: the right-hand side is a new array
        keep = np.ones(len(points), dtype=np.bool_)
        pair = notch.nonzero()[0] + 1
        keep[pair] = False
        keep[pair + 1] = False
        points = points[keep]
    return points


@dataclass(frozen=True, slots=True)
class SpeedTrace:
    """Speed from distance over time on an even time grid, smoothed over a short window; stops are near zero."""

    step_s: float
    time_s: FloatArray
    distance_m: FloatArray
    speed_mps: FloatArray
    # Derived once (the rules ask for them several times per run) and read-only, since every caller shares them.
    _moving: BoolArray = field(init=False, repr=False, compare=False)
    _moving_time: FloatArray | None = field(init=False, repr=False, compare=False, default=None)
    _memo: dict[str, Any] = field(init=False, repr=False, compare=False, default_factory=dict)

    def __post_init__(self) -> None:
        moving = self.speed_mps >= STOPPED_MPS
        moving.flags.writeable = False
        object.__setattr__(self, "_moving", moving)

    @property
    def moving(self) -> BoolArray:
        return self._moving

    @property
    def moving_time_s(self) -> FloatArray:
        """Cumulative moving time at each grid point (stopped grid steps add nothing)."""
        moving_time = self._moving_time
        if moving_time is None:
            moving_time = np.concatenate(([0.0], np.cumsum(self._moving[:-1] * self.step_s)))
            moving_time.flags.writeable = False
            object.__setattr__(self, "_moving_time", moving_time)
        return moving_time

    def derived[T](self, key: str, compute: Callable[[], T]) -> T:
        """What a rule derives from the trace several times per run (a quantile, a mask), computed once.

        The trace is immutable, so the answer stays valid; a shared array must not be modified by its readers.
        """
        if key not in self._memo:
            self._memo[key] = compute()
        return cast(T, self._memo[key])

    def moving_speed_between(self, i0: int, i1: int) -> float | None:
        """Distance over moving time from grid point `i0` to `i1`, or None when nothing moved between them."""
        seconds = float(self.moving_time_s[i1] - self.moving_time_s[i0])
        return float(self.distance_m[i1] - self.distance_m[i0]) / seconds if seconds > 0 else None

    def mean_moving_speed(self, mask: BoolArray) -> float | None:
        """Distance over moving time within `mask` (grid points), or None when nothing moved there."""
        sel = mask & self.moving
        if not sel.any():
            return None
        return mean_of(self.speed_mps[sel])


def speed_trace(
    streams: Streams, step_s: float = 2.0, half_window_s: float = 10.0, distance: FloatArray | None = None
) -> SpeedTrace | None:
    """Speed as distance change over a centred window, sampled every `step_s` seconds of elapsed time.

    Using distance (not the instantaneous speed channel) makes pauses read as 0 and a GPS gap while running read
    as the average speed across it, which is what happened. None without distance or with under a minute of data.
    `distance` is `distance_of(streams)` when the caller already has it.
    """
    return _speed_trace(streams, step_s, half_window_s, distance)


def _speed_trace(
    streams: Streams, step_s: float, half_window_s: float, distance: FloatArray | None
) -> SpeedTrace | None:
    if distance is None:
        distance = distance_of(streams)
    if distance is None or len(streams) < 2:
        return None
    time_u, dist_u = _distinct_times(streams.time_s, distance)
    if len(time_u) < 2 or time_u[-1] - time_u[0] < 60.0:
        return None
    if not math.isfinite(time_u[-1] - time_u[0]) or (time_u[-1] - time_u[0]) / step_s > MAX_GRID_POINTS:
        return None
    grid = np.arange(0.0, time_u[-1] - time_u[0] + 1e-9, step_s)
    dist_grid = _on_grid(grid, time_u - time_u[0], dist_u, step_s)
    dist_grid -= dist_grid[0]
    # The window is a whole number of grid steps, so its ends are grid points: shift instead of interpolating.
    k = max(1, round(half_window_s / step_s))
    return SpeedTrace(step_s, grid, dist_grid, _centred_speed(dist_grid, k, step_s))


def _on_grid(grid: FloatArray, elapsed: FloatArray, values: FloatArray, step_s: float) -> FloatArray:
    """`np.interp(grid, elapsed, values)` for `grid` = 0, step_s, 2 step_s, ...: on a regular 1 Hz recording (every
    elapsed time the whole second of its index) with a whole-second step, each grid point is a sample, which
    np.interp returns as it is, so every `step_s`-th sample is that answer without the search."""
    n = len(elapsed)
    whole = int(step_s)
    if whole == step_s and whole >= 1 and elapsed[-1] == n - 1 and bool((elapsed == np.arange(n)).all()):
        return values[::whole].copy()
    return np.interp(grid, elapsed, values)


def _centred_speed(dist_grid: FloatArray, k: int, step_s: float) -> FloatArray:
    """Distance over the centred window of +-k grid steps divided by the window's seconds (shorter at the ends):
    the distance ahead minus the distance behind (0 before the start, the last distance after the end)."""
    n = len(dist_grid)
    if n <= 2 * k:
        ahead = np.concatenate((dist_grid[k:], np.full(min(k, n), dist_grid[-1])))
        behind = np.concatenate((np.zeros(min(k, n)), dist_grid[:-k]))
        ahead -= behind
        ahead /= _window_spans(n, k, step_s)
        return ahead
    # The same answer piece by piece: x - 0.0 is x, and dividing by a whole window's span is dividing by one value.
    edge = np.arange(k, 2 * k) * step_s  # k .. 2k-1 steps; a whole number of steps is exact in floating point
    speed = np.empty(n)
    np.divide(dist_grid[k : 2 * k], edge, out=speed[:k])
    middle = speed[k : n - k]
    np.subtract(dist_grid[2 * k :], dist_grid[: n - 2 * k], out=middle)
    middle /= 2 * k * step_s
    np.divide(dist_grid[-1] - dist_grid[n - 2 * k : n - k], edge[::-1], out=speed[n - k :])
    return speed


def _window_spans(n: int, k: int, step_s: float) -> FloatArray:
    """Seconds each centred window of +-k grid steps covers (shorter at the ends, never under one step)."""
    if n <= 2 * k:
        index = np.arange(n)
        return np.maximum((np.minimum(index + k, n - 1) - np.maximum(index - k, 0)) * step_s, step_s)
    span = np.full(n, 2 * k * step_s)
    edge = np.arange(k, 2 * k) * step_s  # k .. 2k-1 steps; a whole number of steps is exact in floating point
    span[:k] = edge
    span[n - k :] = edge[::-1]
    return span


def _distinct_times(time: FloatArray, distance: FloatArray) -> tuple[FloatArray, FloatArray]:
    """The first sample at each distinct finite time, and the distance there (no copies when every time is new)."""
    if len(time) and math.isfinite(time[0]) and math.isfinite(time[-1]) and bool((time[1:] > time[:-1]).all()):
        return time, distance  # strictly increasing between finite ends: every time finite and new (the usual case)
    ok = np.isfinite(time)
    if ok.all() and bool(np.all(time[1:] >= time[:-1])):
        first = _first_of_each(time)
        if first is None:
            return time, distance
        return time[first], distance[first]
    time_u, first = np.unique(time[ok], return_index=True)
    return time_u, distance[ok][first]


def running_speed(trace: SpeedTrace) -> float | None:
    """The run's typical running speed: median of samples faster than 60 % of its 90th percentile.

    Walking breaks and stops sit below that cut, so a run/walk session does not look slower than it was run.
    """
    moving = trace.speed_mps[trace.moving]
    if len(moving) == 0:
        return None
    fast_cut = 0.6 * _quantile(moving, 0.9)
    return _quantile(moving[moving >= fast_cut], 0.5)


def _quantile(values: FloatArray, q: float) -> float:
    """Nearest-rank quantile by partition: np.percentile's generality costs more than the answer here."""
    k = round(q * (len(values) - 1))
    return float(np.partition(values, k)[k])


@dataclass(frozen=True, slots=True)
class Effort:
    """One sustained fast stretch on a speed trace (grid indices, end exclusive) and what followed it."""

    start: int
    end: int
    duration_s: float
    distance_m: float
    speed_mps: float
    recovery_s: float
    recovery_speed_mps: float | None


def find_efforts(
    trace: SpeedTrace,
    fast_mps: float,
    min_duration_s: float = 25.0,
    bridge_s: float = 8.0,
    recovery_ratio: float = 0.8,
) -> list[Effort]:
    """Stretches at or above `fast_mps` lasting `min_duration_s`, split by real recoveries.

    Dips shorter than `bridge_s` are bridged (GPS jitter); two efforts whose gap is not clearly slower
    (gap speed above `recovery_ratio` x effort speed) are merged, so a steady run above the line is one effort.
    """
    fast = trace.speed_mps >= fast_mps
    starts, ends = segments(fast)
    if len(starts) == 0:
        return []
    bridge = math.ceil(bridge_s / trace.step_s)
    keep_gap = (starts[1:] - ends[:-1]) > bridge
    starts = np.concatenate((starts[:1], starts[1:][keep_gap]))
    ends = np.concatenate((ends[:-1][keep_gap], ends[-1:]))
    csum = np.concatenate(([0.0], np.cumsum(trace.speed_mps)))
    merged: list[tuple[int, int]] = []
    for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
        if merged:
            ps, pe = merged[-1]
            gap_speed = (csum[s] - csum[pe]) / max(s - pe, 1)
            effort_speed = min((csum[pe] - csum[ps]) / (pe - ps), (csum[e] - csum[s]) / (e - s))
            if gap_speed > recovery_ratio * effort_speed:
                merged[-1] = (ps, e)
                continue
        merged.append((s, e))
    min_steps = min_duration_s / trace.step_s
    kept = _widen([(s, e) for s, e in merged if e - s >= min_steps], trace.speed_mps, csum)
    efforts: list[Effort] = []
    n = len(trace.speed_mps)
    for i, (s, e) in enumerate(kept):
        nxt = kept[i + 1][0] if i + 1 < len(kept) else n
        rec = trace.speed_mps[e:nxt]
        efforts.append(
            Effort(
                start=s,
                end=e,
                duration_s=(e - s) * trace.step_s,
                distance_m=float(trace.distance_m[min(e, n - 1)] - trace.distance_m[s]),
                speed_mps=float((csum[e] - csum[s]) / (e - s)),
                recovery_s=(nxt - e) * trace.step_s,
                recovery_speed_mps=mean_of(rec) if len(rec) else None,
            )
        )
    return efforts


def _widen(spans: list[tuple[int, int]], speed: FloatArray, csum: FloatArray) -> list[tuple[int, int]]:
    """Move each effort's edges out to where speed crosses halfway between the effort and the gap beside it.

    The detection line sits near the top of the smoothed ramps, which would cut every rep short; halfway down the
    ramp is where the athlete actually changed pace.
    """
    widened: list[tuple[int, int]] = []
    n = len(speed)
    for i, (start, end) in enumerate(spans):
        s, e = start, end
        level = (csum[e] - csum[s]) / (e - s)
        lo = widened[-1][1] if widened else 0
        hi = spans[i + 1][0] if i + 1 < len(spans) else n
        if s > lo:
            before = speed[lo:s]
            edge = (level + mean_of(before)) / 2
            slow = (before < edge).nonzero()[0]
            s = lo + int(slow[-1]) + 1 if len(slow) else lo
        if hi > e:
            after = speed[e:hi]
            edge = (level + mean_of(after)) / 2
            slow = (after < edge).nonzero()[0]
            e = e + int(slow[0]) if len(slow) else hi
        widened.append((s, e))
    return widened


# Grade-adjusted speed (the usual rule of thumb behind "grade-adjusted pace"): each 1 % of climb costs about 3.3 %
# of speed for the same effort, each 1 % of descent gives back about 1.8 % (down to -15 %).
UPHILL_COST_PER_PCT = 0.033
DOWNHILL_GAIN_PER_PCT = 0.018


def flat_speed(speed_mps: float, grade_pct: float) -> float:
    """The speed the same effort would give on the flat: climbing is slower for the effort, descending faster."""
    g = min(max(grade_pct, -15.0), 20.0)
    return speed_mps * (1 + (UPHILL_COST_PER_PCT if g > 0 else DOWNHILL_GAIN_PER_PCT) * g)


def grade_pct(profile: AltitudeProfile | None, d0: float, d1: float, min_length_m: float = 100.0) -> float | None:
    """Average grade (%) between two distances on a cleaned profile; None when unknown or too short to say."""
    if profile is None or d1 - d0 < min_length_m:
        return None
    a0, a1 = np.interp([d0, d1], profile.distance_m, profile.altitude_m)
    return float((a1 - a0) / (d1 - d0) * 100.0)


def pace_s_per_km(speed_mps: float | None) -> float | None:
    """Seconds per kilometre, rounded to a whole second for evidence; None for no movement."""
    if speed_mps is None or speed_mps <= 0:
        return None
    return round(1000.0 / speed_mps, 0)
