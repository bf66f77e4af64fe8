"""What the contract tests share: a run to store, and the pending write-backs read the same way from every store."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from syncd.domain.model import Activity, Source, Sport
from tests.contract.conftest import Stores
from tests.unit.fakes import MemoryStore, run_streams

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
        return sorted(store.outbox, key=lambda item: store.outbox_ids[item[:2]])
    return [(i.activity_id, i.provider, i.note) for i in store.outbox_log.pending_items()]
