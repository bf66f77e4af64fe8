"""Read runnable ways out of an OpenStreetMap extract (.osm, .osm.pbf, .osm.bz2/.gz) with pyosmium.

Only ways pass the C++ filters (highway=* or leisure=*), and only the tags the surface tables read are looked at,
so a city extract reads in seconds. Nodes missing from a clipped extract leave gaps instead of failing.
"""

from __future__ import annotations

from pathlib import Path

import osmium

from syncd.adapters.osm.errors import SurfaceMapError
from syncd.adapters.osm.index import Bounds
from syncd.adapters.osm.segments import COORD_SCALE, SegmentBuilder, SegmentSet
from syncd.domain.surface import RELEVANT_KEYS, WayClass, classify_tags

DATA_BOUNDS_MARGIN_DEG = 0.01
EXTRACT_SUFFIXES = (".osm.pbf", ".pbf", ".osm", ".osm.bz2", ".osm.gz", ".o5m")


def check_extract_path(path: Path) -> None:
    """Fail early, with the fix, for a path that cannot be an extract."""
    if not path.is_file():
        raise SurfaceMapError(
            f"OSM extract {path} not found; download a region (e.g. from download.geofabrik.de) and set "
            "[surface] osm_file or --osm to its path"
        )
    if not any(path.name.lower().endswith(suffix) for suffix in EXTRACT_SUFFIXES):
        raise SurfaceMapError(f"OSM extract {path} is not an .osm or .osm.pbf file; give an OpenStreetMap extract")


def read_extract(path: Path) -> tuple[SegmentSet, Bounds | None]:
    """Segments of every runnable way, and the area the extract covers (header bounds, else the data's extent)."""
    check_extract_path(path)
    builder = SegmentBuilder()
    memo: dict[tuple[str | None, ...], WayClass | None] = {}
    min_lat = min_lon = 2**31
    max_lat = max_lon = -(2**31)
    try:
        processor = (
            osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
            .with_locations()
            .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
            .with_filter(osmium.filter.KeyFilter("highway", "leisure"))
        )
        for entity in processor:
            if not isinstance(entity, osmium.osm.Way):
                continue
            way = entity
            tags = way.tags
            key = tuple(tags.get(k) for k in RELEVANT_KEYS)
            if key in memo:
                way_class = memo[key]
            else:
                way_class = memo[key] = classify_tags(
                    {k: v for k, v in zip(RELEVANT_KEYS, key, strict=True) if v is not None}
                )
            if way_class is None:
                continue
            lats = [node.location.y for node in way.nodes]
            lons = [node.location.x for node in way.nodes]
            builder.add(way.id, way_class, lats, lons)
        header_box = _header_box(path)
    except RuntimeError as exc:
        reason = " ".join(str(exc).split())
        raise SurfaceMapError(
            f"cannot read OSM extract {path} ({reason}); download it again or convert it with `osmium cat`"
        ) from None
    segments = builder.build()
    if header_box is not None:
        return segments, header_box
    if len(segments) == 0:
        return segments, None
    for lat_arr, lon_arr in ((segments.lat1, segments.lon1), (segments.lat2, segments.lon2)):
        min_lat, max_lat = min(min_lat, int(lat_arr.min())), max(max_lat, int(lat_arr.max()))
        min_lon, max_lon = min(min_lon, int(lon_arr.min())), max(max_lon, int(lon_arr.max()))
    # no <bounds> in the file: the data's extent, widened a little so a road on the edge still counts as covered
    margin = DATA_BOUNDS_MARGIN_DEG
    return segments, (
        min_lat * COORD_SCALE - margin,
        min_lon * COORD_SCALE - margin,
        max_lat * COORD_SCALE + margin,
        max_lon * COORD_SCALE + margin,
    )


def _header_box(path: Path) -> Bounds | None:
    reader = osmium.io.Reader(str(path), osmium.osm.NOTHING)
    try:
        box = reader.header().box()
    finally:
        reader.close()
    if not box.valid():
        return None
    return (box.bottom_left.lat, box.bottom_left.lon, box.top_right.lat, box.top_right.lon)
