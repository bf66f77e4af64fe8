"""Claims honour their limit on both databases, also under real concurrent workers (issue 17, item 4)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from syncd.adapters.db import Store
from syncd.domain.model import Activity, Source, Sport

NOW = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)


def _accounts(store: Store, count: int) -> list[int]:
    ids = []
    for i in range(count):
        athlete = store.ensure_athlete(f"a{i}")
        ids.append(store.upsert_account(athlete, "strava", str(1000 + i), {"access_token": f"t{i}"}))
    return ids


def test_limit_one_claims_exactly_one_account(store_factory: Callable[[], Store]) -> None:
    store = store_factory()
    _accounts(store, 5)
    later = NOW + timedelta(hours=1)
    assert len(store.claim_accounts("w1", now=later, lease_s=60, limit=1)) == 1
    assert len(store.claim_accounts("w2", now=later, lease_s=60, limit=2)) == 2
    assert len(store.claim_accounts("w3", now=later, lease_s=60, limit=10)) == 2


def test_limit_one_claims_exactly_one_writeback(store_factory: Callable[[], Store]) -> None:
    store = store_factory()
    athlete = store.ensure_athlete("local")
    for i in range(5):
        activity = Activity(Source.FILE, f"f{i}", Sport.RUN, "running", NOW - timedelta(hours=i))
        store.enqueue_writeback(store.upsert_activity(athlete, activity, {}).activity_id, "strava", f"n{i}")
    assert len(store.claim_writebacks("w1", now=NOW, lease_s=60, limit=1)) == 1
    assert len(store.claim_writebacks("w2", now=NOW, lease_s=60, limit=3)) == 3


def test_concurrent_workers_each_get_at_most_their_limit(store_factory: Callable[[], Store]) -> None:
    """Four workers (own engines, own connections) claim one account at a time: shares are exact and fair."""
    first = store_factory()
    ids = _accounts(first, 24)
    stores = [first] + [store_factory() for _ in range(3)]
    later = NOW + timedelta(hours=1)
    got: dict[str, list[int]] = {}
    over: list[int] = []
    barrier = threading.Barrier(len(stores))

    def work(store: Store, name: str) -> None:
        got[name] = []
        barrier.wait()
        for _ in range(6):
            claimed = store.claim_accounts(name, now=later, lease_s=600, limit=1)
            if len(claimed) > 1:
                over.append(len(claimed))
            got[name].extend(a.id for a in claimed)
            barrier.wait()  # everyone takes a turn before the next round: each round 4 claims of 1

    threads = [threading.Thread(target=work, args=(s, f"w{i}")) for i, s in enumerate(stores)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert over == []
    everything = [i for ids_ in got.values() for i in ids_]
    assert len(everything) == len(set(everything)) == 24
    assert set(everything) == set(ids)
    assert sorted(len(v) for v in got.values()) == [6, 6, 6, 6]


def test_new_activities_are_written_back_before_a_backfill(store_factory: Callable[[], Store]) -> None:
    store = store_factory()
    backfill_athlete, other = store.ensure_athlete("backfill"), store.ensure_athlete("other")
    for day in range(30, 0, -1):  # a first sync queued a month of notes
        activity = Activity(Source.FILE, f"old{day}", Sport.RUN, "running", NOW - timedelta(days=day))
        store.enqueue_writeback(store.upsert_activity(backfill_athlete, activity, {}).activity_id, "strava", "n")
    fresh = Activity(Source.FILE, "new", Sport.RUN, "running", NOW - timedelta(hours=1))
    fresh_id = store.upsert_activity(other, fresh, {}).activity_id
    store.enqueue_writeback(fresh_id, "strava", "new note")  # queued last
    (first,) = store.claim_writebacks("w1", now=NOW, lease_s=60, limit=1)
    assert first.activity_id == fresh_id
