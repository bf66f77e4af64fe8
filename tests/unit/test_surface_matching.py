"""The map matcher and the grid index on plain arrays (no files): distance, heading, jitter and gaps."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from syncd.adapters.osm.index import SegmentIndex
from syncd.adapters.osm.matching import match_surface
from syncd.adapters.osm.segments import SegmentBuilder, SegmentSet
from syncd.domain.model import FloatArray
from syncd.domain.surface import SurfaceClass, WayClass

LAT0, LON0 = 48.0, 11.0
M_PER_DEG = 6_371_008.8 * math.pi / 180


def latlon(x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
    lat = LAT0 + y / M_PER_DEG
    return lat, LON0 + x / (M_PER_DEG * np.cos(np.radians(lat)))


def units(x: float, y: float) -> tuple[int, int]:
    lat, lon = latlon(np.array([x]), np.array([y]))
    return round(float(lat[0]) * 1e7), round(float(lon[0]) * 1e7)


def segments(*ways: tuple[int, SurfaceClass, list[tuple[float, float]]]) -> SegmentSet:
    builder = SegmentBuilder()
    for way_id, surface, points in ways:
        coords = [units(x, y) for x, y in points]
        builder.add(way_id, WayClass(surface, inferred=False), [c[0] for c in coords], [c[1] for c in coords])
    return builder.build()


def track(points: list[tuple[float, float]], *, noise: float = 0.0, seed: int = 1) -> tuple[FloatArray, FloatArray]:
    pts = np.asarray(points, dtype=float)
    along = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(pts, axis=0).T))])
    s = np.arange(0.0, along[-1] + 0.01, 3.0)
    rng = np.random.default_rng(seed)
    x = np.interp(s, along, pts[:, 0]) + rng.normal(0, noise, s.size)
    y = np.interp(s, along, pts[:, 1]) + rng.normal(0, noise, s.size)
    return latlon(x, y)


ROAD = (1, SurfaceClass.PAVED, [(0.0, 0.0), (1000.0, 0.0)])
PATH = (2, SurfaceClass.UNPAVED, [(0.0, 12.0), (1000.0, 12.0)])  # 12 m north, parallel


def test_clean_track_on_one_way() -> None:
    result = match_surface(segments(ROAD), *track([(0, 0), (1000, 0)]), source="t")
    assert result.paved_m == pytest.approx(1000.0, abs=1.0)
    assert result.unknown_m == 0.0


def test_the_nearer_of_two_parallel_ways_wins_despite_noise() -> None:
    result = match_surface(segments(ROAD, PATH), *track([(0, 11), (1000, 11)], noise=3.0), source="t")
    assert result.unpaved_m == pytest.approx(1000.0, rel=0.02)
    assert result.paved_m < 20


def test_heading_keeps_a_crossing_way_from_stealing_samples() -> None:
    crossing = (3, SurfaceClass.UNPAVED, [(500.0, -400.0), (500.0, 400.0)])
    result = match_surface(segments(ROAD, crossing), *track([(0, 0), (1000, 0)], noise=2.0), source="t")
    assert result.unpaved_m == 0.0


def test_far_from_any_way_is_unknown_not_guessed() -> None:
    result = match_surface(segments(ROAD), *track([(0, 200), (1000, 200)]), source="t")
    assert result.unknown_m == pytest.approx(1000.0, abs=1.0)
    assert result.paved_m == 0.0


def test_no_segments_at_all_is_all_unknown() -> None:
    result = match_surface(SegmentSet.empty(), *track([(0, 0), (500, 0)]), source="t")
    assert result.unknown_m == pytest.approx(500.0, abs=3.0)


@pytest.mark.parametrize("n", [0, 1])
def test_too_short_tracks_are_empty(n: int) -> None:
    lat, lon = latlon(np.zeros(n), np.zeros(n))
    assert match_surface(segments(ROAD), lat, lon, source="t").total_m == 0.0


def test_nan_fixes_are_ignored() -> None:
    lat, lon = track([(0, 0), (1000, 0)])
    lat[10:40] = np.nan
    result = match_surface(segments(ROAD), lat, lon, source="t")
    assert result.paved_m == pytest.approx(1000.0, abs=2.0)


def test_grid_index_finds_the_segments_near_a_track_only() -> None:
    near = (1, SurfaceClass.PAVED, [(0.0, 0.0), (3000.0, 0.0)])  # crosses several 0.01 degree cells
    far = (2, SurfaceClass.PAVED, [(0.0, 20_000.0), (100.0, 20_000.0)])
    index = SegmentIndex.build(segments(near, far), bounds=None)
    lat, lon = track([(2500, 5), (2600, 5)])
    found = index.near(lat, lon)
    assert set(found.way.tolist()) == {1}
    assert len(found) == 1
    assert len(index.near(*track([(0, 50_000), (10, 50_000)]))) == 0


def test_index_round_trips_through_disk(tmp_path: Path) -> None:
    index = SegmentIndex.build(segments(ROAD, PATH), bounds=(47.9, 10.9, 48.1, 11.1))
    index.save(tmp_path / "idx")
    loaded = SegmentIndex.load(tmp_path / "idx")
    assert loaded.bounds == (47.9, 10.9, 48.1, 11.1)
    assert np.array_equal(loaded.segments.lat1, index.segments.lat1)
    assert loaded.size_bytes() == index.size_bytes()
    assert loaded.covers(*track([(0, 0), (10, 0)]))
