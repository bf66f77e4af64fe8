"""Surface from Overpass: a simulated Overpass server on loopback, tiles cached in the store (SQLite + PostgreSQL)."""

from __future__ import annotations

import json
import re
import threading
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sqlalchemy as sa

from syncd.adapters.db import Store
from syncd.adapters.db.models import MAP_TILES
from syncd.adapters.osm import OverpassClient, OverpassSurfaceMap, SurfaceMapError, TileCache
from syncd.adapters.osm.overpass import tile_bounds
from tests.integration.test_osm_extract import ROUTE, TOWN, gps_along, to_latlon

BBOX = re.compile(r'way\["highway"\]\(([-\d.]+),([-\d.]+),([-\d.]+),([-\d.]+)\)')


def overpass_elements() -> list[dict[str, object]]:
    elements: list[dict[str, object]] = []
    for number, way in enumerate(TOWN, start=1):
        lats, lons = to_latlon([p[0] for p in way.points], [p[1] for p in way.points])
        geometry = [{"lat": float(a), "lon": float(o)} for a, o in zip(lats, lons, strict=True)]
        elements.append({"type": "way", "id": 1000 + number, "tags": way.tags, "geometry": geometry})
    return elements


@dataclass
class FakeOverpass:
    """Answers Overpass queries like the real interpreter: ways whose geometry touches the query's bbox."""

    status: int = 200
    body: bytes | None = None
    queries: list[str] = field(default_factory=list)
    agents: list[str] = field(default_factory=list)
    url: str = ""

    def answer(self, query: str) -> bytes:
        match = BBOX.search(query)
        assert match, query
        south, west, north, east = map(float, match.groups())
        hits = []
        for element in overpass_elements():
            geometry = element["geometry"]
            assert isinstance(geometry, list)
            if any(south <= g["lat"] <= north and west <= g["lon"] <= east for g in geometry):
                want_track = "leisure" in query
                tags = element["tags"]
                assert isinstance(tags, dict)
                if "highway" in tags or (want_track and tags.get("leisure") == "track"):
                    hits.append(element)
        return json.dumps({"version": 0.6, "generator": "fake", "elements": hits}).encode()


@pytest.fixture
def overpass() -> Iterator[FakeOverpass]:
    fake = FakeOverpass()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            form = urllib.parse.parse_qs(self.rfile.read(length).decode())
            query = form["data"][0]
            fake.queries.append(query)
            fake.agents.append(self.headers.get("User-Agent", ""))
            body = fake.body if fake.body is not None else fake.answer(query)
            self.send_response(fake.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}/api/interpreter"
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


def test_run_is_classified_from_overpass_and_tiles_are_never_asked_twice(
    overpass: FakeOverpass, store_factory: Callable[[], Store]
) -> None:
    store = store_factory()
    smap = OverpassSurfaceMap(overpass.url, TileCache(store.map_tiles))
    result = smap.classify(*gps_along(ROUTE))
    assert result is not None
    assert result.source == "overpass"
    assert result.paved_m == pytest.approx(2000, abs=40)
    assert result.unpaved_m == pytest.approx(1500, abs=40)
    assert result.track_m == pytest.approx(500, abs=40)
    assert result.unknown_m == pytest.approx(500, abs=40)
    asked = len(overpass.queries)
    assert asked == smap.requests >= 1
    assert all(agent.startswith("syncd/") for agent in overpass.agents)
    with store.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(MAP_TILES)).scalar_one() == asked

    # the same streets again, even from another worker with its own engine: no new request
    other = OverpassSurfaceMap(overpass.url, TileCache(store_factory().map_tiles))
    assert other.classify(*gps_along(ROUTE, seed=99)) is not None
    assert len(overpass.queries) == asked
    assert other.requests == 0


def test_tile_queries_cover_the_tile_bbox(overpass: FakeOverpass) -> None:
    ways = OverpassClient(overpass.url).fetch((14, 8784, 5374))
    south, west, north, east = tile_bounds((14, 8784, 5374))
    assert south < north and west < east
    assert f"{south:.7f},{west:.7f},{north:.7f},{east:.7f}" in overpass.queries[0]
    assert isinstance(ways, list)


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (429, b"{}", "busy \\(HTTP 429\\)"),
        (504, b"gateway timeout", "busy \\(HTTP 504\\)"),
        (400, b"bad query", "HTTP 400; check \\[surface\\] overpass_url"),
        (200, b"<html>not json</html>", "not Overpass JSON"),
        (200, b'{"elements": 3}', "not Overpass JSON"),
    ],
)
def test_overpass_failures_are_one_line_and_never_fail_the_run(
    overpass: FakeOverpass, store: Store, status: int, body: bytes, message: str
) -> None:
    overpass.status, overpass.body = status, body
    with pytest.raises(SurfaceMapError, match=message) as raised:
        OverpassClient(overpass.url).fetch((14, 8784, 5374))
    assert "\n" not in str(raised.value)
    smap = OverpassSurfaceMap(overpass.url, TileCache(store.map_tiles))
    assert smap.classify(*gps_along(ROUTE)) is None
    with store.engine.connect() as conn:  # nothing cached from a failure
        assert conn.execute(sa.select(sa.func.count()).select_from(MAP_TILES)).scalar_one() == 0


def test_unreachable_overpass_is_a_one_line_error() -> None:
    with pytest.raises(SurfaceMapError, match=r"cannot reach Overpass at http://127\.0\.0\.1:9/api"):
        OverpassClient("http://127.0.0.1:9/api", timeout_s=5).fetch((14, 8784, 5374))
    assert OverpassSurfaceMap("http://127.0.0.1:9/api", None).classify(*gps_along(ROUTE)) is None


def test_credentials_in_the_url_never_reach_the_message(overpass: FakeOverpass) -> None:
    overpass.status = 500
    secret_url = overpass.url.replace("http://", "http://user:hunter2@")
    with pytest.raises(SurfaceMapError) as raised:
        OverpassClient(secret_url).fetch((14, 8784, 5374))
    assert "hunter2" not in str(raised.value)
