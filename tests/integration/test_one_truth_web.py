"""A pain entry posted from a run's page reaches the later runs' notes before the answer comes back (issue 27):
the feed, the run pages and the digest read the new mode at once, not after the daemon's daily re-scan. Real HTTP
(uvicorn on loopback), the real store on SQLite, real recordings from the corpus (runs two days apart)."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from syncd.adapters.db import Store
from syncd.config import Settings
from syncd.entrypoints.web.app import create_app
from syncd.entrypoints.web.serve import serve_in_thread
from syncd.entrypoints.wiring import import_repositories
from syncd.services.annotating import AnnotationPolicy
from syncd.services.importing import import_paths

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "real" / "corpus"
RUNS = [CORPUS / f"rp_2020-12-0{day}-300_Running.tcx.gz" for day in ("2T06_08_29", "4T19_09_21", "6T06_36_21")]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Store, list[int]]]:
    store = Store.open(f"sqlite:///{tmp_path / 'syncd.db'}")
    athlete = store.ensure_athlete("local", name="Form Runner")
    assert not import_paths(import_repositories(store), athlete, RUNS, AnnotationPolicy(), workers=1).failed
    ids = [s.id for s in sorted(store.iter_activities(), key=lambda s: s.activity.start_utc)]
    with serve_in_thread(create_app(store, Settings(state_dir=tmp_path, config_path=None))) as base:
        yield base, store, ids
    store.close()


def _own_note(store: Store, activity_id: int) -> str:
    latest = store.latest_annotation(activity_id)
    assert latest is not None and latest.note is not None
    return latest.note


def test_a_pain_entry_from_the_run_page_reaches_the_later_notes_before_the_answer(
    served: tuple[str, Store, list[int]],
) -> None:
    base, store, (first, *later) = served
    assert all(_own_note(store, run).startswith("Mode: staying well") for run in (first, *later))
    page = requests.get(f"{base}/activities/{first}", timeout=30)
    match = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
    assert page.status_code == 200 and match is not None
    athlete = store.get_activity(first, with_streams=False).athlete_id
    answer = requests.post(
        f"{base}/pain",
        data={"csrf": match.group(1), "athlete": str(athlete), "activity_id": str(first), "score": "6"},
        allow_redirects=False,
        timeout=60,
    )
    assert answer.status_code == 303 and "recorded=1" in answer.headers["location"]
    # no re-scan, no sync: the later runs in the sore window already say sore
    for run in later:
        assert _own_note(store, run).startswith("Mode: sore (back pain logged in the last 7 days)."), run
    assert _own_note(store, first).startswith("Mode: staying well")  # the entry counts from the run after it
    assert store.annotation_batches.marked_stale_ids(athlete) == []
    feed = requests.get(f"{base}/activities/{later[0]}", timeout=30).text
    assert "Mode: sore" in feed


def test_a_refused_entry_changes_no_note(served: tuple[str, Store, list[int]]) -> None:
    base, store, (first, *later) = served
    before = {run: store.latest_annotation(run) for run in (first, *later)}
    page = requests.get(f"{base}/activities/{first}", timeout=30)
    match = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
    assert match is not None
    athlete = store.get_activity(first, with_streams=False).athlete_id
    answer = requests.post(
        f"{base}/pain",
        data={"csrf": match.group(1), "athlete": str(athlete), "activity_id": str(first), "score": "11"},
        allow_redirects=False,
        timeout=60,
    )
    assert answer.status_code == 303 and "error=" in answer.headers["location"]
    assert store.pain_diary.entries() == []
    assert {run: store.latest_annotation(run) for run in (first, *later)} == before


@pytest.mark.parametrize(
    ("day", "message"),
    [
        ("2100-01-01", "2100-01-01 is in the future: record pain for today"),
        ("2020-11-01", "2020-11-01 is before this athlete's first activity (2020-12-02): pick a day from then on"),
    ],
)
def test_a_form_entry_dated_in_the_future_or_before_the_first_run_is_refused_in_one_line(
    served: tuple[str, Store, list[int]], day: str, message: str
) -> None:
    """Issue 27's bad input where typed: the form answers with the problem and the fix; nothing stored changes."""
    base, store, runs = served
    before = {run: store.latest_annotation(run) for run in runs}
    athlete = store.get_activity(runs[0], with_streams=False).athlete_id
    page = requests.get(f"{base}/pain", params={"athlete": athlete}, timeout=30)
    match = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
    assert page.status_code == 200 and match is not None
    answer = requests.post(
        f"{base}/pain",
        data={"csrf": match.group(1), "athlete": str(athlete), "date": day, "score": "5"},
        allow_redirects=False,
        timeout=60,
    )
    assert answer.status_code == 303
    error = parse_qs(urlsplit(answer.headers["location"]).query)["error"][0]
    assert error.startswith(message) and "\n" not in error and "5" not in error.replace(day, "")
    assert store.pain_diary.entries() == []
    assert {run: store.latest_annotation(run) for run in runs} == before
    shown = requests.get(f"{base}{answer.headers['location']}", timeout=30).text
    assert html.escape(message.split(":", maxsplit=1)[0]).replace("&#x27;", "&#39;") in shown  # the page shows why
