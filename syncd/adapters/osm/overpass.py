"""SurfaceMap over an Overpass API endpoint, with every answer cached per map tile in the database.

Etiquette (https://wiki.openstreetmap.org/wiki/Overpass_API#Public_Overpass_API_instances): one request at a
time, a User-Agent that names syncd, a server-side timeout, small tiles (zoom 14, ~2 km), and never the same tile
twice: tiles live in the `map_tiles` table (shared by all workers) for `max_age`. A 429 or 504 stops the run's
requests; the rule then falls back to "no map data" for that activity and the next one tries again.
"""

from __future__ import annotations

import json
import math
import urllib.error
import urllib.parse
import urllib.request
import zlib
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import numpy as np

from syncd import __version__
from syncd.adapters.osm.errors import SurfaceMapError
from syncd.adapters.osm.matching import EARTH_RADIUS_M, MatchParams, match_surface
from syncd.adapters.osm.segments import SegmentBuilder, SegmentSet
from syncd.domain.model import FloatArray
from syncd.domain.surface import RELEVANT_KEYS, SurfaceBreakdown, classify_tags
from syncd.logging import get_logger
from syncd.ports import MapTileRepository

log = get_logger("syncd.osm")

TILE_ZOOM = 14
TILE_FORMAT = 1
USER_AGENT = f"syncd/{__version__} (self-hosted back-care running notes; surface lookup)"
QUERY = (
    '[out:json][timeout:{timeout}];(way["highway"]({s},{w},{n},{e});way["leisure"="track"]({s},{w},{n},{e}););'
    "out tags geom;"
)

Tile = tuple[int, int, int]
Way = tuple[int, dict[str, str], list[float], list[float]]


def tile_of(lat: FloatArray, lon: FloatArray, zoom: int = TILE_ZOOM) -> tuple[FloatArray, FloatArray]:
    """Slippy-map tile numbers (x, y) of points."""
    n = 2.0**zoom
    lat_r = np.radians(np.clip(lat, -85.0511, 85.0511))
    x = np.floor((lon + 180.0) / 360.0 * n)
    y = np.floor((1.0 - np.log(np.tan(lat_r) + 1.0 / np.cos(lat_r)) / math.pi) / 2.0 * n)
    return np.clip(x, 0, n - 1), np.clip(y, 0, n - 1)


def tile_bounds(tile: Tile) -> tuple[float, float, float, float]:
    """(south, west, north, east) of a tile."""
    zoom, x, y = tile
    n = 2.0**zoom

    def lat(yy: float) -> float:
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * yy / n))))

    return lat(y + 1), x / n * 360.0 - 180.0, lat(y), (x + 1) / n * 360.0 - 180.0


def tiles_for_track(lat: FloatArray, lon: FloatArray, margin_m: float, zoom: int = TILE_ZOOM) -> list[Tile]:
    """Every tile within `margin_m` of a sample, so ways just across a tile edge are candidates too."""
    dlat = math.degrees(margin_m / EARTH_RADIUS_M)
    dlon = dlat / max(0.01, math.cos(math.radians(float(np.mean(lat)))))
    found: set[Tile] = set()
    for off_lat in (-dlat, 0.0, dlat):
        for off_lon in (-dlon, 0.0, dlon):
            xs, ys = tile_of(lat + off_lat, lon + off_lon, zoom)
            found.update((zoom, int(x), int(y)) for x, y in set(zip(xs.tolist(), ys.tolist(), strict=True)))
    return sorted(found)


