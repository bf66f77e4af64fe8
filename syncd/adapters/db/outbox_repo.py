"""The write-back outbox: notes queued for the platforms, leased to the workers that send them."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from syncd.adapters.db.base_repo import RepoBase, _aware
from syncd.adapters.db.errors import StoreError
from syncd.adapters.db.models import ACTIVITIES, OUTBOX
from syncd.records import OutboxItem


class OutboxRepo(RepoBase):
    """The outbox queue, for the Store (its log of finished writes is repositories.OutboxLog)."""

    def enqueue_writeback(self, activity_id: int, provider: str, note: str) -> int:
        """Queue `note` for the platform; a still-pending item for the same activity and platform gets the new note."""
        for _ in range(3):
            with self._engine.begin() as conn:
                queued = self._enqueue(conn, activity_id, provider, note)
            if queued is not None:
                return queued
        raise StoreError(f"could not queue write-back for activity {activity_id}: too much contention; retry later")

    def claim_writebacks(
        self,
        worker: str,
        *,
        now: datetime,
        lease_s: float,
        limit: int,
        providers: Collection[str] | None = None,
    ) -> list[OutboxItem]:
        """Up to `limit` due items (pending and due, or claimed with an expired lease), leased to `worker`.

        `providers` limits the claim to the platforms the caller can write to, so one platform's drain never
        holds another platform's notes.
        """
        now = _aware(now, "now")
        eligible = sa.and_(
            sa.or_(
                sa.and_(OUTBOX.c.status == "pending", OUTBOX.c.next_attempt_at <= now),
                sa.and_(OUTBOX.c.status == "claimed", OUTBOX.c.lease_expires_at < now),
            ),
            sa.true() if providers is None else OUTBOX.c.provider.in_(sorted(providers)),
        )
        values = {
            "status": "claimed",
            "lease_owner": worker,
            "lease_expires_at": now + timedelta(seconds=lease_s),
            "attempts": OUTBOX.c.attempts + 1,
            "updated_at": now,
        }
        columns = [
            OUTBOX.c.id,
            OUTBOX.c.activity_id,
            OUTBOX.c.provider,
            OUTBOX.c.note,
            OUTBOX.c.attempts,
            OUTBOX.c.lease_owner,
            OUTBOX.c.lease_expires_at,
            OUTBOX.c.last_error,
        ]
        # Newest activities first: a new run's note goes out before a long backfill (a first sync of 30 days, a
        # re-annotation) queued earlier, whichever athlete each belongs to.
        newest_first = (
            sa.select(ACTIVITIES.c.start_utc).where(ACTIVITIES.c.id == OUTBOX.c.activity_id).scalar_subquery().desc()
        )
        rows = self._claim(
            OUTBOX, eligible=eligible, order=(newest_first,), values=values, returning=columns, limit=limit
        )
        items = [OutboxItem(**dict(row._mapping)) for row in rows]
        return sorted(items, key=lambda item: item.id)

    def complete_writeback(self, item_id: int, worker: str) -> bool:
        """Mark done; False when `worker` no longer holds the lease (another worker took it over)."""
        with self._engine.begin() as conn:
            result = conn.execute(
                sa.update(OUTBOX)
                .where(OUTBOX.c.id == item_id, OUTBOX.c.lease_owner == worker, OUTBOX.c.status == "claimed")
                .values(status="done", lease_owner=None, lease_expires_at=None, updated_at=self._now())
            )
        return bool(result.rowcount)

    def fail_writeback(self, item_id: int, worker: str, error: str, retry_at: datetime | None) -> bool:
        """Give the item back for a retry at `retry_at` (None: give up, status failed); False if the lease was lost.

        If a newer note was queued meanwhile for the same activity and platform, this one is superseded: failed.
        """
        mine = sa.and_(OUTBOX.c.id == item_id, OUTBOX.c.lease_owner == worker, OUTBOX.c.status == "claimed")
        base = {"lease_owner": None, "lease_expires_at": None, "last_error": error[:2000], "updated_at": self._now()}
        if retry_at is not None:
            try:
                with self._engine.begin() as conn:
                    result = conn.execute(
                        sa.update(OUTBOX)
                        .where(mine)
                        .values(**base, status="pending", next_attempt_at=_aware(retry_at, "retry_at"))
                    )
                return bool(result.rowcount)
            except IntegrityError:  # a newer pending item exists: it carries the newer note
                base["last_error"] = f"superseded by a newer note; last error: {error}"[:2000]
        with self._engine.begin() as conn:
            result = conn.execute(sa.update(OUTBOX).where(mine).values(**base, status="failed"))
        return bool(result.rowcount)
