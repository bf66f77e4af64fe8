"""The pain forms in real headless Chromium: record pain for a run from its page (a person typing and pressing
Record), a bad score answered with one line and nothing stored, a day without a run, the diary page with its chart;
screenshots at 1280 and 390 px under test-artifacts/ for a human to look at."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from syncd.adapters.db import Store
from syncd.config import Settings
from syncd.entrypoints.web.app import create_app
from syncd.entrypoints.web.serve import serve_in_thread
from syncd.entrypoints.wiring import import_repositories
from syncd.services.annotating import AnnotationPolicy
from syncd.services.importing import import_paths
from tests.e2e.cdp import CHROMIUM, Browser
from tests.pain_seasons import seed_store

ROOT = Path(__file__).resolve().parents[2]
RUN = ROOT / "tests" / "fixtures" / "real" / "2013-02-06-12-11-14.fit"
ARTIFACTS = ROOT / "test-artifacts"

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian chromium (.ci/run installs it)")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Store]]:
    store = Store.open(f"sqlite:///{tmp_path / 'syncd.db'}")
    athlete = store.ensure_athlete("local", name="Browser Runner")
    assert not import_paths(import_repositories(store), athlete, [RUN], AnnotationPolicy()).failed
    with serve_in_thread(create_app(store, Settings(state_dir=tmp_path, config_path=None))) as base:
        yield base, store
    store.close()


def test_pain_forms_in_chromium(server: tuple[str, Store], tmp_path: Path) -> None:
    base, store = server
    diary = store.pain_diary
    [run] = list(store.iter_activities())
    ARTIFACTS.mkdir(exist_ok=True)
    with Browser(tmp_path / "profile") as browser:
        browser.goto(f"{base}/activities/{run.id}")
        assert "Your back after this run" in browser.html()
        browser.screenshot(ARTIFACTS / "pain-activity-1280.png", 1280)

        # a score the server must refuse (form.submit() skips the browser's own min/max check)
        browser.submit(
            "const f = document.querySelector('.pain-run form');"
            "f.querySelector('[name=score]').value = '11'; f.submit();"
        )
        page = browser.html()
        assert "pain score must be a whole number from 0" in page and diary.entries() == []

        # what a person does: type a score and a note, press Record
        browser.submit(
            "const g = document.querySelector('.pain-run form');"
            "g.querySelector('[name=score]').value = '6'; g.querySelector('[name=note]').value = 'stiff <b>after</b>';"
            "g.querySelector('button').click();"
        )
        page = browser.html()
        assert 'role="status">Recorded.' in page and "Recorded: 6/10 (web): stiff &lt;b&gt;after&lt;/b&gt;" in page
        [entry] = diary.entries()
        assert (entry.score, entry.activity_id, entry.source.value, entry.day.isoformat()) == (
            6,
            run.id,
            "web",
            "2013-02-06",
        )

        # "woke up sore": a day without a run, from the diary page
        browser.goto(f"{base}/pain")
        browser.submit(
            "const h = document.querySelector('.pain-form form');"
            "h.querySelector('[name=date]').value = '2013-02-08'; h.querySelector('[name=score]').value = '3';"
            "h.querySelector('[name=note]').value = 'woke up sore'; h.querySelector('button').click();"
        )
        page = browser.html()
        assert "woke up sore" in page and "Advice mode:" in page and "<svg" in page
        assert "Too few entries to tell yet: about" in page and "stands out" not in page
        assert sorted(e.day.isoformat() for e in diary.entries()) == ["2013-02-06", "2013-02-08"]
        for width in (1280, 390):
            shot = browser.screenshot(ARTIFACTS / f"pain-diary-{width}.png", width)
            assert shot.stat().st_size > 10_000
        browser.goto(f"{base}/activities/{run.id}")
        browser.screenshot(ARTIFACTS / "pain-activity-390.png", 390)

        # issue 28: the symptoms tick box is a red flag: the diary page says to see a clinician promptly
        browser.goto(f"{base}/pain")
        assert "See a clinician promptly" not in browser.html()
        browser.submit(
            "const k = document.querySelector('.pain-form form');"
            "k.querySelector('[name=score]').value = '2'; k.querySelector('[name=symptoms]').checked = true;"
            "k.querySelector('button').click();"
        )
        page = browser.html()
        assert 'class="red-flag" role="alert"' in page and "See a clinician promptly" in page
        assert any("ticked: numbness" in e.note for e in diary.entries())
        for width in (1280, 390):
            browser.screenshot(ARTIFACTS / f"pain-red-flag-{width}.png", width)


def test_cross_site_posts_and_forged_tokens_are_refused(server: tuple[str, Store]) -> None:
    import urllib.error
    import urllib.request

    base, store = server
    [run] = list(store.iter_activities())
    body = f"csrf=forged&athlete={run.athlete_id}&activity_id={run.id}&score=5".encode()
    for headers in ({"Origin": "https://evil.example"}, {}):
        request = urllib.request.Request(
            f"{base}/pain",
            data=body,
            headers={"Content-Type": "application/x-www-form-urlencoded", **headers},
            method="POST",
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)
        assert refused.value.code == 403
    assert store.pain_diary.entries() == []
    # pain data is in neither the Atom feed nor the JSON API
    from syncd.domain.pain import PainSource
    from syncd.services.pain_diary import record_entry

    record_entry(
        store.pain_diary,
        store,
        run.athlete_id,
        run.activity.start_local.date(),
        7,
        source=PainSource.CLI,
        note="secret-note",
    )
    for path in ("/feed.atom", "/api/activities", f"/api/activities/{run.id}"):
        with urllib.request.urlopen(base + path, timeout=10) as answer:
            text = answer.read().decode()
        assert "secret-note" not in text and "7/10" not in text


def test_the_analysis_page_in_chromium(tmp_path: Path) -> None:
    """A stored year with a planted pattern: small multiples and the dot chart first, then at most three
    sentences, the pattern first; at 1280 and 390 px the charts fit the screen and their labels stay >= 11 px."""
    store = Store.open(f"sqlite:///{tmp_path / 'season.db'}")
    athlete = store.ensure_athlete("local", name="Season Runner")
    seed_store(store, athlete, "planted", 0, unannotated_weeks=(20,), thin_weeks=(30,))
    ARTIFACTS.mkdir(exist_ok=True)
    with (
        serve_in_thread(create_app(store, Settings(state_dir=tmp_path, config_path=None))) as base,
        Browser(tmp_path / "profile") as browser,
    ):
        browser.goto(f"{base}/pain")
        page = browser.html()
        text = browser.run("[...document.querySelectorAll('.analysis-text p')].map(p => p.textContent)")
        assert 1 <= len(text) <= 3
        assert "after a week with 2+ speed sessions" in text[0] and "not proof of a cause" in text[0]
        assert any("sore mode" in t for t in text) and any("for lack of data" in t for t in text)
        assert page.index("pain-rows") < page.index("pain-dots") < page.index("analysis-text")
        shown = browser.run("[...document.querySelectorAll('details.method dt')].map(t => t.textContent)")
        explained = ["unit", "exposure sources", "sore mode", "missing", "test", "multiple exposures", "intervals"]
        assert shown == [*explained, "power"]  # every text of pain_report.method, where the exposures come from too
        for width in (1280, 390):
            browser.screenshot(ARTIFACTS / f"pain-analysis-{width}.png", width)
            sizes = browser.run(
                "[...document.querySelectorAll('svg.pain-rows, svg.pain-dots')].filter(s => s.getBoundingClientRect()"
                ".width > 0).map(s => [s.getBoundingClientRect().width, s.getBoundingClientRect().right, "
                "Math.min(...[...s.querySelectorAll('text')].map(t => t.getBoundingClientRect().height))])"
            )
            assert len(sizes) == 2, sizes
            for shown, right, smallest_text in sizes:
                assert right <= width and shown > 300 and smallest_text >= 11, (width, sizes)
    store.close()
