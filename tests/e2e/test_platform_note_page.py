"""The activity page shows the text on the platform and its state beside syncd's own note (issue 27), in real
headless Chromium: a run whose syncd note is sore (pain typed on the CLI) while Strava keeps the staying-well text
it was given; a newer note waiting; a run older than the annotation window saying why nothing was written.
Screenshots at 1280 and 390 px under test-artifacts/ for a human to look at."""

from __future__ import annotations

import html
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from syncd.adapters.crypto import SecretBox
from syncd.adapters.db import Store
from syncd.config import Settings, StravaSettings
from syncd.domain.pain import PainSource
from syncd.entrypoints.web.app import create_app
from syncd.entrypoints.web.serve import serve_in_thread
from syncd.entrypoints.wiring import batch_repositories
from syncd.services.annotating import AnnotationPolicy, annotate_marked
from syncd.services.pain_diary import record_entry
from syncd.testing import strava_harness as harness
from syncd.testing.seed import detail_payload, streams_payload, synthetic_run
from syncd.testing.strava_server import StravaSimulator
from tests.e2e.cdp import CHROMIUM, Browser

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian chromium (.ci/run installs it)")


class Clock:
    def __init__(self) -> None:
        self.current = datetime.now(UTC).replace(microsecond=0)

    def now(self) -> datetime:
        return self.current


def _add_run(sim: StravaSimulator, athlete: int, clock: Clock, days_ago: float) -> int:
    start = clock.now() - timedelta(days=days_ago)
    run = synthetic_run(start, minutes=35, pace_s_per_km=330, seed=int(days_ago * 10))
    assert run.streams is not None
    return sim.add_activity(athlete, detail_payload(run, start=start), streams_payload(run.streams))


@pytest.fixture
def synced(tmp_path: Path) -> Iterator[tuple[Store, dict[str, int]]]:
    clock = Clock()
    with StravaSimulator(clock=clock.now) as sim:
        box = SecretBox(SecretBox.generate_key(), origin="the test key")
        store = Store.open(f"sqlite:///{tmp_path / 'syncd.db'}", secret_box=box, clock=clock)
        athlete = sim.add_athlete(firstname="Pia", lastname="Runner").id
        runs = {"old": _add_run(sim, athlete, clock, 45), "first": _add_run(sim, athlete, clock, 3)}
        runs["later"] = _add_run(sim, athlete, clock, 1)
        linked = harness.link(store, sim, athlete, clock=clock)
        harness.service(store, sim, clock=clock).run_once("w1")  # notes written to Strava: staying well
        first = store.get_activity(store.find_activity_id("strava", str(runs["first"])) or 0, with_streams=False)
        record_entry(
            store.pain_diary, store, linked.athlete_id, first.activity.start_local.date(), 7, source=PainSource.CLI
        )
        annotate_marked(
            batch_repositories(store),
            linked.athlete_id,
            AnnotationPolicy(),
            now=clock.now(),
            write_back_providers=lambda _a: ("strava",),
        )
        ids = {name: store.find_activity_id("strava", str(ext)) or 0 for name, ext in runs.items()}
        yield store, ids
        store.close()


def _platform_block(page: str, provider: str = "strava") -> str:
    start = page.index(f'data-provider="{provider}"')
    return html.unescape(page[start : page.index("</div>", start)])


def test_the_page_shows_strava_s_text_and_its_state_beside_syncd_s_note(
    synced: tuple[Store, dict[str, int]], tmp_path: Path
) -> None:
    store, ids = synced
    settings = Settings(state_dir=tmp_path, config_path=None, strava=StravaSettings(write_back="all"))
    ARTIFACTS.mkdir(exist_ok=True)
    with serve_in_thread(create_app(store, settings)) as base, Browser(tmp_path / "profile") as browser:
        browser.goto(f"{base}/activities/{ids['later']}")
        page = browser.html()
        own = html.unescape(page[page.index('class="note-text"') : page.index("</pre>")])
        assert "Mode: sore (back pain logged in the last 7 days)." in own
        strava = _platform_block(page)
        # Strava got the staying-well text (pain from the CLI never goes there) and the page says so, with it
        assert "Written to Strava on" in strava and "On Strava" in strava
        assert "Mode: staying well (no #back tag of 4+ on earlier runs here in the last 7 days)." in strava
        assert "Mode: sore" not in strava
        for width in (1280, 390):
            assert browser.screenshot(ARTIFACTS / f"platform-note-{width}.png", width).stat().st_size > 10_000

        # a newer note waits: the page says so and shows it
        store.enqueue_writeback(ids["later"], "strava", "── syncd back-care note ──\nNewer text\n── end syncd note ──")
        browser.goto(f"{base}/activities/{ids['later']}")
        waiting = _platform_block(browser.html())
        assert "A new note waits to be written to Strava" in waiting and "Newer text" in waiting
        assert "Mode: staying well" in waiting  # what is on Strava until then

        # a run older than the annotation window: nothing was written, and the page says why
        browser.goto(f"{base}/activities/{ids['old']}")
        old = _platform_block(browser.html())
        assert "Not written: it started before the annotation window (the last 30 days)" in old
        browser.screenshot(ARTIFACTS / "platform-note-old-390.png", 390)
