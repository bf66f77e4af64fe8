"""Real headless Chromium loads the feed and an activity page from a server on loopback.

Chromium runs as a subprocess (`--dump-dom` for the rendered DOM, `--screenshot` for pictures saved under
test-artifacts/ for a human to look at); no JavaScript is needed by the pages, so no driver is needed either.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from syncd.adapters.db import Store
from syncd.config import AdviceSettings, Settings
from syncd.entrypoints.web.app import create_app
from syncd.entrypoints.web.serve import serve_in_thread
from syncd.services.annotating import AnnotationPolicy
from syncd.services.importing import import_paths

# the pages show a sore-back season: downhill and surface as the rules rate them (docs/pain.md)
SORE = AnnotationPolicy(advice=AdviceSettings(mode="sore"))

ROOT = Path(__file__).resolve().parents[2]
REAL = ROOT / "tests" / "fixtures" / "real"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Debian chromium: apt-get install chromium chromium-driver (.ci/run does)"
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Store]]:
    tmp = tmp_path_factory.mktemp("web")
    store = Store.open(f"sqlite:///{tmp / 'syncd.db'}")
    athlete = store.ensure_athlete("local", name="Browser Runner")
    report = import_paths(store, athlete, [REAL], SORE)
    assert not report.failed
    with serve_in_thread(create_app(store, Settings(state_dir=tmp, config_path=None))) as base:
        yield base, store
    store.close()


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
    for control in ('<select name="flag">', '<select name="sport">', '<input name="week"'):
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
    assert re.search(r'<svg class="chart elevation"[^>]*>.*<rect class="hl hl-downhill"', page, re.S)
    assert re.search(r'<svg class="chart pace"[^>]*>.*<polyline class="series"', page, re.S)
    assert re.search(r'<svg class="route"[^>]*>.*class="hl-route hl-downhill"', page, re.S)
    screenshot(base + activity.group(1), tmp_path, "activity-desktop.png", "1280,2600")
    screenshot(base + activity.group(1), tmp_path, "activity-phone.png", "390,2600")
    shoes = chromium(base + "/shoes", tmp_path, "--dump-dom")
    assert "<h1>Shoes</h1>" in shoes
