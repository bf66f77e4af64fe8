"""The digest email on a phone, in real headless Chromium: `syncd digest --preview` rendered at 390 and 320 px
(light and dark colour scheme) must fit the window (nothing clipped on the right), keep every text at WCAG AA
contrast and have one <h1> (a11y_check.js); screenshots land in test-artifacts/ for a human to look at."""

from __future__ import annotations

import html
import json
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.e2e.cdp import CHROMIUM, Browser
from tests.e2e.conftest import RunSyncd
from tests.net import free_port
from tests.real_sample import real_sample

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
A11Y_SCRIPT = (Path(__file__).resolve().parent / "a11y_check.js").read_text(encoding="utf-8")

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian chromium (.ci/run installs it)")


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A loopback HTTP server over a folder: the checker reads the digest through a same-origin iframe."""
    root = tmp_path / "site"
    root.mkdir()
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), partial(_Quiet, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", root
    server.shutdown()
    server.server_close()


def _check(browser: Browser, base: str, width: int) -> list[dict[str, object]]:
    browser.goto(f"{base}/check-{width}.html")
    found = browser.run("document.getElementById('result').textContent")
    results = json.loads(str(found))
    assert isinstance(results, list), results
    return results


def test_digest_fits_a_phone_in_light_and_dark(run_syncd: RunSyncd, site: tuple[str, Path], tmp_path: Path) -> None:
    base, root = site
    # a week with a flagged run, its load, and the chart (2013-W06), and a week with runs from the other files
    assert run_syncd("import", real_sample(tmp_path), "--quiet").returncode == 0
    result = run_syncd("digest", "--preview", root / "digest.html", "--week", "2013-W06")
    assert result.returncode == 0, result.stderr
    page = (root / "digest.html").read_text(encoding="utf-8")
    assert 'width="600"' not in page.split("<!--[if mso]>")[0]  # no fixed 600-px cell outside Outlook's ghost table
    assert "prefers-color-scheme: dark" in page
    for width in (390, 320):
        style = f"display:block;width:{width}px;height:2600px;border:0"
        frame = f'<iframe data-name="digest" src="digest.html" style="{style}"></iframe>'
        (root / f"check-{width}.html").write_text(
            f'<!doctype html><html><body style="margin:0">{frame}<pre id="result">pending</pre>'
            f"<script>{A11Y_SCRIPT}</script></body></html>",
            encoding="utf-8",
        )
    ARTIFACTS.mkdir(exist_ok=True)
    with Browser(tmp_path / "profile") as browser:
        for scheme in ("light", "dark"):
            browser.call("Emulation.setEmulatedMedia", session=True,
                         features=[{"name": "prefers-color-scheme", "value": scheme}])  # fmt: skip
            for width in (390, 320):
                [result_page] = _check(browser, base, width)
                assert result_page["problems"] == [], (scheme, width, result_page["problems"])
                assert int(str(result_page["checked"])) >= 30  # the checker saw the digest's text
            browser.goto(f"{base}/digest.html")
            assert browser.run("getComputedStyle(document.body).backgroundColor") == (
                "rgb(18, 18, 18)" if scheme == "dark" else "rgb(244, 244, 244)"
            )
            shot = browser.screenshot(ARTIFACTS / f"digest-{scheme}-390.png", 390)
            assert shot.stat().st_size > 20_000
            # nothing sticks out on the right: every element ends inside the 390-px window
            widest = browser.run(
                "Math.max(...[...document.querySelectorAll('body *')].map(e => e.getBoundingClientRect().right))"
            )
            assert float(widest) <= 390, widest
            texts = html.unescape(browser.html())
            assert "Back-care flags: 1" in texts
