"""Surface from the map (issue #9): OpenStreetMap extract or Overpass, map matching, surface classes.

Implements the `SurfaceMap` port: `classify(lat, lon) -> SurfaceBreakdown | None`. Names are loaded on first use:
building the daemon's lazy surface map must not import osmium and shapely before any run is annotated.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from syncd.adapters.osm.errors import SurfaceMapError
    from syncd.adapters.osm.extract_map import ExtractSurfaceMap
    from syncd.adapters.osm.lazy import LazySurfaceMap
    from syncd.adapters.osm.matching import MatchParams, match_surface
    from syncd.adapters.osm.overpass import OverpassClient, OverpassSurfaceMap, TileCache

_WHERE = {
    "SurfaceMapError": "errors",
    "ExtractSurfaceMap": "extract_map",
    "LazySurfaceMap": "lazy",
    "MatchParams": "matching",
    "match_surface": "matching",
    "OverpassClient": "overpass",
    "OverpassSurfaceMap": "overpass",
    "TileCache": "overpass",
}

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


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
    globals()[name] = value
    return value
