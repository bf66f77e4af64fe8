"""The feed's memoised cards (issue 32) never outlive what they show: another worker's changes, including those that
move no id and no timestamp (a fake clock here, as two workers' clocks can agree), are on the next page served; and
the pages' `older`/`newer` links page by key, so a reader walking back sees every card once while new ones arrive."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
import pytest

from syncd.adapters.db import Store
from syncd.domain.model import Activity, Source, Sport
from syncd.entrypoints.web.app import create_app
from syncd.entrypoints.web.serve import serve_in_thread
from tests.integration.test_web_app import Seeded, card_ids, get, seed, settings_for


@pytest.fixture
def served(store_factory: Callable[[], Store], tmp_path: Path) -> Iterator[tuple[str, Seeded, Store]]:
    seeded = seed(store_factory())
    with serve_in_thread(create_app(seeded.store, settings_for(tmp_path))) as base:
        yield base, seeded, store_factory()  # the third: another worker on the same database


def _card(page: str, activity_id: int) -> str:
    found = re.search(rf'<article class="card" data-id="{activity_id}".*?</article>', page, re.S)
    assert found is not None, f"no card {activity_id}"
    return found.group(0)


def _run(n: int, start: datetime) -> Activity:
    return Activity(Source.FILE, f"late-{n}", Sport.RUN, "running", start, name=f"late run {n}", moving_s=1800.0)


def test_cards_show_another_workers_changes_at_once(served: tuple[str, Seeded, Store]) -> None:
    base, seeded, worker = served
    activity = seeded.other_activity
    assert "queued to strava" in _card(get(base + "/").body, activity)
    assert get(base + "/").body == get(base + "/").body  # served twice from the memoised cards: the same page
    # the write-back sent by the other worker: status and updated_at change, no id moves
    (item,) = worker.claim_writebacks("w2", now=datetime.now(UTC), lease_s=60, limit=5)
    assert "sending to strava" in _card(get(base + "/").body, activity)
    assert worker.complete_writeback(item.id, "w2")
    assert "written to strava" in _card(get(base + "/").body, activity)
    # the athlete renamed: every card of theirs says so (athletes are counted, not timestamped)
    worker.update_athlete(seeded.other, name="Renamed Runner")
    assert "Renamed Runner" in _card(get(base + "/").body, activity)
    # notes marked stale in place (rules_version only): the JSON shows it on the next request
    before = get(f"{base}/api/activities?athlete={seeded.other}").json()["items"][0]["rules_version"]  # type: ignore[index]
    day = timedelta(days=1)
    start = datetime(2026, 11, 20, 7, tzinfo=UTC)
    assert worker.annotation_batches.mark_stale_between(seeded.other, start - day, start + day) == 1
    after = get(f"{base}/api/activities?athlete={seeded.other}").json()["items"][0]["rules_version"]  # type: ignore[index]
    assert after != before
    # a new activity stored by the other worker is the first card
    new = worker.upsert_activity(seeded.runner, _run(0, datetime(2027, 1, 1, 7, tzinfo=UTC)), {}).activity_id
    assert card_ids(get(base + "/").body)[0] == new


def _links(page: str, rel: str) -> list[str]:
    return [html.unescape(href) for href in re.findall(rf'<a rel="{rel}" href="([^"]+)"', page)]


def test_older_links_walk_every_card_once_while_new_activities_arrive(served: tuple[str, Seeded, Store]) -> None:
    base, seeded, worker = served
    start = datetime(2025, 1, 1, 7, tzinfo=UTC)
    for n in range(120):
        worker.upsert_activity(seeded.runner, _run(n, start - timedelta(hours=n)), {})
    everything = [item["id"] for item in get(base + "/api/activities?per_page=200").json()["items"]]  # type: ignore[index]
    page = get(base + "/").body
    assert "page 1 of 3" in page and not _links(page, "prev")
    seen = card_ids(page)
    pages = [page]
    arrived = 0
    while older := _links(page, "next"):
        assert "before=" in older[0] and "page=" not in older[0]
        arrived += 1  # a sync lands between two clicks: above the reader, it moves nothing below
        worker.upsert_activity(seeded.runner, _run(1000 + arrived, datetime(2027, 1, arrived, tzinfo=UTC)), {})
        page = get(base + "/" + older[0]).body
        pages.append(page)
        seen += card_ids(page)
    assert seen == everything and len(pages) == 3
    assert "page 3 of 3" in pages[-1]
    (newer,) = _links(pages[-1], "prev")  # back one page: the same cards as on the way down
    assert card_ids(get(base + "/" + newer).body) == card_ids(pages[1])
    # Atom: a feed reader follows rel=next by key too, through every annotated entry once
    feed = feedparser.parse(get(base + "/feed.atom").body)
    entries = [e.id for e in feed.entries]
    while nexts := [link.href for link in feed.feed.links if link.rel == "next"]:
        assert "before=" in nexts[0]
        feed = feedparser.parse(get(base + nexts[0][nexts[0].index("/feed.atom") :]).body)
        assert not feed.bozo
        entries += [e.id for e in feed.entries]
    assert len(entries) == len(set(entries)) == get(base + "/api/activities?annotated=1").json()["total"]  # type: ignore[index]
    assert get(base + "/?before=12_x").status == 400 and "before=" in get(base + "/?before=12_x").body
