"""What the contract tests share: a run to store, and the pending write-backs read the same way from every store."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from syncd.adapters.db import Store
from syncd.domain.model import Activity, Source, Sport
from tests.contract.conftest import Stores
from tests.unit.fakes import MemoryOutbox, MemoryStore, run_streams

T0 = datetime(2026, 11, 2, 6, 30, tzinfo=UTC)


def run(ext: str, start: datetime = T0, *, source: Source = Source.STRAVA, **changes: object) -> Activity:
    base = Activity(
        source, ext, Sport.RUN, "Run", start, name="Run", distance_m=7200.0, moving_s=2400.0, elapsed_s=2400.0,
        gear_id="shoe", streams=run_streams(5),
    )  # fmt: skip
    return replace(base, **changes)  # type: ignore[arg-type]


def pending(store: Stores) -> list[tuple[int, str, str]]:
    """(activity id, provider, note) of the pending write-backs, oldest item first."""
    if isinstance(store, MemoryStore):
        return store.outbox
    return [(i.activity_id, i.provider, i.note) for i in store.outbox_log.pending_items()]


def outbox_of(store: Stores) -> MemoryOutbox | Store:
    """What the write-back worker drains: the Store itself, or the fake's MemoryOutbox over the same items."""
    return MemoryOutbox(store) if isinstance(store, MemoryStore) else store


def drain(store: Stores, result: dict[str, object]) -> None:
    """Claim every pending write-back, record `result` for each and finish it, as the write-back worker does."""
    log = outbox_of(store)
    for item in log.claim_writebacks("w", now=T0.replace(year=2030), lease_s=60, limit=100):
        log.outbox_log.record_result(item.id, "w", result)
        log.complete_writeback(item.id, "w")
