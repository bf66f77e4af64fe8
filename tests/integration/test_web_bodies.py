"""Request bodies are capped while they stream (issue 31): a chunked 300 MB `POST /pain` once grew the daemon by
600 MB because the form handler read it whole before cutting it to 8 KiB. Now the pain form answers 413 after
about 8 KiB, and every route (also one added later) answers 413 past 64 KiB, before or while reading."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from syncd.adapters.db import Store
from syncd.entrypoints.web.app import create_app
from syncd.entrypoints.web.bodies import MAX_BODY, body_limit
from syncd.entrypoints.web.pain import MAX_FORM_BODY
from syncd.entrypoints.web.serve import serve_in_thread
from tests.integration.test_web_app import settings_for
from tests.net import chunked_post


@pytest.fixture
def feed(store: Store, tmp_path: Path) -> Iterator[str]:
    store.ensure_athlete("local", name="Ann")
    with serve_in_thread(create_app(store, settings_for(tmp_path))) as base:
        yield base


def test_the_pain_form_refuses_a_chunked_body_after_its_cap(feed: str) -> None:
    status, sent = chunked_post(feed, "/pain", "Content-Type: application/x-www-form-urlencoded\r\n")
    assert status.split()[1:2] == [b"413"], status
    assert sent < 4 * 2**20  # answered early, not after reading everything
    assert sent >= MAX_FORM_BODY


def test_a_declared_length_over_the_cap_is_refused_before_reading(feed: str) -> None:
    parts = urlsplit(feed)
    with socket.create_connection((parts.hostname, parts.port), timeout=5) as sock:
        sock.sendall(
            f"POST /pain HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Length: {300 * 2**20}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n\r\n".encode()
        )
        status = sock.recv(200).split(b"\r\n", 1)[0]
    assert status.split()[1:2] == [b"413"], status


def test_every_route_is_capped_also_one_that_reads_the_whole_body() -> None:
    """A future form that calls `await request.body()` is still bounded by the middleware."""

    async def careless(request: Request) -> Response:
        return PlainTextResponse(str(len(await request.body())))

    app = Starlette(routes=[Route("/form", careless, methods=["POST"])], middleware=body_limit())
    with serve_in_thread(app) as base:
        status, sent = chunked_post(base, "/form")
    assert status.split()[1:2] == [b"413"], status
    assert MAX_BODY <= sent < 4 * 2**20
