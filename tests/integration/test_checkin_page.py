"""The check-in page opened without a link: what the home-screen app (manifest start_url /checkin) opens."""

from __future__ import annotations

import asyncio
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from syncd.adapters.db import Store
from syncd.config import Settings
from syncd.entrypoints.web.checkin import MANIFEST, checkin_routes
from syncd.entrypoints.wiring import notify_repositories


def _get(store: Store, tmp_path: Path, query: str) -> Response:
    routes = checkin_routes(notify_repositories(store), Settings(state_dir=tmp_path, config_path=None))
    [show] = [r for r in routes if isinstance(r, Route) and r.path == "/checkin" and "GET" in (r.methods or ())]
    scope = {"type": "http", "method": "GET", "path": "/checkin", "query_string": query.encode(), "headers": []}
    response = asyncio.run(show.endpoint(Request(scope)))
    assert isinstance(response, Response)
    return response


def test_the_home_screen_app_without_a_link_says_where_todays_is(store: Store, tmp_path: Path) -> None:
    assert MANIFEST["start_url"] == "/checkin"  # what the installed app opens: no token
    page = _get(store, tmp_path, "")
    text = bytes(page.body).decode()
    assert page.status_code == 200
    assert "Open today&#39;s check-in from the link syncd sends you" in text
    assert "not valid" not in text and "cut short" not in text  # it said so, though nothing was cut short


def test_a_cut_short_link_is_still_refused(store: Store, tmp_path: Path) -> None:
    page = _get(store, tmp_path, "t=c3RyYXZhOjEwMDE.20261206")
    assert page.status_code == 400 and "not valid" in bytes(page.body).decode()
