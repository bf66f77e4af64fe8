"""The one-tap check-in in real headless Chromium at phone width: the page passes the accessibility checks
(a11y_check.js: AA contrast in light and dark, one <h1>, every control labelled, nothing wider than 390 px), one
tap on a number with JavaScript switched off records the entry, ticked red flags get the urgent advice, and the page
installs as an app (manifest and icons). Screenshots land in test-artifacts/ for a human to look at."""

from __future__ import annotations

import html
import json
import struct
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from syncd.adapters.crypto import SecretBox
from syncd.adapters.db import Store
from syncd.config import Settings
from syncd.entrypoints.web.checkin import checkin_routes
from syncd.entrypoints.web.serve import serve_in_thread
from syncd.entrypoints.wiring import notify_repositories
from syncd.services.checkin import make_token
from tests.e2e.cdp import CHROMIUM, Browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
A11Y_SCRIPT = (Path(__file__).resolve().parent / "a11y_check.js").read_text(encoding="utf-8")

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian chromium (.ci/run installs it)")


async def a11y_page(request: Request) -> HTMLResponse:
    width = int(request.query_params.get("width", "390"))
    path = html.escape(request.query_params["path"])
    frame = f'<iframe data-name="checkin" src="{path}" style="display:block;width:{width}px;height:1800px;border:0">'
    return HTMLResponse(
        f'<!doctype html><html><body style="margin:0">{frame}</iframe><pre id="result">pending</pre>'
        f"<script>{A11Y_SCRIPT}</script></body></html>"
    )


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Store, str]]:
    store = Store.open(f"sqlite:///{tmp_path / 'syncd.db'}", secret_box=SecretBox(SecretBox.generate_key()))
    store.ensure_athlete("local", name="Nora", timezone_name="UTC")
    token = make_token(store.signing_key("checkin"), "local", datetime.now(UTC).date())
    settings = Settings(state_dir=tmp_path, config_path=None)
    app = Starlette(routes=[Route("/__a11y", a11y_page), *checkin_routes(notify_repositories(store), settings)])
    with serve_in_thread(app) as base:
        yield base, store, token
    store.close()


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def test_checkin_page_is_accessible_on_a_phone_and_one_tap_records(
    server: tuple[str, Store, str], tmp_path: Path
) -> None:
    base, store, token = server
    path = f"/checkin?t={quote(token, safe='.')}"
    ARTIFACTS.mkdir(exist_ok=True)
    with Browser(tmp_path / "profile") as browser:
        for scheme in ("light", "dark"):
            browser.call("Emulation.setEmulatedMedia", session=True,
                         features=[{"name": "prefers-color-scheme", "value": scheme}])  # fmt: skip
            for width in (390, 320):
                browser.goto(f"{base}/__a11y?width={width}&path={quote(path, safe='')}")
                results = json.loads(str(browser.run("document.getElementById('result').textContent")))
                assert isinstance(results, list), results
                [page] = results
                assert page["problems"] == [], (scheme, width, page["problems"])
                assert page["checked"] >= 15
            browser.goto(base + path)
            browser.run("document.querySelector('details').open = true")
            browser.screenshot(ARTIFACTS / f"checkin-{scheme}-390.png", 390)
        browser.call("Emulation.setEmulatedMedia", session=True, features=[])
        browser.goto(base + path)
        assert store.pain_diary.entries() == []  # opening the link records nothing
        # a person: open the details, type a note, tick a red flag, then tap 6, with JavaScript off
        browser.run(
            "document.querySelector('details').open = true;"
            "document.querySelector('#note').value = 'stiff after the drive';"
            "document.querySelector('input[value=saddle]').checked = true;"
        )
        box = browser.run(
            "(() => { const b = [...document.querySelectorAll('button[name=score]')].find(x => x.value === '6');"
            "b.scrollIntoView(); const r = b.getBoundingClientRect();"
            "return [r.x + r.width / 2, r.y + r.height / 2, r.width, r.height]; })()"
        )
        x, y, w, h = (float(v) for v in box)
        assert w >= 44 and h >= 44  # a thumb-sized target
        browser.call("Emulation.setScriptExecutionDisabled", session=True, value=True)
        browser._events.clear()
        for kind in ("mousePressed", "mouseReleased"):
            browser.call("Input.dispatchMouseEvent", session=True, type=kind, x=x, y=y, button="left", clickCount=1)
        browser.wait_for("Page.loadEventFired")
        page_html = browser.html()
        browser.screenshot(ARTIFACTS / "checkin-recorded-390.png", 390)
    day = datetime.now(UTC).date()
    assert "Thank you" in page_html and f"{day:%A} {day.day} {day:%B}: 6/10." in page_html
    assert "Please get medical help today" in page_html
    [entry] = store.pain_diary.entries()
    assert (entry.score, entry.source.value) == (6, "checkin")
    assert entry.note == "stiff after the drive Red flags: Numbness between the legs or around the bottom."


def test_the_page_installs_as_an_app(server: tuple[str, Store, str]) -> None:
    base, _store, token = server
    with urllib.request.urlopen(f"{base}/checkin?t={token}", timeout=10) as answer:
        page = answer.read().decode()
    assert '<link rel="manifest" href="/checkin/manifest.webmanifest">' in page
    with urllib.request.urlopen(f"{base}/checkin/manifest.webmanifest", timeout=10) as answer:
        assert answer.headers["Content-Type"].startswith("application/manifest+json")
        manifest = json.loads(answer.read())
    assert manifest["display"] == "standalone" and manifest["start_url"] == "/checkin"
    for icon in manifest["icons"]:
        with urllib.request.urlopen(base + icon["src"], timeout=10) as answer:
            width, height = _png_size(answer.read())
        assert f"{width}x{height}" == icon["sizes"]