class OverpassClient:
    """Asks an Overpass endpoint for the runnable ways of one tile (stdlib HTTP, timeouts, one-line errors)."""

    def __init__(self, url: str, *, timeout_s: float = 60.0) -> None:
        self.url = url
        self.timeout_s = timeout_s

    def fetch(self, tile: Tile) -> list[Way]:
        south, west, north, east = tile_bounds(tile)
        query = QUERY.format(
            timeout=max(1, int(self.timeout_s) - 5),
            s=f"{south:.7f}",
            w=f"{west:.7f}",
            n=f"{north:.7f}",
            e=f"{east:.7f}",
        )
        body = urllib.parse.urlencode({"data": query}).encode()
        request = urllib.request.Request(
            self.url, data=body, headers={"User-Agent": USER_AGENT, "Accept": "application/json"}, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                payload = response.read()
        except urllib.error.HTTPError as exc:
            if exc.code in (429, 503, 504):
                raise SurfaceMapError(
                    f"Overpass at {self._where()} is busy (HTTP {exc.code}); syncd will ask again for the next run, "
                    "or set [surface] osm_file to a local extract"
                ) from None
            raise SurfaceMapError(
                f"Overpass at {self._where()} answered HTTP {exc.code}; check [surface] overpass_url"
            ) from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", None) or exc
            raise SurfaceMapError(
                f"cannot reach Overpass at {self._where()} ({reason}); check [surface] overpass_url and the network, "
                "or set [surface] osm_file to a local extract"
            ) from None
        return parse_overpass(payload, self._where())

    def _where(self) -> str:
        parts = urllib.parse.urlsplit(self.url)
        return f"{parts.scheme}://{parts.hostname}{f':{parts.port}' if parts.port else ''}{parts.path}"


def parse_overpass(payload: bytes, where: str) -> list[Way]:
    """Ways from an Overpass JSON answer, keeping only the tags the surface tables read."""
    try:
        document = json.loads(payload)
        elements = document["elements"]
        if not isinstance(elements, list):
            raise TypeError("elements is not a list")
        if document.get("remark") and "error" in str(document["remark"]).lower():
            raise SurfaceMapError(
                f"Overpass at {where} gave up on a query ({str(document['remark'])[:120]}); it is overloaded, "
                "try later or use a local extract"
            )
        ways: list[Way] = []
        for element in elements:
            if element.get("type") != "way":
                continue
            tags = {k: str(v) for k, v in (element.get("tags") or {}).items() if k in RELEVANT_KEYS}
            geometry = [g for g in element.get("geometry") or [] if g]
            ways.append(
                (int(element["id"]), tags, [float(g["lat"]) for g in geometry], [float(g["lon"]) for g in geometry])
            )
        return ways
    except (ValueError, KeyError, TypeError, AttributeError):
        raise SurfaceMapError(
            f"Overpass at {where} answered with something that is not Overpass JSON; check [surface] overpass_url"
        ) from None


class TileCache:
    """Overpass tiles in the map-tile repository (syncd.ports.MapTileRepository): compressed JSON of the ways."""

    def __init__(self, tiles: MapTileRepository, *, max_age: timedelta = timedelta(days=365)) -> None:
        self.tiles = tiles
        self.max_age = max_age

    def get(self, source: str, tile: Tile) -> list[Way] | None:
        found = self.tiles.get(source, "/".join(map(str, tile)))
        if found is None:
            return None
        fetched_at, data = found
        if datetime.now(UTC) - fetched_at > self.max_age:
            return None
        try:
            document = json.loads(zlib.decompress(data))
            if document.get("format") != TILE_FORMAT:
                return None
            return [(int(w[0]), dict(w[1]), list(w[2]), list(w[3])) for w in document["ways"]]
        except (zlib.error, ValueError, KeyError, TypeError, IndexError):
            return None  # unreadable: ask again

    def put(self, source: str, tile: Tile, ways: list[Way]) -> None:
        data = zlib.compress(json.dumps({"format": TILE_FORMAT, "ways": ways}, separators=(",", ":")).encode())
        self.tiles.put(source, "/".join(map(str, tile)), data, datetime.now(UTC))


class OverpassSurfaceMap:
    """Implements the SurfaceMap port by asking Overpass for the tiles a track crosses (cached in the database)."""

    def __init__(
        self,
        url: str,
        cache: TileCache | None,
        *,
        client: OverpassClient | None = None,
        params: MatchParams | None = None,
    ) -> None:
        self.client = client or OverpassClient(url)
        self.cache = cache
        self.params = params or MatchParams()
        where = self.client._where()
        self.cache_source = where if len(where) <= 200 else where[:180] + "#" + str(zlib.crc32(where.encode()))
        self.source = "overpass"
        self.requests = 0

    def ways(self, tiles: Iterable[Tile]) -> list[Way]:
        seen: set[int] = set()
        out: list[Way] = []
        for tile in tiles:
            ways = self.cache.get(self.cache_source, tile) if self.cache else None
            if ways is None:
                self.requests += 1
                ways = self.client.fetch(tile)
                if self.cache:
                    self.cache.put(self.cache_source, tile, ways)
            for way in ways:
                if way[0] not in seen:
                    seen.add(way[0])
                    out.append(way)
        return out

    def classify(self, lat: FloatArray, lon: FloatArray) -> SurfaceBreakdown | None:
        """None when Overpass cannot be asked (logged); the tiles already fetched stay cached."""
        if lat.size < 2:
            return None
        try:
            ways = self.ways(tiles_for_track(lat, lon, self.params.radius_m))
        except SurfaceMapError as exc:
            log.warning("surface map unavailable", error=str(exc))
            return None
        return match_surface(segments_of(ways), lat, lon, source=self.source, params=self.params)


def segments_of(ways: Iterable[Way]) -> SegmentSet:
    builder = SegmentBuilder()
    for way_id, tags, lats, lons in ways:
        way_class = classify_tags(tags)
        if way_class is not None:
            builder.add(way_id, way_class, [round(v * 1e7) for v in lats], [round(v * 1e7) for v in lons])
    return builder.build()
