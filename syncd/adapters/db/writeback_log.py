"""What the write-back outbox remembers about finished writes, for the description merge.

`previously_written` (syncd.domain.description) must come from our own record, not from the description: if the
athlete deleted our block, only the record tells us we had written one, and that is their opt-out. The record is
the finished outbox row's `payload` ({"written": true, ...}). Kept beside the Store (not in it) so the outbox
schema stays the one the lead owns; only `payload`, which the Store never reads, is touched here.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Engine

from syncd.adapters.db.models import OUTBOX
from syncd.records import PendingItem, PlatformWrite


def was_written(engine: Engine, activity_id: int, provider: str) -> bool:
    """Whether any earlier write-back for this activity and platform put our block into the description."""
    with engine.connect() as conn:
        payloads = conn.execute(
            sa.select(OUTBOX.c.payload).where(
                OUTBOX.c.activity_id == activity_id, OUTBOX.c.provider == provider, OUTBOX.c.status == "done"
            )
        ).scalars()
        return any(isinstance(p, Mapping) and p.get("written") for p in payloads)


def record_result(engine: Engine, item_id: int, worker: str, payload: Mapping[str, Any]) -> bool:
    """Save what the write did on the item we still hold; False if the lease was lost meanwhile."""
    with engine.begin() as conn:
        result = conn.execute(
            sa.update(OUTBOX)
            .where(OUTBOX.c.id == item_id, OUTBOX.c.lease_owner == worker, OUTBOX.c.status == "claimed")
            .values(payload=dict(payload))
        )
    return bool(result.rowcount)


def pending_items(
    engine: Engine, *, limit: int = 1000, providers: Sequence[str] | None = None, held: Collection[int] = ()
) -> list[PendingItem]:
    """Pending items (and the `held` ones named: those a drain would give back) without claiming them (for
    `--dry-run`, which must change nothing)."""
    wanted = sa.true() if providers is None else OUTBOX.c.provider.in_(sorted(providers))
    queued = OUTBOX.c.status == "pending"
    if held:
        queued = sa.or_(queued, sa.and_(OUTBOX.c.status == "held", OUTBOX.c.id.in_(sorted(held))))
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(OUTBOX.c.id, OUTBOX.c.activity_id, OUTBOX.c.provider, OUTBOX.c.note)
            .where(queued, wanted)
            .order_by(OUTBOX.c.id)
            .limit(limit)
        ).all()
    return [PendingItem(int(r.id), int(r.activity_id), str(r.provider), str(r.note)) for r in rows]


def platform_writes(engine: Engine, activity_id: int) -> list[PlatformWrite]:
    """Per platform, the newest outbox item of the activity and the text of the last write that left our note
    there (for the activity page: what is on the platform, and whether a newer note waits)."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(
                OUTBOX.c.provider,
                OUTBOX.c.status,
                OUTBOX.c.note,
                OUTBOX.c.payload,
                OUTBOX.c.last_error,
                OUTBOX.c.updated_at,
                OUTBOX.c.next_attempt_at,
            )
            .where(OUTBOX.c.activity_id == activity_id)
            .order_by(OUTBOX.c.id)
        ).all()
    found: dict[str, PlatformWrite] = {}
    for row in rows:
        payload = row.payload if isinstance(row.payload, Mapping) else {}
        before = found.get(row.provider)
        on_platform, written_at = (before.on_platform, before.written_at) if before else (None, None)
        outcome = payload.get("status") if row.status in ("done", "held") else None
        if row.status == "done" and (payload.get("written") or outcome == "unchanged"):
            on_platform, written_at = str(row.note), row.updated_at
        elif row.status == "done" and outcome == "opted_out":
            on_platform, written_at = None, row.updated_at
        found[row.provider] = PlatformWrite(
            provider=str(row.provider),
            status=str(row.status),
            note=str(row.note),
            outcome=None if outcome is None else str(outcome),
            error=row.last_error,
            updated_at=row.updated_at,
            on_platform=on_platform,
            written_at=written_at,
            reason=str(payload["reason"]) if row.status == "held" and payload.get("reason") else None,
            next_attempt_at=row.next_attempt_at if row.status == "pending" else None,
        )
    return list(found.values())
