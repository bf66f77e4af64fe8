"""Vectorised helpers that turn raw samples into clean streams and the totals a file may lack.

Kept free of I/O and format knowledge so FIT, GPX and TCX share one definition of distance, gain and moving time.
"""

from __future__ import annotations

import numpy as np

from syncd.domain.gps_distance import forward_fill
from syncd.domain.model import FloatArray

EARTH_RADIUS_M = 6_371_008.8
# A sample interval counts as moving above this speed: slower than any walk, faster than GPS drift at rest.
MOVING_SPEED_MPS = 0.5
# Gain/loss count a climb only once it exceeds this, so altitude noise does not add up (MANIFEST uses 3 m).
ELEVATION_THRESHOLD_M = 3.0


def floats(values: object, n: int) -> FloatArray:
    """A float64 column of length `n` (None and missing become NaN)."""
    if values is None:
        return np.full(n, np.nan)
    return np.asarray(values, dtype=np.float64)


def present(column: FloatArray | None) -> FloatArray | None:
    """The column if it holds at least one real value, else None (absent channel)."""
    if column is None or not np.isfinite(column).any():
        return None
    return column


def haversine_steps(lat: FloatArray, lon: FloatArray) -> FloatArray:
    """Metres between consecutive samples (length n-1); a step touching a missing fix is 0."""
    if len(lat) < 2:
        return np.zeros(0)
    p1, p2 = np.radians(lat[:-1]), np.radians(lat[1:])
    dlat = p2 - p1
    dlon = np.radians(lon[1:] - lon[:-1])
    a = np.sin(dlat / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlon / 2) ** 2
    steps: FloatArray = np.nan_to_num(2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))), nan=0.0)
    return steps


def cumulative_distance(lat: FloatArray, lon: FloatArray) -> FloatArray:
    """Distance along the track from its first sample, skipping gaps in the fix."""
    lat_f, lon_f = forward_fill(lat), forward_fill(lon)
    return np.concatenate(([0.0], np.cumsum(haversine_steps(lat_f, lon_f))))


def monotonic_distance(distance: FloatArray) -> FloatArray:
    """Distance that never decreases: gaps carry the last value, leading gaps are 0, glitches backwards are held."""
    filled = forward_fill(distance)
    filled[~np.isfinite(filled)] = 0.0
    return np.maximum.accumulate(filled)


def elevation_gain_loss(altitude: FloatArray | None) -> tuple[float | None, float | None]:
    """Total climb and descent with a hysteresis threshold (so noise does not count), or None without altitude."""
    if altitude is None:
        return None, None
    values = altitude[np.isfinite(altitude)]
    if len(values) < 2:
        return None, None
    gain = loss = 0.0
    ref = float(values[0])
    for value in values[1:].tolist():
        delta = value - ref
        if delta >= ELEVATION_THRESHOLD_M:
            gain += delta
            ref = value
        elif delta <= -ELEVATION_THRESHOLD_M:
            loss -= delta
            ref = value
    return gain, loss


def moving_time(time_s: FloatArray, distance_m: FloatArray | None) -> float | None:
    """Seconds spent above walking-stop speed, from the distance stream; None without distance."""
    if distance_m is None or len(time_s) < 2:
        return None
    dt = np.diff(time_s)
    dd = np.diff(distance_m)
    with np.errstate(divide="ignore", invalid="ignore"):
        speed = np.where(dt > 0, dd / dt, 0.0)
    return float(dt[(speed > MOVING_SPEED_MPS) & np.isfinite(speed)].sum())


def finite_mean(column: FloatArray | None) -> float | None:
    if column is None:
        return None
    values = column[np.isfinite(column) & (column > 0)]
    return float(values.mean()) if len(values) else None


def finite_max(column: FloatArray | None) -> float | None:
    if column is None:
        return None
    values = column[np.isfinite(column) & (column > 0)]
    return float(values.max()) if len(values) else None
