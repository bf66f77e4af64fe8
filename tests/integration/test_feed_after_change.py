"""The feed page after a change shows exactly what a from-scratch render shows (issue 32).

The first page after a new or changed activity reads the athlete's history through `adapters/db/history_cache.py`
(rows read whole only where their witness moved), builds only the week states whose entries changed
(`services.feed._WEEK_STATES`) and brings the feed index up by a delta. Here one long-lived store (caches and all,
as the web app keeps them) is compared, after inserts, late uploads, edits, deletions, twin links and unlinks and an
unlinked account, with a fresh store that reads every row again and builds every week state anew, on SQLite and
PostgreSQL; and the history reads are checked to read whole only the rows that changed.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from syncd.adapters.db import Store, history_cache
from syncd.adapters.db.annotation_queries import history_rows as uncached_history_rows
from syncd.adapters.db.models import ACCOUNTS
from syncd.domain.model import Activity, Source, Sport
from syncd.domain.thresholds import Thresholds
from syncd.lru import Lru
from syncd.records import FeedFilter
from syncd.services import feed
from syncd.services.feed import FeedReads, FeedView, build_feed
from tests.integration.conftest import FakeClock

NEWEST = datetime(2026, 11, 20, 7, tzinfo=UTC)
SPORTS = [Sport.RUN, Sport.RUN, Sport.RUN, Sport.TRAIL_RUN, Sport.RIDE, Sport.SWIM, Sport.STRENGTH, Sport.YOGA]
RULES = Thresholds()


def _activity(rng: random.Random, name: str, *, source: Source = Source.STRAVA, days_back: float) -> Activity:
    sport = rng.choice(SPORTS)
    return Activity(
        source=source,
        external_id=name,
        sport=sport,
        sport_original=sport.value,
        start_utc=NEWEST - timedelta(days=days_back),
        name=name,
        distance_m=None if sport in (Sport.STRENGTH, Sport.YOGA) else rng.uniform(3000, 16000),
        moving_s=rng.uniform(900, 5400),
        utc_offset_s=3600,
    )


def _views(reads: FeedReads, athletes: list[int]) -> Iterator[tuple[Any, FeedView]]:
    """Every view compared: each athlete's pages 1 and 3 (strip and session cards of older weeks) and all athletes'."""
    for athlete in athletes:
        for page in (1, 3):
            view = build_feed(
                reads, FeedFilter(athlete_id=athlete), RULES, page=page, per_page=12, strip_athlete=athlete
            )
            yield (athlete, page), view
    yield "all", build_feed(reads, FeedFilter(), RULES, per_page=30)


def _fresh(open_store: Callable[[], Store], athletes: list[int]) -> dict[Any, FeedView]:
    """From scratch: a new engine (no index, no cached answers, no history cache), history read whole by the Store's
    own query, every week state built anew."""
    store = open_store()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(feed, "_WEEK_STATES", Lru(0))
        return dict(_views(FeedReads(store, store.activity_reads, store), athletes))


def _check(store: Store, open_store: Callable[[], Store], athletes: list[int], step: str) -> None:
    expected = _fresh(open_store, athletes)
    cached = FeedReads(store, store.activity_reads, store.activity_reads)  # as the web app builds it
    for key, view in _views(cached, athletes):
        want = expected[key]
        assert view.strip == want.strip, (step, key)
        assert [card.session for card in view.cards] == [card.session for card in want.cards], (step, key)
        assert view.cards == want.cards, (step, key)
        assert (view.sports, view.page.total, view.page.older) == (want.sports, want.page.total, want.page.older)
    start, end = NEWEST - timedelta(days=130), NEWEST + timedelta(days=2)
    for athlete in athletes:
        for low, high in ((start, end), (NEWEST - timedelta(days=60), NEWEST - timedelta(days=20))):
            cached = history_cache.history_rows(store.engine, athlete, low, high)
            assert cached == uncached_history_rows(store.engine, athlete, low, high), (step, athlete)


def _whole_reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many rows each history read fetched whole."""
    counts: list[int] = []
    entry = history_cache.history_entry

    def counting(row: Any) -> Any:
        counts.append(int(row.id))
        return entry(row)

    monkeypatch.setattr(history_cache, "history_entry", counting)
    return counts


