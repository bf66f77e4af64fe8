"""Work shared by several workers: outbox, digests and account sync turns, each worker a separate Store/engine."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from syncd.adapters.db import Store
from syncd.domain.model import Activity, Source, Sport

NOW = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)


def _activities(store: Store, count: int) -> list[int]:
    athlete = store.ensure_athlete("local")
    return [
        store.upsert_activity(
            athlete,
            Activity(Source.FILE, f"f{i}", Sport.RUN, "running", NOW - timedelta(hours=count - i)),
            {},
        ).activity_id
        for i in range(count)
    ]


def _race(workers: list[Callable[[], None]]) -> None:
    """Start all at once; re-raise the first failure."""
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(workers))

    def run(work: Callable[[], None]) -> None:
        try:
            barrier.wait()
            work()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(work,)) for work in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    if errors:
        raise errors[0]


def test_two_workers_never_get_the_same_writeback(store_factory: Callable[[], Store]) -> None:
    first, second = store_factory(), store_factory()
    ids = _activities(first, 40)
    queued = {first.enqueue_writeback(activity_id, "strava", f"note {activity_id}") for activity_id in ids}
    queued |= {second.enqueue_writeback(activity_id, "garmin", "g") for activity_id in ids[:20]}
    assert len(queued) == 60

    claimed: dict[str, list[int]] = {"w1": [], "w2": []}

    def worker(store: Store, name: str) -> Callable[[], None]:
        def work() -> None:
            while items := store.claim_writebacks(name, now=NOW, lease_s=300, limit=3):
                for item in items:
                    assert item.lease_owner == name
                    assert item.attempts == 1
                    claimed[name].append(item.id)
                    assert store.complete_writeback(item.id, name)

        return work

    _race([worker(first, "w1"), worker(second, "w2")])
    everything = claimed["w1"] + claimed["w2"]
    assert len(everything) == len(set(everything)) == 60
    assert set(everything) == queued
    assert first.claim_writebacks("w1", now=NOW + timedelta(days=1), lease_s=300, limit=100) == []


def test_expired_lease_is_taken_over_and_the_old_owner_cannot_finish(store_factory: Callable[[], Store]) -> None:
    first, second = store_factory(), store_factory()
    (activity_id,) = _activities(first, 1)
    item_id = first.enqueue_writeback(activity_id, "strava", "note")

    (item,) = first.claim_writebacks("w1", now=NOW, lease_s=60, limit=10)
    assert (item.id, item.lease_expires_at) == (item_id, NOW + timedelta(seconds=60))
    assert second.claim_writebacks("w2", now=NOW + timedelta(seconds=59), lease_s=60, limit=10) == []

    (taken,) = second.claim_writebacks("w2", now=NOW + timedelta(seconds=61), lease_s=60, limit=10)
    assert (taken.id, taken.lease_owner, taken.attempts) == (item_id, "w2", 2)
    assert not first.complete_writeback(item_id, "w1")
    assert not first.fail_writeback(item_id, "w1", "late", NOW)
    assert second.complete_writeback(item_id, "w2")
    assert not second.complete_writeback(item_id, "w2")  # already done


def test_one_pending_item_per_activity_and_provider(store: Store) -> None:
    (activity_id,) = _activities(store, 1)
    first = store.enqueue_writeback(activity_id, "strava", "v1")
    assert store.enqueue_writeback(activity_id, "strava", "v2") == first
    other_provider = store.enqueue_writeback(activity_id, "garmin", "v2")
    assert other_provider != first

    items = store.claim_writebacks("w1", now=NOW, lease_s=60, limit=10)
    assert {(i.provider, i.note) for i in items} == {("strava", "v2"), ("garmin", "v2")}
    newer = store.enqueue_writeback(activity_id, "strava", "v3")  # the claimed one is in flight: a new item
    assert newer not in (first, other_provider)
    assert store.counts()["writeback_outbox"] == 3


def test_failed_writeback_waits_for_its_retry_time(store: Store) -> None:
    (activity_id,) = _activities(store, 1)
    item_id = store.enqueue_writeback(activity_id, "strava", "note")
    store.claim_writebacks("w1", now=NOW, lease_s=60, limit=1)
    assert store.fail_writeback(item_id, "w1", "HTTP 503", NOW + timedelta(minutes=5))

    assert store.claim_writebacks("w1", now=NOW + timedelta(minutes=4), lease_s=60, limit=1) == []
    (again,) = store.claim_writebacks("w2", now=NOW + timedelta(minutes=5), lease_s=60, limit=1)
    assert (again.id, again.attempts, again.last_error) == (item_id, 2, "HTTP 503")
    assert store.fail_writeback(item_id, "w2", "HTTP 403 Inactive", None)  # give up
    assert store.claim_writebacks("w2", now=NOW + timedelta(days=9), lease_s=60, limit=1) == []


def test_failed_writeback_with_a_newer_note_queued_is_superseded(store: Store) -> None:
    (activity_id,) = _activities(store, 1)
    old = store.enqueue_writeback(activity_id, "strava", "old")
    store.claim_writebacks("w1", now=NOW, lease_s=60, limit=1)
    new = store.enqueue_writeback(activity_id, "strava", "new")
    assert store.fail_writeback(old, "w1", "timeout", NOW)
    (item,) = store.claim_writebacks("w1", now=NOW + timedelta(hours=1), lease_s=60, limit=5)
    assert (item.id, item.note) == (new, "new")


def test_digest_is_claimed_exactly_once_across_workers(store_factory: Callable[[], Store]) -> None:
    first, second = store_factory(), store_factory()
    athlete = first.ensure_athlete("local")
    wins: list[str] = []

    def worker(store: Store, name: str) -> Callable[[], None]:
        def work() -> None:
            for _ in range(5):
                if store.claim_digest(athlete, "2026-W47", name, now=NOW, lease_s=600):
                    wins.append(name)

        return work

    _race([worker(first, "w1"), worker(second, "w2"), worker(first, "w3"), worker(second, "w4")])
    assert len(wins) == 1
    winner = wins[0]
    loser = "w2" if winner != "w2" else "w1"
    assert first.digest_status(athlete, "2026-W47") == "claimed"
    assert not first.mark_digest_sent(athlete, "2026-W47", loser)

    # The winner crashed: once the lease is over, another worker may send it; then nobody can claim it again.
    later = NOW + timedelta(seconds=601)
    assert second.claim_digest(athlete, "2026-W47", loser, now=later, lease_s=600)
    assert not first.mark_digest_sent(athlete, "2026-W47", winner)
    assert second.mark_digest_sent(athlete, "2026-W47", loser)
    assert second.digest_status(athlete, "2026-W47") == "sent"
    assert not first.claim_digest(athlete, "2026-W47", winner, now=later + timedelta(days=30), lease_s=600)
    assert first.claim_digest(athlete, "2026-W48", winner, now=later, lease_s=600)  # other weeks are separate


def test_failed_digest_can_be_retried(store: Store) -> None:
    athlete = store.ensure_athlete("local")
    assert store.claim_digest(athlete, "2026-W47", "w1", now=NOW, lease_s=600)
    assert store.fail_digest(athlete, "2026-W47", "w1", "SMTP 451")
    assert store.digest_status(athlete, "2026-W47") == "failed"
    assert store.claim_digest(athlete, "2026-W47", "w2", now=NOW, lease_s=600)
    assert store.mark_digest_sent(athlete, "2026-W47", "w2")


def test_account_sync_turns_are_leased(store_factory: Callable[[], Store], clock: object) -> None:
    first, second = store_factory(), store_factory()
    athlete = first.ensure_athlete("strava:7")
    due = first.upsert_account(athlete, "strava", "7", {"access_token": "a"})
    broken = first.upsert_account(athlete, "garmin", "g", {"token": "b"})
    first.set_account_state(broken, "needs_relink", "login expired")
    later = NOW + timedelta(hours=1)

    (mine,) = first.claim_accounts("w1", now=later, lease_s=120, limit=5)
    assert (mine.id, mine.lease_owner) == (due, "w1")
    assert second.claim_accounts("w2", now=later, lease_s=120, limit=5) == []
    assert not second.release_account(due, "w2", next_due_at=later)
    assert first.release_account(due, "w1", next_due_at=later + timedelta(minutes=15), sync_cursor="1790000000")
    assert second.claim_accounts("w2", now=later + timedelta(minutes=14), lease_s=120, limit=5) == []
    (next_turn,) = second.claim_accounts("w2", now=later + timedelta(minutes=15), lease_s=120, limit=5)
    assert (next_turn.id, next_turn.sync_cursor, next_turn.lease_owner) == (due, "1790000000", "w2")


@pytest.mark.parametrize("limit", [0, -1])
def test_claiming_nothing(store: Store, limit: int) -> None:
    (activity_id,) = _activities(store, 1)
    store.enqueue_writeback(activity_id, "strava", "n")
    assert store.claim_writebacks("w1", now=NOW, lease_s=60, limit=limit) == []


def test_a_failed_digest_reopens_only_at_its_retry_time(store: Store) -> None:
    athlete = store.ensure_athlete("retry")
    assert store.claim_digest(athlete, "2026-W47", "w1", now=NOW, lease_s=600)
    assert store.fail_digest(athlete, "2026-W47", "w1", "SMTP 451", retry_at=NOW + timedelta(minutes=5))
    assert not store.claim_digest(athlete, "2026-W47", "w2", now=NOW + timedelta(minutes=4), lease_s=600)
    assert store.claim_digest(athlete, "2026-W47", "w2", now=NOW + timedelta(minutes=4), lease_s=600, retry_early=True)
    assert store.fail_digest(athlete, "2026-W47", "w2", "SMTP 451", retry_at=NOW + timedelta(minutes=15))
    assert store.claim_digest(athlete, "2026-W47", "w3", now=NOW + timedelta(minutes=15), lease_s=600)


def test_claim_accounts_can_be_limited_to_one_provider(store: Store) -> None:
    athlete = store.ensure_athlete("two-platforms")
    strava = store.upsert_account(athlete, "strava", "1", {"access_token": "a"})
    garmin = store.upsert_account(athlete, "garmin", "g1", {"token": "b"})
    later = NOW + timedelta(days=1)
    claimed = store.claim_accounts("w", now=later, lease_s=60, limit=10, provider="garmin")
    assert [a.id for a in claimed] == [garmin]
    rest = store.claim_accounts("w", now=later, lease_s=60, limit=10)
    assert [a.id for a in rest] == [strava]


def test_claim_writebacks_can_be_limited_to_the_callers_platforms(store: Store) -> None:
    (activity_id,) = _activities(store, 1)
    store.enqueue_writeback(activity_id, "strava", "note s")
    store.enqueue_writeback(activity_id, "garmin", "note g")
    garmin_only = store.claim_writebacks("g", now=NOW, lease_s=60, limit=10, providers=("garmin",))
    assert [item.provider for item in garmin_only] == ["garmin"]
    rest = store.claim_writebacks("s", now=NOW, lease_s=60, limit=10)
    assert [item.provider for item in rest] == ["strava"]
