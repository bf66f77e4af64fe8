"""Distance from a GPS track without a distance channel: jitter must not become distance (domain/gps_distance.py)."""

from __future__ import annotations

import numpy as np
import pytest

from syncd.adapters.files.numeric import cumulative_distance
from syncd.domain.gps_distance import track_distance

M_PER_DEG_LAT = 111_195.0


def loop_track(
    length_m: float, lap_m: float, speed: float, sigma_m: float, seed: int = 1
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """1 Hz fixes around a circular lap, with white position noise of `sigma_m` per axis."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(length_m / speed) + 1, dtype=np.float64)
    radius = lap_m / (2 * np.pi)
    angle = speed * t / radius
    x = radius * np.cos(angle) + rng.normal(0.0, sigma_m, len(t))
    y = radius * np.sin(angle) + rng.normal(0.0, sigma_m, len(t))
    lat = 47.0 + y / M_PER_DEG_LAT
    lon = 8.0 + x / (M_PER_DEG_LAT * np.cos(np.radians(47.0)))
    return t, lat, lon


def test_four_metres_of_jitter_does_not_add_a_kilometre() -> None:
    t, lat, lon = loop_track(7500.0, 1500.0, 3.0, 4.0)
    assert cumulative_distance(lat, lon)[-1] > 8300.0  # the raw sum: what the issue saw, and worse
    assert track_distance(t, lat, lon)[-1] == pytest.approx(7500.0, rel=0.02)


def test_a_clean_track_keeps_its_length_even_on_a_400_m_oval() -> None:
    for lap in (400.0, 1500.0):
        t, lat, lon = loop_track(7500.0, lap, 3.0, 0.0)
        assert track_distance(t, lat, lon)[-1] == pytest.approx(7500.0, rel=0.01)


def test_standing_still_adds_next_to_nothing() -> None:
    rng = np.random.default_rng(2)
    t = np.arange(600, dtype=np.float64)
    lat = 47.0 + rng.normal(0.0, 4.0, 600) / M_PER_DEG_LAT
    lon = 8.0 + rng.normal(0.0, 4.0, 600) / (M_PER_DEG_LAT * 0.68)
    assert cumulative_distance(lat, lon)[-1] > 2000.0
    assert track_distance(t, lat, lon)[-1] < 300.0


def test_distance_is_monotonic_per_sample_and_survives_gaps_and_tiny_tracks() -> None:
    t, lat, lon = loop_track(3000.0, 1000.0, 3.0, 3.0)
    lat[100:130] = np.nan
    lon[100:130] = np.nan
    distance = track_distance(t, lat, lon)
    assert len(distance) == len(t)
    assert np.all(np.diff(distance) >= 0)
    assert distance[0] == 0.0
    assert track_distance(np.array([0.0]), np.array([47.0]), np.array([8.0])).tolist() == [0.0]
    assert track_distance(np.zeros(0), np.zeros(0), np.zeros(0)).tolist() == []
    assert track_distance(np.arange(3.0), np.full(3, np.nan), np.full(3, np.nan)).tolist() == [0.0, 0.0, 0.0]