def test_the_page_after_each_change_equals_a_fresh_render(store_factory: Callable[[], Store], clock: FakeClock) -> None:
    rng = random.Random(32)
    store = store_factory()
    athletes = [store.ensure_athlete("local", name="A"), store.ensure_athlete("strava:2", name="B")]
    with store.engine.begin() as conn:
        conn.execute(sa.insert(ACCOUNTS).values(athlete_id=athletes[0], provider="garmin", external_id="1"))
    for n in range(140):  # ~16 weeks, one or two a day
        store.upsert_activity(athletes[n % 2], _activity(rng, f"a{n}", days_back=n * 0.8 + rng.random()), {})
    _check(store, store_factory, athletes, "start")

    def step(name: str, change: Callable[[], object]) -> None:
        clock.advance(1)  # every write stamps updated_at from the clock
        change()
        _check(store, store_factory, athletes, name)

    step("a new run this week", lambda: store.upsert_activity(athletes[0], _activity(rng, "new", days_back=-0.2), {}))
    step(
        "a late upload mid-strip", lambda: store.upsert_activity(athletes[0], _activity(rng, "late", days_back=24), {})
    )
    edited = store.get_activity(store.find_activity_id("strava", "a10") or 0, with_streams=False)
    moved = _activity(rng, "a10", days_back=33)  # another week, sport and duration
    step("an edit", lambda: store.upsert_activity(edited.athlete_id, moved, {"edit": 1}))
    step("a deletion", lambda: store.mark_deleted("strava", "a12"))
    twin_of = store.get_activity(store.find_activity_id("strava", "a14") or 0, with_streams=False).activity
    garmin = replace(twin_of, source=Source.GARMIN, external_id="g14", streams=None)
    step("the twin uploaded", lambda: store.upsert_activity(athletes[0], garmin, {}))
    pair = [store.find_activity_id("strava", "a14") or 0, store.find_activity_id("garmin", "g14") or 0]

    def link(group: str | None) -> None:
        store.set_logical_group(pair, group)  # moves neither updated_at nor content_hash
        store.save_annotation(pair[1], f"v-{group}", [], "note")  # the pipeline's next write moves the version

    step("the twins linked", lambda: link("twin-14"))
    step("the twins unlinked", lambda: link(None))
    with store.engine.connect() as conn:
        account = int(conn.execute(sa.select(ACCOUNTS.c.id)).scalar_one())
    step(
        "the garmin account unlinked with its activities",
        lambda: store.account_leases.delete_account(account, gear_providers=()),
    )


def test_history_reads_fetch_whole_only_the_rows_that_changed(
    store_factory: Callable[[], Store], clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(7)
    store = store_factory()
    athlete = store.ensure_athlete("local", name="A")
    for n in range(60):
        store.upsert_activity(athlete, _activity(rng, f"a{n}", days_back=n * 0.7), {})
    whole = _whole_reads(monkeypatch)
    start, end = NEWEST - timedelta(days=50), NEWEST + timedelta(days=1)
    first = history_cache.history_rows(store.engine, athlete, start, end)
    assert len(whole) == len(first) > 50  # a cold cache reads the range whole
    whole.clear()
    assert history_cache.history_rows(store.engine, athlete, start, end) == first and whole == []
    clock.advance(1)
    new = store.upsert_activity(athlete, _activity(rng, "new", days_back=-0.5), {}).activity_id
    edited = store.find_activity_id("strava", "a3")
    store.upsert_activity(athlete, _activity(rng, "a3", days_back=3), {"edit": 1})
    linked = [store.find_activity_id("strava", "a5") or 0, store.find_activity_id("strava", "a6") or 0]
    store.set_logical_group(linked, "g")  # no updated_at, no content_hash: the group itself is the witness
    after = history_cache.history_rows(store.engine, athlete, start, end)
    assert sorted(whole) == sorted([new, edited, *linked])
    assert after == uncached_history_rows(store.engine, athlete, start, end)
