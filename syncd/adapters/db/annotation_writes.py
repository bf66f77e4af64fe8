"""Saving many annotations in one transaction: what `annotate_batch` writes per chunk of activities.

Same rule as `Store.save_annotation`, per activity: a new row only when the result differs from the latest one
(append-only table, newest id = current). The chunk's activity rows are locked first, in id order (PostgreSQL
`FOR UPDATE`; SQLite's write lock), so two workers annotating the same activities never both append a result.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection, Engine

from syncd.adapters.db.annotation_queries import STALE
from syncd.adapters.db.errors import NotFoundError, StoreError
from syncd.adapters.db.flag_index import codes_of, replace_current_flags
from syncd.adapters.db.mapping import flags_to_json, to_json_value
from syncd.adapters.db.models import ACTIVITIES, ANNOTATIONS
from syncd.records import NewAnnotation, note_to_queue

# (connection, activity id, provider, note) -> outbox id, None when a concurrent writer won the race
Enqueue = Callable[[Connection, int, str, str], int | None]


def save_annotations(
    engine: Engine, items: Sequence[NewAnnotation], *, now: datetime, enqueue: Enqueue | None = None
) -> list[bool]:
    """Store each annotation unless it equals its activity's latest one; True per item where a row was written.

    With `enqueue`, a written annotation's note is queued for its `write_back_to` platforms in the same
    transaction (as `Store.save_annotation`): a crash never leaves a current note that was not queued."""
    if not items:
        return []
    ids = sorted({item.activity_id for item in items})
    with engine.begin() as conn:
        found = set(
            conn.execute(
                sa.select(ACTIVITIES.c.id).where(ACTIVITIES.c.id.in_(ids)).order_by(ACTIVITIES.c.id).with_for_update()
            ).scalars()
        )
        newest = (
            sa.select(sa.func.max(ANNOTATIONS.c.id).label("id"))
            .where(ANNOTATIONS.c.activity_id.in_(ids))
            .group_by(ANNOTATIONS.c.activity_id)
            .subquery()
        )
        conn.execute(  # annotated: the sync pass's mark goes with it, in the same transaction
            sa.update(ACTIVITIES)
            .where(ACTIVITIES.c.id.in_(ids), ACTIVITIES.c.needs_annotation)
            .values(needs_annotation=False)
        )
        latest = _latest(conn, newest)
        written: list[bool] = []
        before: list[str | None] = []  # each item's activity's note on its platform before it
        rows: list[dict[str, Any]] = []
        for item in items:
            if item.activity_id not in found:
                raise NotFoundError(f"no activity with id {item.activity_id}: re-run `syncd sync` or `syncd import`")
            result = (item.rules_version, flags_to_json(item.flags), item.note, item.platform_note)
            previous = latest.get(item.activity_id)
            before.append(None if previous is None else (previous[2] if previous[3] is None else previous[3]))
            if previous == result:
                written.append(False)
                continue
            latest[item.activity_id] = result
            rows.append(
                {
                    "activity_id": item.activity_id,
                    "rules_version": item.rules_version,
                    "flags": result[1],
                    "note": item.note,
                    "platform_note": item.platform_note,
                    "created_at": now,
                }
            )
            written.append(True)
        if rows:
            conn.execute(sa.insert(ANNOTATIONS), rows)
            replace_current_flags(conn, {row["activity_id"]: codes_of(row["flags"]) for row in rows})
        if enqueue is not None:
            _queue_notes(conn, items, written, before, enqueue)
    return written


def _latest(conn: Connection, newest: Any) -> dict[int, tuple[str, Any, str | None, str | None]]:
    """Each activity's current annotation as (version, flags, note, platform note), to compare a new one with."""
    columns = (
        ANNOTATIONS.c.activity_id,
        ANNOTATIONS.c.rules_version,
        ANNOTATIONS.c.flags,
        ANNOTATIONS.c.note,
        ANNOTATIONS.c.platform_note,
    )
    return {
        int(row.activity_id): (row.rules_version, to_json_value(row.flags), row.note, row.platform_note)
        for row in conn.execute(sa.select(*columns).join(newest, ANNOTATIONS.c.id == newest.c.id))
    }


def _queue_notes(
    conn: Connection,
    items: Sequence[NewAnnotation],
    written: list[bool],
    before: list[str | None],
    enqueue: Enqueue,
) -> None:
    for item, changed, previous in zip(items, written, before, strict=True):
        written_note = note_to_queue(item.written_note, previous)
        if not changed or written_note is None:
            continue
        for provider in item.write_back_to:
            if enqueue(conn, item.activity_id, provider, written_note) is None:
                raise StoreError(
                    f"could not queue write-back for activity {item.activity_id}: too much contention; retry later"
                )


def mark_stale_between(engine: Engine, athlete_id: int, after: datetime, until: datetime) -> int:
    """Mark STALE the current annotation of each of the athlete's activities that started in (after, until]: those
    whose history an activity starting at `after` belongs to (a late upload, a twin merged, a deletion)."""
    latest = (
        sa.select(sa.func.max(ANNOTATIONS.c.id))
        .join(ACTIVITIES, ACTIVITIES.c.id == ANNOTATIONS.c.activity_id)
        .where(
            ACTIVITIES.c.athlete_id == athlete_id,
            ~ACTIVITIES.c.deleted,
            ACTIVITIES.c.start_utc > after.astimezone(UTC),
            ACTIVITIES.c.start_utc <= until.astimezone(UTC),
        )
        .group_by(ANNOTATIONS.c.activity_id)
    )
    with engine.begin() as conn:
        ids = list(conn.execute(latest).scalars())
        if ids:
            conn.execute(
                sa.update(ANNOTATIONS)
                .where(ANNOTATIONS.c.id.in_(ids), ANNOTATIONS.c.rules_version != STALE)
                .values(rules_version=STALE)
            )
    return len(ids)
