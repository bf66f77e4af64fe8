"""Surface from a local OpenStreetMap extract: hand-made .osm files with known ways and tags, noisy GPS along them.

Coordinates are laid out in metres east/north of an origin (52 N, 13 E) so expectations read as distances.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import quoteattr

import numpy as np
import pytest

from syncd.adapters.osm import ExtractSurfaceMap, LazySurfaceMap, SurfaceMapError
from syncd.domain.model import FloatArray
from syncd.domain.surface import SurfaceBreakdown

LAT0, LON0 = 52.0, 13.0
M_PER_DEG_LAT = 6_371_008.8 * math.pi / 180


def to_latlon(x: float | FloatArray, y: float | FloatArray) -> tuple[FloatArray, FloatArray]:
    lat = LAT0 + np.asarray(y) / M_PER_DEG_LAT
    lon = LON0 + np.asarray(x) / (M_PER_DEG_LAT * np.cos(np.radians(lat)))
    return np.asarray(lat, dtype=np.float64), np.asarray(lon, dtype=np.float64)


@dataclass
class MapWay:
    points: Sequence[tuple[float, float]]  # metres (east, north)
    tags: dict[str, str] = field(default_factory=dict)


def write_osm(path: Path, ways: Sequence[MapWay], *, bounds: tuple[float, float, float, float] | None = None) -> Path:
    """A minimal OSM XML file; nodes are shared where ways share a point, as in real data."""
    node_ids: dict[tuple[float, float], int] = {}
    lines = ["<?xml version='1.0' encoding='UTF-8'?>", '<osm version="0.6" generator="syncd-tests">']
    if bounds is not None:
        (min_lat, min_lon), (max_lat, max_lon) = to_latlon(bounds[0], bounds[1]), to_latlon(bounds[2], bounds[3])
        lines.append(f'  <bounds minlat="{min_lat}" minlon="{min_lon}" maxlat="{max_lat}" maxlon="{max_lon}"/>')
    for way in ways:
        for point in way.points:
            if point not in node_ids:
                node_ids[point] = len(node_ids) + 1
                lat, lon = to_latlon(*point)
                lines.append(f'  <node id="{node_ids[point]}" version="1" lat="{lat:.7f}" lon="{lon:.7f}"/>')
    for number, way in enumerate(ways, start=1):
        lines.append(f'  <way id="{1000 + number}" version="1">')
        lines.extend(f'    <nd ref="{node_ids[p]}"/>' for p in way.points)
        lines.extend(f"    <tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in way.tags.items())
        lines.append("  </way>")
    lines.append("</osm>")
    path.write_text("\n".join(lines) + "\n")
    return path


def gps_along(
    waypoints: Sequence[tuple[float, float]], *, speed: float = 3.0, noise_m: float = 3.0, seed: int = 7
) -> tuple[FloatArray, FloatArray]:
    """1 Hz fixes along a polyline at `speed` m/s with Gaussian noise, as lat/lon."""
    pts = np.asarray(waypoints, dtype=np.float64)
    step = np.hypot(*np.diff(pts, axis=0).T)
    along = np.concatenate([[0.0], np.cumsum(step)])
    s = np.arange(0.0, along[-1], speed)
    x, y = np.interp(s, along, pts[:, 0]), np.interp(s, along, pts[:, 1])
    rng = np.random.default_rng(seed)
    return to_latlon(x + rng.normal(0, noise_m, x.size), y + rng.normal(0, noise_m, y.size))


# A small town: a 2 km asphalt street east, a 1 km dirt path north, 500 m of untagged path west, 500 m of tartan
# track, then 500 m across a field with no way at all. A grass path runs parallel 30 m north of the street and a
# paved footway crosses it, to tempt a matcher that ignores distance or heading.
TOWN = [
    MapWay([(0, 0), (700, 0), (1300, 0), (2000, 0)], {"highway": "residential", "surface": "asphalt"}),
    MapWay([(2000, 0), (2000, 500), (2000, 1000)], {"highway": "path", "surface": "dirt"}),
    MapWay([(2000, 1000), (1500, 1000)], {"highway": "path"}),
    MapWay([(1500, 1000), (1000, 1000)], {"leisure": "track", "surface": "tartan"}),
    MapWay([(200, 30), (1800, 30)], {"highway": "path", "surface": "grass"}),
    MapWay([(1000, -300), (1000, 300)], {"highway": "footway", "surface": "paving_stones"}),
    MapWay([(100, 500), (400, 500), (400, 800)], {}),  # untagged (a multipolygon member, say)
    MapWay([(100, 600), (600, 600)], {"building": "yes"}),
]
ROUTE = [(0, 0), (2000, 0), (2000, 1000), (1000, 1000), (500, 1000)]
TOWN_BOUNDS = (-1000, -1000, 3000, 2000)


@pytest.fixture
def town(tmp_path: Path) -> Path:
    return write_osm(tmp_path / "town.osm", TOWN, bounds=TOWN_BOUNDS)


def surface_map(extract: Path, tmp_path: Path) -> ExtractSurfaceMap:
    return ExtractSurfaceMap(extract, tmp_path / "cache")


def test_noisy_run_through_town_is_split_by_surface(town: Path, tmp_path: Path) -> None:
    result = surface_map(town, tmp_path).classify(*gps_along(ROUTE))
    assert result is not None
    assert result.source == "osm:town.osm"
    assert result.paved_m == pytest.approx(2000, abs=40)
    assert result.unpaved_m == pytest.approx(1500, abs=40)
    assert result.track_m == pytest.approx(500, abs=40)
    assert result.unknown_m == pytest.approx(500, abs=40)
    assert result.inferred_m == pytest.approx(500, abs=40)  # only the path without a surface tag is inferred
    assert result.total_m == pytest.approx(4500, rel=0.02)


def test_parallel_grass_path_is_chosen_when_the_runner_is_on_it(tmp_path: Path) -> None:
    extract = write_osm(tmp_path / "town.osm", TOWN, bounds=TOWN_BOUNDS)
    result = surface_map(extract, tmp_path).classify(*gps_along([(300, 30), (1700, 30)], seed=3))
    assert result is not None
    assert result.unpaved_m == pytest.approx(1400, abs=30)
    assert result.paved_m < 30


def test_crossing_footway_does_not_steal_the_street(town: Path, tmp_path: Path) -> None:
    result = surface_map(town, tmp_path).classify(*gps_along([(600, 0), (1400, 0)], noise_m=5.0, seed=11))
    assert result is not None
    assert result.paved_m == pytest.approx(800, abs=25)
    assert result.unpaved_m + result.unknown_m < 25


def test_standing_still_with_jitter_adds_no_distance(town: Path, tmp_path: Path) -> None:
    lat, lon = gps_along([(100, 0), (600, 0)], noise_m=1.0)
    rng = np.random.default_rng(5)
    still_lat, still_lon = to_latlon(600 + rng.normal(0, 3, 300), rng.normal(0, 3, 300))  # 5 minutes at a light
    result = surface_map(town, tmp_path).classify(np.concatenate([lat, still_lat]), np.concatenate([lon, still_lon]))
    assert result is not None
    assert result.total_m == pytest.approx(500, abs=40)


def test_short_gap_in_the_map_is_bridged_and_a_long_one_is_not(tmp_path: Path) -> None:
    ways = [
        MapWay([(0, 0), (1000, 0)], {"highway": "tertiary", "surface": "asphalt"}),
        MapWay([(1050, 0), (2000, 0)], {"highway": "tertiary", "surface": "asphalt"}),  # 50 m unmapped bridge
        MapWay([(2400, 0), (3000, 0)], {"highway": "tertiary", "surface": "asphalt"}),  # 400 m unmapped
    ]
    extract = write_osm(tmp_path / "gaps.osm", ways)
    result = surface_map(extract, tmp_path).classify(*gps_along([(0, 0), (3000, 0)], noise_m=2.0))
    assert result is not None
    assert result.paved_m == pytest.approx(2600, abs=70)
    assert result.unknown_m == pytest.approx(400, abs=70)


def test_track_outside_the_extract_has_no_data(town: Path, tmp_path: Path) -> None:
    lat, lon = gps_along(ROUTE)
    assert surface_map(town, tmp_path).classify(lat - 4.0, lon) is None


def test_track_leaving_the_extract_reports_the_rest_as_unknown(town: Path, tmp_path: Path) -> None:
    result = surface_map(town, tmp_path).classify(*gps_along([(1000, 0), (2000, 0), (2000, -3000)], noise_m=1.0))
    assert result is not None
    assert result.paved_m == pytest.approx(1000, abs=30)
    assert result.unknown_m == pytest.approx(3000, abs=40)  # off the map is unknown, never guessed


def test_empty_extract_has_no_data_and_is_cached(tmp_path: Path) -> None:
    extract = write_osm(tmp_path / "empty.osm", [])
    lat, lon = gps_along(ROUTE)
    smap = surface_map(extract, tmp_path)
    assert smap.classify(lat, lon) is None
    assert smap.index_dir().is_dir()
    assert len(smap.load().segments) == 0


def test_extract_of_only_untagged_ways_has_no_runnable_ways(tmp_path: Path) -> None:
    extract = write_osm(tmp_path / "bare.osm", [MapWay([(0, 0), (2000, 0)])], bounds=TOWN_BOUNDS)
    result = surface_map(extract, tmp_path).classify(*gps_along([(0, 0), (2000, 0)]))
    assert result is not None  # inside the area the extract covers, but no way a runner could be on
    assert result.paved_m == result.unpaved_m == result.track_m == 0.0
    assert result.unknown_m == pytest.approx(2000, abs=30)


def test_hundred_km_run_along_one_road(tmp_path: Path) -> None:
    road = [(float(x), 0.0) for x in range(0, 100_001, 500)]
    extract = write_osm(tmp_path / "long.osm", [MapWay(road, {"highway": "secondary", "surface": "asphalt"})])
    result = surface_map(extract, tmp_path).classify(*gps_along([(0, 0), (100_000, 0)], noise_m=4.0))
    assert result is not None
    assert result.paved_m == pytest.approx(100_000, rel=0.01)  # white 4 m noise is worse than real GPS
    assert result.unknown_m < 100


def test_index_is_reused_and_rebuilt_when_the_extract_changes(town: Path, tmp_path: Path) -> None:
    first = surface_map(town, tmp_path)
    first.load()
    built = first.index_dir()
    again = surface_map(town, tmp_path)
    assert again.index_dir() == built
    assert again.load().segments.lat1.__class__ is np.memmap  # read from disk, not rebuilt
    dirt_street = [MapWay(TOWN[0].points, {"highway": "residential", "surface": "dirt"}), *TOWN[1:]]
    write_osm(town, dirt_street, bounds=TOWN_BOUNDS)
    os.utime(town, ns=(1, 1))
    changed = surface_map(town, tmp_path)
    assert changed.index_dir() != built
    result = changed.classify(*gps_along([(0, 0), (2000, 0)]))
    assert result is not None and result.unpaved_m == pytest.approx(2000, abs=30)
    assert not built.exists()  # the stale index was removed


def test_missing_and_wrong_files_fail_with_a_fix(tmp_path: Path) -> None:
    with pytest.raises(SurfaceMapError, match=r"not found.*geofabrik"):
        surface_map(tmp_path / "nope.osm.pbf", tmp_path)
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    with pytest.raises(SurfaceMapError, match=r"not an \.osm or \.osm\.pbf"):
        surface_map(notes, tmp_path)
    broken = tmp_path / "broken.osm.pbf"
    broken.write_bytes(b"\x00\x01garbage" * 10)
    smap = surface_map(broken, tmp_path)
    with pytest.raises(SurfaceMapError, match=r"cannot read OSM extract .*broken\.osm\.pbf"):
        smap.load()
    assert smap.classify(*gps_along(ROUTE)) is None  # a run is never failed by a bad map


def test_lazy_map_builds_once_and_survives_a_failing_factory(town: Path, tmp_path: Path) -> None:
    built: list[int] = []

    def factory() -> ExtractSurfaceMap:
        built.append(1)
        return surface_map(town, tmp_path)

    lazy = LazySurfaceMap(factory, "town")
    lat, lon = gps_along([(0, 0), (2000, 0)])
    first, second = lazy.classify(lat, lon), lazy.classify(lat, lon)
    assert isinstance(first, SurfaceBreakdown) and first == second
    assert built == [1]

    def failing() -> ExtractSurfaceMap:
        raise SurfaceMapError("no map here")

    assert LazySurfaceMap(failing, "broken").classify(lat, lon) is None
