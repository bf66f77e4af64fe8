"""Real headless Chromium loads the feed and an activity page from a server on loopback.

Chromium runs as a subprocess (`--dump-dom` for the rendered DOM, `--screenshot` for pictures saved under
test-artifacts/ for a human to look at); no JavaScript is needed by the pages, so no driver is needed either.
"""

from __future__ import annotations

import html
import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from syncd.adapters.db import Store
from syncd.config import AdviceSettings, Settings
from syncd.entrypoints.web.app import routes
from syncd.entrypoints.web.serve import serve_in_thread
from syncd.entrypoints.wiring import import_repositories
from syncd.services.annotating import AnnotationPolicy
from syncd.services.importing import import_paths
from tests.real_sample import real_sample

# the pages show a sore-back season: downhill and surface as the rules rate them (docs/pain.md)
SORE = AnnotationPolicy(advice=AdviceSettings(mode="sore"))

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
A11Y_SCRIPT = (Path(__file__).resolve().parent / "a11y_check.js").read_text(encoding="utf-8")

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Debian chromium: apt-get install chromium chromium-driver (.ci/run does)"
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Store]]:
    tmp = tmp_path_factory.mktemp("web")
    store = Store.open(f"sqlite:///{tmp / 'syncd.db'}")
    athlete = store.ensure_athlete("local", name="Browser Runner")
    report = import_paths(import_repositories(store), athlete, [real_sample(tmp)], SORE)
    assert not report.failed
    app = Starlette(routes=[Route("/__a11y", a11y_page), *routes(store, Settings(state_dir=tmp, config_path=None))])
    with serve_in_thread(app) as base:
        yield base, store
    store.close()


async def a11y_page(request: Request) -> HTMLResponse:
    """Test-only page: each `path` in a same-origin iframe `width` px wide, checked by a11y_check.js."""
    width = int(request.query_params.get("width", "1280"))
    frames = "".join(
        f'<iframe data-name="{html.escape(path)}" src="{html.escape(path)}" '
        f'style="display:block;width:{width}px;height:2400px;border:0"></iframe>'
        for path in request.query_params.getlist("path")
    )
    return HTMLResponse(
        f'<!doctype html><html><body style="margin:0">{frames}<pre id="result">pending</pre>'
        f"<script>{A11Y_SCRIPT}</script></body></html>"
    )


def chromium(url: str, tmp_path: Path, *extra: str) -> str:
    command = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-dev-shm-usage",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
        *extra,
        url,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def screenshot(url: str, tmp_path: Path, name: str, size: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    target = ARTIFACTS / name
    target.unlink(missing_ok=True)
    chromium(url, tmp_path, f"--screenshot={target}", f"--window-size={size}", "--hide-scrollbars")
    assert target.exists() and target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert target.stat().st_size > 10_000  # a rendered page, not a blank one
    return target


def test_feed_in_chromium(server: tuple[str, Store], tmp_path: Path) -> None:
    base, store = server
    dom = chromium(base + "/", tmp_path, "--dump-dom")
    total = store.counts()["activities"]
    assert len(re.findall(r'<article class="card"', dom)) == total
    assert re.search(r'<span class="badge badge-high">\s*Downhill', dom)
    assert 'class="badge badge-caution"' in dom
    for control in ('name="flag"', 'name="sport"', 'name="week"'):
        assert control in dom
    assert '<section class="strip"' in dom and "low-impact" in dom and "strength" in dom
    filtered = chromium(base + "/?flag=downhill", tmp_path, "--dump-dom")
    cards = re.findall(r'<article class="card".*?</article>', filtered, re.S)
    assert cards and all("Downhill" in card for card in cards)
    assert len(cards) < total
    screenshot(base + "/", tmp_path, "feed-desktop.png", "1280,2000")
    screenshot(base + "/", tmp_path, "feed-phone.png", "390,1600")


def test_activity_page_in_chromium(server: tuple[str, Store], tmp_path: Path) -> None:
    base, _ = server
    dom = chromium(base + "/?flag=downhill", tmp_path, "--dump-dom")
    activity = re.search(r'<a href="(/activities/\d+)">', dom)
    assert activity is not None
    page = chromium(base + activity.group(1), tmp_path, "--dump-dom")
    assert '<pre class="note-text">' in page
    assert re.search(r'<svg class="chart elevation chart-wide"[^>]*>.*<rect class="hl hl-downhill"', page, re.S)
    assert re.search(r'<svg class="chart pace chart-wide"[^>]*>.*<polyline class="series"', page, re.S)
    assert re.search(r'<svg class="route"[^>]*>.*class="hl-route hl-downhill"', page, re.S)
    screenshot(base + activity.group(1), tmp_path, "activity-desktop.png", "1280,2600")
    screenshot(base + activity.group(1), tmp_path, "activity-phone.png", "390,2600")
    shoes = chromium(base + "/shoes", tmp_path, "--dump-dom")
    assert "<h1>Shoes</h1>" in shoes


def test_pages_meet_wcag_aa_contrast_headings_labels_and_readable_charts(
    server: tuple[str, Store], tmp_path: Path
) -> None:
    """Every visible text (HTML and SVG) at least 4.5:1 against its computed background (3:1 when large), one <h1>
    a page, every form control labelled, every <time> machine-readable, and chart labels that neither overlap nor
    shrink below 9 px, at desktop and phone widths."""
    base, _ = server
    feed = chromium(base + "/?flag=downhill", tmp_path, "--dump-dom")
    run = re.search(r'<a href="(/activities/\d+)">', feed)
    assert run is not None
    everything = chromium(base + "/", tmp_path, "--dump-dom")
    session = re.search(r'<article class="card" data-id="(\d+)" data-sport="(?:ride|walk|row|hike)"', everything)
    assert session is not None, "the real recordings include rides and walks"
    paths = ["/", "/?flag=downhill", run.group(1), f"/activities/{session.group(1)}", "/shoes"]
    for width in (1280, 390):
        query = "&".join(f"path={quote(p, safe='')}" for p in paths)
        dom = chromium(
            f"{base}/__a11y?width={width}&{query}",
            tmp_path,
            "--dump-dom",
            f"--window-size={width + 20},1000",
            "--virtual-time-budget=20000",
        )
        found = re.search(r'<pre id="result">(.*?)</pre>', dom, re.S)
        assert found is not None and found.group(1) != "pending", dom[-2000:]
        results = json.loads(html.unescape(found.group(1)))
        assert isinstance(results, list), results
        assert [r["name"] for r in results] == paths
        problems = [p for r in results for p in r["problems"]]
        assert problems == [], (width, problems)
        assert all(r["checked"] >= 5 for r in results), results  # the checker really saw the pages' text
        chart_page = next(r for r in results if r["name"] == run.group(1))
        assert chart_page["ticks"] >= 10  # the visible charts' labels were measured
