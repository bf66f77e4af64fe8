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
from syncd.adapters.db.models import ActivityRow, AnnotationRow
from syncd.records import NewAnnotation

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
                sa.select(ActivityRow.id).where(ActivityRow.id.in_(ids)).order_by(ActivityRow.id).with_for_update()
            ).scalars()
        )
        newest = (
            sa.select(sa.func.max(AnnotationRow.id).label("id"))
            .where(AnnotationRow.activity_id.in_(ids))
            .group_by(AnnotationRow.activity_id)
            .subquery()
        )
        conn.execute(  # annotated: the sync pass's mark goes with it, in the same transaction
            sa.update(ActivityRow)
            .where(ActivityRow.id.in_(ids), ActivityRow.needs_annotation)
            .values(needs_annotation=False)
        )
        latest = _latest(conn, newest)
        written: list[bool] = []
        rows: list[dict[str, Any]] = []
        for item in items:
            if item.activity_id not in found:
                raise NotFoundError(f"no activity with id {item.activity_id}: re-run `syncd sync` or `syncd import`")
            result = (item.rules_version, flags_to_json(item.flags), item.note, item.platform_note)
            if latest.get(item.activity_id) == result:
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
            conn.execute(sa.insert(AnnotationRow), rows)
            replace_current_flags(conn, {row["activity_id"]: codes_of(row["flags"]) for row in rows})
        if enqueue is not None:
            _queue_notes(conn, items, written, enqueue)
    return written


def _latest(conn: Connection, newest: Any) -> dict[int, tuple[str, Any, str | None, str | None]]:
    """Each activity's current annotation as (version, flags, note, platform note), to compare a new one with."""
    columns = (
        AnnotationRow.activity_id,
        AnnotationRow.rules_version,
        AnnotationRow.flags,
        AnnotationRow.note,
        AnnotationRow.platform_note,
    )
    return {
        int(row.activity_id): (row.rules_version, to_json_value(row.flags), row.note, row.platform_note)
        for row in conn.execute(sa.select(*columns).join(newest, AnnotationRow.id == newest.c.id))
    }


def _queue_notes(conn: Connection, items: Sequence[NewAnnotation], written: list[bool], enqueue: Enqueue) -> None:
    for item, changed in zip(items, written, strict=True):
        written_note = item.written_note
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
        sa.select(sa.func.max(AnnotationRow.id))
        .join(ActivityRow, ActivityRow.id == AnnotationRow.activity_id)
        .where(
            ActivityRow.athlete_id == athlete_id,
            ~ActivityRow.deleted,
            ActivityRow.start_utc > after.astimezone(UTC),
            ActivityRow.start_utc <= until.astimezone(UTC),
        )
        .group_by(AnnotationRow.activity_id)
    )
    with engine.begin() as conn:
        ids = list(conn.execute(latest).scalars())
        if ids:
            conn.execute(
                sa.update(AnnotationRow)
                .where(AnnotationRow.id.in_(ids), AnnotationRow.rules_version != STALE)
                .values(rules_version=STALE)
            )
    return len(ids)
