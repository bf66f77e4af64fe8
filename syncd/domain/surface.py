"""Surface breakdown of a route, and the pure OpenStreetMap tag tables that say which surface class a way is.

The tables live here, not in the map adapter, because they are the judgement ("is `compacted` soft?") that the
hard-surface rule rests on; the adapters only find which way a runner was on. Classes follow issue #9: paved
(asphalt, concrete, paving stones, sett, and roads without a surface tag by highway class), unpaved/soft (dirt,
grass, gravel, ..., and paths/tracks without a surface tag), track (tartan), unknown (no match, or tags that do not
say). A class taken from the highway type rather than a `surface` tag is *inferred*, so callers can lower their
confidence instead of pretending the map said so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum


@dataclass(frozen=True, slots=True)
class SurfaceBreakdown:
    """Metres of the route per surface class. The unknown share is reported, never hidden.

    `inferred_m` is the part of paved+unpaved+track whose class came from the highway type (no `surface` tag).
    """

    paved_m: float
    unpaved_m: float
    track_m: float
    unknown_m: float
    source: str
    inferred_m: float = 0.0

    @property
    def total_m(self) -> float:
        return self.paved_m + self.unpaved_m + self.track_m + self.unknown_m

    @property
    def known_m(self) -> float:
        return self.total_m - self.unknown_m


class SurfaceClass(IntEnum):
    """Stored as one byte per way segment in the map index; do not renumber."""

    PAVED = 0
    UNPAVED = 1
    TRACK = 2
    UNKNOWN = 3


@dataclass(frozen=True, slots=True)
class WayClass:
    surface: SurfaceClass
    inferred: bool


# The tags the classification reads; adapters keep only these (and the way's geometry).
RELEVANT_KEYS: tuple[str, ...] = ("highway", "surface", "tracktype", "leisure", "footway", "area")

PAVED_SURFACES = frozenset(
    {
        "paved",
        "asphalt",
        "chipseal",
        "concrete",
        "concrete:plates",
        "concrete:lanes",
        "paving_stones",
        "paving_stones:lanes",
        "sett",
        "cobblestone",
        "cobblestone:flattened",
        "unhewn_cobblestone",
        "bricks",
        "brick",
        "metal",
        "metal_grid",
        "wood",
        "stone",
    }
)
UNPAVED_SURFACES = frozenset(
    {
        "unpaved",
        "dirt",
        "earth",
        "ground",
        "soil",
        "mud",
        "grass",
        "grass_paver",
        "gravel",
        "fine_gravel",
        "pebblestone",
        "compacted",
        "woodchips",
        "sand",
        "shells",
        "artificial_turf",
        "forest_floor",
        "bark",
        "clay",
    }
)
TRACK_SURFACES = frozenset({"tartan", "rubber", "acrylic", "synthetic"})

# Ways a runner can be on. Motorways and ways under construction are left out: a GPS track beside a motorway is on
# the path next to it, and snapping it to the motorway would call a field path asphalt.
RUNNABLE_HIGHWAYS = frozenset(
    {
        "footway",
        "path",
        "track",
        "pedestrian",
        "living_street",
        "residential",
        "service",
        "unclassified",
        "tertiary",
        "tertiary_link",
        "secondary",
        "secondary_link",
        "primary",
        "primary_link",
        "trunk",
        "trunk_link",
        "cycleway",
        "bridleway",
        "steps",
        "corridor",
        "road",
    }
)
# Without a surface tag: roads built for cars are paved almost everywhere OSM is mapped; footways, cycleways and
# steps mostly are (sidewalks, park paths in towns); paths, tracks and bridleways mostly are not.
_PAVED_BY_HIGHWAY = RUNNABLE_HIGHWAYS - {"path", "track", "bridleway", "road", "corridor"}
_UNPAVED_BY_HIGHWAY = frozenset({"path", "track", "bridleway"})


def classify_tags(tags: Mapping[str, str]) -> WayClass | None:
    """The surface class of a way from its tags, or None when it is not a way a runner would be on."""
    highway = tags.get("highway")
    is_running_track = tags.get("leisure") == "track"
    if highway not in RUNNABLE_HIGHWAYS and not is_running_track:
        return None
    surface = tags.get("surface", "").strip().lower()
    if surface:
        tagged = surface_class(surface)
        if tagged is not SurfaceClass.UNKNOWN or not is_running_track:
            return WayClass(tagged, inferred=False)
    if is_running_track:
        return WayClass(SurfaceClass.TRACK, inferred=True)
    tracktype = tags.get("tracktype", "")
    if highway == "track" and tracktype == "grade1":
        return WayClass(SurfaceClass.PAVED, inferred=True)
    if highway in _PAVED_BY_HIGHWAY:
        return WayClass(SurfaceClass.PAVED, inferred=True)
    if highway in _UNPAVED_BY_HIGHWAY:
        return WayClass(SurfaceClass.UNPAVED, inferred=True)
    return WayClass(SurfaceClass.UNKNOWN, inferred=False)


def surface_class(surface: str) -> SurfaceClass:
    """The class of one `surface=*` value; `asphalt;gravel` style lists count by their first value."""
    value = surface.split(";", 1)[0].strip().lower()
    if value in PAVED_SURFACES or value.startswith("paving_stones"):
        return SurfaceClass.PAVED
    if value in UNPAVED_SURFACES:
        return SurfaceClass.UNPAVED
    if value in TRACK_SURFACES:
        return SurfaceClass.TRACK
    return SurfaceClass.UNKNOWN
