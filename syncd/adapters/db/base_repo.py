"""What every repository of the Store shares: the engine, the secret box, the clock and the dialect's insert.

Work that several worker processes share (account sync turns, the write-back outbox, weekly digests) is handed out
by claims with leases: one UPDATE … WHERE <eligible> … RETURNING whose row set comes from a sub-select that is
`FOR UPDATE SKIP LOCKED` on PostgreSQL. On SQLite the same UPDATE is a compare-and-set under the database write
lock (a write statement takes the lock before it reads), so two workers never get the same row; a lease that
expires (worker crashed) makes the row eligible again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import ColumnElement, Connection, Engine

from syncd.adapters.clock import SystemClock
from syncd.adapters.crypto import SecretBox
from syncd.adapters.db.mapping import AnyRow
from syncd.adapters.db.models import OUTBOX
from syncd.ports import Clock

if TYPE_CHECKING:
    from sqlalchemy.dialects import postgresql, sqlite

    type DialectInsert = Callable[[sa.Table], postgresql.Insert | sqlite.Insert]


def insert_for(engine: Engine) -> DialectInsert:
    """The INSERT of the engine's dialect (it has ON CONFLICT), loading only that dialect: SQLite users do not pay
    for the PostgreSQL one at start-up (issue 32)."""
    if engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        return postgresql_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert


def _aware(dt: datetime, what: str) -> datetime:
    if dt.tzinfo is None:
        raise ValueError(f"{what} must be an aware datetime (UTC)")
    return dt.astimezone(UTC)


def _settled(payload: object) -> bool:
    """A finished write that left this note's text on the platform (written, or already there) or met the
    runner's opt-out; not one skipped for a reason that may pass (a public activity under `private`)."""
    if not isinstance(payload, Mapping):
        return False
    return bool(payload.get("written")) or payload.get("status") in ("unchanged", "opted_out")


class RepoBase:
    """The state the per-aggregate repositories share, and the helpers more than one of them uses.

    `_enqueue` lives here because an annotation queues its note for write-back in its own transaction; `_claim`
    because accounts and the outbox both lease rows.
    """

    def __init__(self, engine: Engine, *, secret_box: SecretBox | None = None, clock: Clock | None = None) -> None:
        self._engine = engine
        self._box = secret_box
        self._clock: Clock = clock or SystemClock()
        self._insert = insert_for(engine)

    def _now(self) -> datetime:
        return _aware(self._clock.now(), "clock.now()")

    def _enqueue(self, conn: Connection, activity_id: int, provider: str, note: str) -> int | None:
        """One try inside the caller's transaction: update the pending (or held) item, else insert one; None on a
        race.

        A note equal to the one last written to that platform is not queued again (its id is returned): a
        re-annotation whose platform text did not change (a diary entry from the CLI changes syncd's own note only)
        costs no platform call."""
        now = self._now()
        pending = sa.and_(
            OUTBOX.c.activity_id == activity_id, OUTBOX.c.provider == provider, OUTBOX.c.status == "pending"
        )
        updated = conn.execute(
            sa.update(OUTBOX).where(pending).values(note=note, updated_at=now).returning(OUTBOX.c.id)
        ).scalar()
        if updated is not None:
            return int(updated)
        held = sa.and_(OUTBOX.c.activity_id == activity_id, OUTBOX.c.provider == provider, OUTBOX.c.status == "held")
        released = conn.execute(  # a held item takes the new note back to the queue: the drain decides again
            sa.update(OUTBOX)
            .where(held)
            .values(note=note, status="pending", next_attempt_at=now, attempts=0, updated_at=now)
            .returning(OUTBOX.c.id)
        ).scalar()
        if released is not None:
            return int(released)
        last = conn.execute(
            sa.select(OUTBOX.c.id, OUTBOX.c.status, OUTBOX.c.note, OUTBOX.c.payload)
            .where(OUTBOX.c.activity_id == activity_id, OUTBOX.c.provider == provider)
            .order_by(OUTBOX.c.id.desc())
            .limit(1)
        ).first()
        if last is not None and last.status == "done" and last.note == note and _settled(last.payload):
            return int(last.id)
        inserted = conn.execute(
            self._insert(OUTBOX)
            .values(
                activity_id=activity_id,
                provider=provider,
                note=note,
                status="pending",
                next_attempt_at=now,
                created_at=now,
                updated_at=now,
            )
            .on_conflict_do_nothing()
            .returning(OUTBOX.c.id)
        ).scalar()
        return None if inserted is None else int(inserted)

    def _claim(
        self,
        table: sa.Table,
        *,
        eligible: ColumnElement[bool],
        order: tuple[Any, ...],
        values: Mapping[str, Any],
        returning: Sequence[Any],
        limit: int,
    ) -> list[AnyRow]:
        if limit <= 0:
            return []
        pk = table.c.id
        # A MATERIALIZED CTE runs the locking SELECT exactly once: as `id IN (SELECT ... LIMIT n FOR UPDATE SKIP
        # LOCKED)` PostgreSQL may re-run the subquery per row, and every run skips the rows it already locked, so
        # limit=1 claimed every due row (issue 17). SQLite has one writer, so the plain form is exact there.
        picked = (
            sa.select(pk.label("picked_id"))
            .where(eligible)
            .order_by(*order, pk)
            .limit(limit)
            .with_for_update(skip_locked=True)
            .cte("picked")
            .prefix_with("MATERIALIZED", dialect="postgresql")
        )
        # `eligible` is repeated on the UPDATE: that is the compare-and-set (PostgreSQL re-checks it on rows that
        # changed under us; SQLite evaluates everything under its write lock).
        stmt = (
            sa.update(table)
            .where(pk.in_(sa.select(picked.c.picked_id)), eligible)
            .values(**values)
            .returning(*returning)
        )
        with self._engine.begin() as conn:
            return list(conn.execute(stmt).all())
