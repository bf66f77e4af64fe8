"""Which due account a worker claims first (issue 17, "Workers that share"): new activities before a backfill, and
every athlete in turn."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from syncd.adapters.db import Store

NOW = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)


def _account(store: Store, name: str, *, due: datetime, cursor: str | None) -> int:
    """An account due at `due`; `cursor` None means never synced (its first sync is the backfill)."""
    account_id = store.upsert_account(store.ensure_athlete(name), "strava", name, {"access_token": "t"})
    (claimed,) = [a for a in store.claim_accounts("setup", now=NOW, lease_s=60, limit=100) if a.id == account_id]
    assert store.release_account(claimed.id, "setup", next_due_at=due, sync_cursor=cursor)
    return account_id


def test_an_account_with_new_activities_goes_before_a_first_sync_backfill(store_factory: Callable[[], Store]) -> None:
    store = store_factory()
    later = NOW + timedelta(hours=2)
    backfill = _account(store, "just-linked", due=NOW, cursor=None)  # due first, but a month of history to fetch
    woken = _account(store, "webhook", due=NOW + timedelta(hours=1), cursor="1763870000")  # a new run, due now
    assert [a.id for a in store.claim_accounts("w1", now=later, lease_s=60, limit=1)] == [woken]
    assert [a.id for a in store.claim_accounts("w2", now=later, lease_s=60, limit=1)] == [backfill]


def test_synced_accounts_take_turns_longest_waiting_first(store_factory: Callable[[], Store]) -> None:
    store = store_factory()
    ids = [
        _account(store, f"a{i}", due=NOW + timedelta(minutes=due), cursor="1763870000")
        for i, due in enumerate([30, 10, 20])
    ]
    later = NOW + timedelta(hours=1)
    order = [store.claim_accounts(f"w{n}", now=later, lease_s=60, limit=1)[0].id for n in range(3)]
    assert order == [ids[1], ids[2], ids[0]]
