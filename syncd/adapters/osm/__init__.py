"""Surface from the map (issue #9): OpenStreetMap extract or Overpass, map matching, surface classes.

Implements the `SurfaceMap` port: `classify(lat, lon) -> SurfaceBreakdown | None`.
"""

from __future__ import annotations

from syncd.adapters.osm.errors import SurfaceMapError
from syncd.adapters.osm.extract_map import ExtractSurfaceMap
from syncd.adapters.osm.lazy import LazySurfaceMap
from syncd.adapters.osm.matching import MatchParams, match_surface
from syncd.adapters.osm.overpass import OverpassClient, OverpassSurfaceMap, TileCache

__all__ = [
    "ExtractSurfaceMap",
    "LazySurfaceMap",
    "MatchParams",
    "OverpassClient",
    "OverpassSurfaceMap",
    "SurfaceMapError",
    "TileCache",
    "match_surface",
]
