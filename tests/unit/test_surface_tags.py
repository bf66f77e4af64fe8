"""Surface classes from OpenStreetMap tags: the tables the hard-surface rule rests on."""

from __future__ import annotations

import pytest

from syncd.domain.surface import SurfaceBreakdown, SurfaceClass, WayClass, classify_tags, surface_class

P, U, T, X = SurfaceClass.PAVED, SurfaceClass.UNPAVED, SurfaceClass.TRACK, SurfaceClass.UNKNOWN


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ({"highway": "residential", "surface": "asphalt"}, WayClass(P, inferred=False)),
        ({"highway": "footway", "surface": "concrete"}, WayClass(P, inferred=False)),
        ({"highway": "footway", "surface": "paving_stones:30"}, WayClass(P, inferred=False)),
        ({"highway": "pedestrian", "surface": "sett"}, WayClass(P, inferred=False)),
        ({"highway": "path", "surface": "dirt"}, WayClass(U, inferred=False)),
        ({"highway": "footway", "surface": "grass"}, WayClass(U, inferred=False)),
        ({"highway": "track", "surface": "fine_gravel"}, WayClass(U, inferred=False)),
        ({"highway": "path", "surface": "woodchips"}, WayClass(U, inferred=False)),
        ({"highway": "cycleway", "surface": "compacted"}, WayClass(U, inferred=False)),
        ({"leisure": "track", "surface": "tartan"}, WayClass(T, inferred=False)),
        ({"leisure": "track"}, WayClass(T, inferred=True)),
        ({"leisure": "track", "surface": "mystery"}, WayClass(T, inferred=True)),
        ({"highway": "residential"}, WayClass(P, inferred=True)),
        ({"highway": "primary"}, WayClass(P, inferred=True)),
        ({"highway": "footway"}, WayClass(P, inferred=True)),
        ({"highway": "path"}, WayClass(U, inferred=True)),
        ({"highway": "track"}, WayClass(U, inferred=True)),
        ({"highway": "track", "tracktype": "grade1"}, WayClass(P, inferred=True)),
        ({"highway": "bridleway"}, WayClass(U, inferred=True)),
        ({"highway": "road"}, WayClass(X, inferred=False)),
        ({"highway": "path", "surface": "something_new"}, WayClass(X, inferred=False)),
    ],
)
def test_runnable_ways_get_a_class(tags: dict[str, str], expected: WayClass) -> None:
    assert classify_tags(tags) == expected


@pytest.mark.parametrize(
    "tags",
    [{}, {"building": "yes"}, {"highway": "motorway"}, {"highway": "construction"}, {"highway": "bus_stop"}],
)
def test_ways_a_runner_is_not_on_are_left_out(tags: dict[str, str]) -> None:
    assert classify_tags(tags) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [("asphalt", P), ("Asphalt ", P), ("asphalt;gravel", P), ("gravel;asphalt", U), ("rubber", T), ("", X)],
)
def test_surface_values(value: str, expected: SurfaceClass) -> None:
    assert surface_class(value) is expected


def test_breakdown_totals_include_the_unknown_share() -> None:
    breakdown = SurfaceBreakdown(6100.0, 1200.0, 0.0, 700.0, "osm", inferred_m=300.0)
    assert breakdown.total_m == 8000.0
    assert breakdown.known_m == 7300.0
    assert SurfaceBreakdown(1.0, 2.0, 3.0, 4.0, "x").inferred_m == 0.0  # positional construction still works
