"""The feed under hostile query strings and rows stored before import validation existed (issue 17, items 1, 6).

Every answer is 200/400/404 with one line, never a 500 or a traceback; JSON never holds NaN or Infinity; a row
whose clock says 55 years must not make the activity page resample 55 years.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import numpy as np
import pytest

from syncd.adapters.db import Store
from syncd.domain.model import Activity, Source, Sport, Streams
from syncd.entrypoints.web.app import create_app
from syncd.entrypoints.web.serve import serve_in_thread
from syncd.services.annotating import AnnotationPolicy, annotate_stored
from tests.integration.test_web_app import get, settings_for


def _bad_rows(store: Store) -> list[int]:
    """Rows as the pre-validation import stored them: a 55-year span, infinite coordinates and totals."""
    athlete = store.ensure_athlete("local", name="Hostile")
    t = np.array([0.0, 1_735_000_000.0])
    span = Activity(
        Source.FILE,
        "span",
        Sport.RUN,
        "running",
        datetime(1971, 1, 1, tzinfo=UTC),
        distance_m=3000.0,
        elapsed_s=float(t[-1]),
        streams=Streams(
            time_s=t,
            distance_m=np.array([0.0, 3000.0]),
            altitude_m=np.array([100.0, 200.0]),
            lat=np.array([46.0, 46.01]),
            lon=np.array([14.5, 14.5]),
        ),
    )
    inf = Activity(
        Source.FILE,
        "inf",
        Sport.RUN,
        "running",
        datetime(2026, 11, 1, tzinfo=UTC),
        distance_m=float("inf"),
        elapsed_s=600.0,
        moving_s=float("nan"),
        elevation_gain_m=float("-inf"),
        streams=Streams(
            time_s=np.arange(0.0, 600.0, 10.0),
            lat=np.full(60, np.inf),
            lon=np.full(60, 1e308),
            distance_m=np.linspace(0.0, 1e308, 60),
            altitude_m=np.linspace(0.0, 1e300, 60),
        ),
    )
    ids = [store.upsert_activity(athlete, a, {}).activity_id for a in (span, inf)]
    for activity_id in ids:  # the rules must cope with such rows too
        annotate_stored(store, activity_id, AnnotationPolicy())
    return ids


@pytest.fixture
def server(store: Store, tmp_path: Path) -> Iterator[tuple[str, list[int]]]:
    ids = _bad_rows(store)
    with serve_in_thread(create_app(store, settings_for(tmp_path))) as base:
        yield base, ids


def test_stored_bad_rows_still_give_valid_json_and_pages(server: tuple[str, list[int]]) -> None:
    base, ids = server
    listing = get(base + "/api/activities")
    assert listing.status == 200, listing.body
    json.loads(listing.body, parse_constant=lambda c: pytest.fail(f"{c} in JSON"))
    for activity_id in ids:
        detail = get(f"{base}/api/activities/{activity_id}")
        assert detail.status == 200, detail.body
        data = json.loads(detail.body, parse_constant=lambda c: pytest.fail(f"{c} in JSON"))
        assert data["distance_m"] is None or data["distance_m"] == 3000.0
        page = get(f"{base}/activities/{activity_id}")
        assert page.status == 200, page.body
    assert get(base + "/").status == 200
    assert get(base + "/feed.atom").status == 200


HOSTILE_QUERIES = [
    ("/api/activities/99999999999999999999999", 404),
    ("/api/activities/9223372036854775808", 404),
    ("/api/activities/9223372036854775807", 404),
    ("/api/activities/" + quote("²"), 404),
    ("/api/activities/" + quote("١٢"), 404),
    ("/api/activities/-1", 404),
    ("/api/activities/0", 404),
    ("/api/activities/1e3", 404),
    ("/api/activities/0x10", 404),
    ("/api/activities/%00", 404),
    ("/activities/99999999999999999999999", 404),
    ("/activities/" + quote("²"), 404),
    ("/api/activities?page=" + quote("²"), 400),
    ("/api/activities?page=99999999999999999999999", 400),
    ("/api/activities?page=9223372036854775807", 400),
    ("/api/activities?page=0", 400),
    ("/api/activities?page=-1", 400),
    ("/api/activities?per_page=" + quote("٣"), 400),
    ("/api/activities?per_page=1e9", 400),
    ("/api/activities?athlete=99999999999999999999999", 400),
    ("/api/activities?athlete=" + quote("²"), 400),
    ("/api/activities?week=" + quote("٢٠٢٦-W47"), 400),
    ("/api/activities?week=2026-W99", 400),
    ("/api/activities?week=9999999-W01", 400),
    ("/api/activities?week=2026-W47%0A", 200),
    ("/api/activities?flag=" + quote("downhill\x00"), 400),
    ("/api/activities?flag=" + "x" * 5000, 400),
    ("/api/activities?sport=" + quote("'; DROP TABLE activities; --"), 400),
    ("/api/activities?key=" + quote("².abc"), 401),
    ("/api/activities?key=99999999999999999999999.abc", 401),
    ("/?page=" + quote("²"), 400),
    ("/?before=" + quote("²_1"), 400),  # issue 32's keyset links: ASCII digits only, within BIGINT
    ("/?before=1_99999999999999999999", 400),
    ("/feed.atom?before=1_" + "9" * 19, 400),
    ("/api/activities?before=abc", 400),
    ("/api/activities?before=1_2", 200),
    ("/api/activities?before=-9223372036854775_2", 200),
    ("/?athlete=" + quote("²"), 400),
    ("/?week=" + quote("²"), 400),
    ("/feed.atom?athlete=99999999999999999999999", 400),
    ("/?week=9999-W52", 400),  # issue 31: these three answered 500 (OverflowError in the feed's date arithmetic)
    ("/feed.atom?week=9999-W52", 400),
    ("/api/activities?week=9999-W52", 400),
    ("/api/activities?week=0001-W01", 400),
]


@pytest.mark.parametrize(("path", "expected"), HOSTILE_QUERIES)
def test_hostile_query_strings_are_4xx_with_one_line(
    server: tuple[str, list[int]], path: str, expected: int, capfd: pytest.CaptureFixture[str]
) -> None:
    base, _ids = server
    answer = get(base + path)
    assert answer.status == expected, (path, answer.status, answer.body[:300])
    if expected != 200:
        assert "\n" not in answer.body.strip() and "Traceback" not in answer.body
    assert "Traceback" not in capfd.readouterr().err


def test_uvicorn_errors_are_json_log_lines_not_plain_tracebacks() -> None:
    """An exception outside our handlers reaches uvicorn's logger: it must come out as one JSON object per line."""
    import io
    import logging

    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    from syncd.logging import configure_logging

    async def boom(_request: Request) -> Response:
        raise RuntimeError("kaput")

    out = io.StringIO()
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    configure_logging("json", stream=out)
    try:
        with serve_in_thread(Starlette(routes=[Route("/boom", boom)])) as base:
            answer = get(base + "/boom")
    finally:
        root.handlers[:], root.level = saved
    assert answer.status == 500 and "kaput" not in answer.body and "Traceback" not in answer.body
    lines = [line for line in out.getvalue().splitlines() if line.strip()]
    assert lines, "uvicorn logged nothing"
    records = [json.loads(line) for line in lines]  # every line is JSON: no plain-text traceback
    assert any("kaput" in json.dumps(r) for r in records)
