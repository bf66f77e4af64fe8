"""The write-back outbox: notes queued for the platforms, leased to the workers that send them."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from syncd.adapters.db.base_repo import RepoBase, _aware
from syncd.adapters.db.errors import StoreError
from syncd.adapters.db.models import ACTIVITIES, ATHLETES, OUTBOX
from syncd.records import HeldItem, OutboxItem


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

    def hold_writeback(self, item_id: int, worker: str, payload: Mapping[str, Any]) -> bool:
        """Hold the item with its reason (`payload`) until a settings change allows it; False if the lease was lost.

        If a newer note was queued meanwhile for the same activity and platform, that one is decided on its own and
        this one is finished (done, with the reason)."""
        mine = sa.and_(OUTBOX.c.id == item_id, OUTBOX.c.lease_owner == worker, OUTBOX.c.status == "claimed")
        values = {"lease_owner": None, "lease_expires_at": None, "payload": dict(payload), "updated_at": self._now()}
        try:
            with self._engine.begin() as conn:
                result = conn.execute(sa.update(OUTBOX).where(mine).values(**values, status="held"))
            return bool(result.rowcount)
        except IntegrityError:  # a newer pending item exists: it carries the newer note
            with self._engine.begin() as conn:
                result = conn.execute(sa.update(OUTBOX).where(mine).values(**values, status="done"))
            return bool(result.rowcount)

    def held_writebacks(self, *, providers: Collection[str] | None = None) -> list[HeldItem]:
        """Every held item with the athlete's own write-back choice and the activity's stored visibility."""
        wanted = sa.true() if providers is None else OUTBOX.c.provider.in_(sorted(providers))
        query = (
            sa.select(OUTBOX.c.id, OUTBOX.c.activity_id, OUTBOX.c.provider, ATHLETES.c.write_back, ACTIVITIES.c.private)
            .join(ACTIVITIES, ACTIVITIES.c.id == OUTBOX.c.activity_id)
            .join(ATHLETES, ATHLETES.c.id == ACTIVITIES.c.athlete_id)
            .where(OUTBOX.c.status == "held", wanted)
            .order_by(OUTBOX.c.id)
        )
        with self._engine.connect() as conn:
            rows = conn.execute(query).all()
        return [HeldItem(int(r.id), int(r.activity_id), str(r.provider), r.write_back, bool(r.private)) for r in rows]

    def release_writebacks(self, item_ids: Sequence[int]) -> int:
        """Give held items back to the queue, due now (the settings allow them); how many were still held."""
        if not item_ids:
            return 0
        now = self._now()
        released = 0
        with self._engine.begin() as conn:
            for start in range(0, len(item_ids), 500):
                chunk = list(item_ids[start : start + 500])
                result = conn.execute(
                    sa.update(OUTBOX)
                    .where(OUTBOX.c.id.in_(chunk), OUTBOX.c.status == "held")
                    .values(status="pending", next_attempt_at=now, attempts=0, updated_at=now)
                )
                released += int(result.rowcount or 0)
        return released
