"""Read-only queries behind (re-)annotation: which activities are stale, which notes were never queued, and what
a batch of annotations reads (the activities with streams, and one ordered history list per athlete).

The daily rescan must cost almost nothing when nothing changed, even at 100,000 activities: it asks only for the
ids whose latest annotation is missing or carries another rules version (one index seek per activity on
`ix_annotations_activity_id`), never for rows or raw JSON.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy import ColumnElement, Engine

from syncd.adapters.db.mapping import HISTORY_COLUMNS, activity_from_row, history_entry
from syncd.adapters.db.models import ACTIVITIES, ANNOTATIONS, OUTBOX, STREAMS
from syncd.domain.history import HistoryRow
from syncd.records import LoadedActivity, PackedStreams

# The rules version given to an annotation whose facts changed since it was written (a diary entry, a setting, a
# shoe): it never equals a real version, so the next pass over the athlete (sync, form post, CLI) redoes it.
STALE = "stale"


def _in_range(athlete_id: int, since: datetime | None) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [ACTIVITIES.c.athlete_id == athlete_id, ~ACTIVITIES.c.deleted]
    if since is not None:
        conditions.append(ACTIVITIES.c.start_utc >= since.astimezone(UTC))
    return conditions


def latest_version() -> sa.ScalarSelect[str]:
    """The rules version of an activity's newest annotation (NULL when it was never annotated)."""
    return (
        sa.select(ANNOTATIONS.c.rules_version)
        .where(ANNOTATIONS.c.activity_id == ACTIVITIES.c.id)
        .order_by(ANNOTATIONS.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def count_activities(engine: Engine, athlete_id: int, since: datetime | None = None) -> int:
    with engine.connect() as conn:
        stmt = sa.select(sa.func.count()).select_from(ACTIVITIES).where(*_in_range(athlete_id, since))
        return int(conn.execute(stmt).scalar_one())


def stale_activity_ids(
    engine: Engine, athlete_id: int, version: str, since: datetime | None = None, before: datetime | None = None
) -> list[int]:
    """The athlete's activities (oldest first) never annotated or annotated under another rules version; `before`:
    only those that started before it (the history outside the annotation window)."""
    current = latest_version()
    conditions = _in_range(athlete_id, since)
    if before is not None:
        conditions.append(ACTIVITIES.c.start_utc < before.astimezone(UTC))
    stmt = (
        sa.select(ACTIVITIES.c.id)
        .where(*conditions, sa.or_(current.is_(None), current != version))
        .order_by(ACTIVITIES.c.start_utc, ACTIVITIES.c.id)
    )
    with engine.connect() as conn:
        return [int(i) for i in conn.execute(stmt).scalars()]


def marked_stale_ids(engine: Engine, athlete_id: int) -> list[int]:
    """The athlete's activities (oldest first) whose current annotation was marked STALE: exactly those a change
    since reached, not the ones merely written under an older rules version (the daily re-scan's work)."""
    current = latest_version()
    stmt = (
        sa.select(ACTIVITIES.c.id)
        .where(*_in_range(athlete_id, None), current == STALE)
        .order_by(ACTIVITIES.c.start_utc, ACTIVITIES.c.id)
    )
    with engine.connect() as conn:
        return [int(i) for i in conn.execute(stmt).scalars()]


def unqueued_notes(engine: Engine, athlete_id: int, since: datetime) -> list[tuple[int, str]]:
    """(activity id, note as written to its platform) of the athlete's annotated activities since `since` that no
    write-back ever carried: what a backfill (`syncd reannotate --since DATE --write-back`) still owes."""
    newest = (
        sa.select(sa.func.max(ANNOTATIONS.c.id))
        .where(ANNOTATIONS.c.activity_id == ACTIVITIES.c.id)
        .correlate(ACTIVITIES)
        .scalar_subquery()
    )
    queued = sa.exists().where(OUTBOX.c.activity_id == ACTIVITIES.c.id)
    stmt = (
        sa.select(ACTIVITIES.c.id, sa.func.coalesce(ANNOTATIONS.c.platform_note, ANNOTATIONS.c.note).label("note"))
        .join(ANNOTATIONS, ANNOTATIONS.c.id == newest)
        .where(*_in_range(athlete_id, since), ANNOTATIONS.c.note.is_not(None), ~queued)
        .order_by(ACTIVITIES.c.start_utc, ACTIVITIES.c.id)
    )
    with engine.connect() as conn:
        return [(int(row.id), str(row.note)) for row in conn.execute(stmt)]


# ---- what a batch of annotations reads: activities with streams (no raw JSON) and one history list -------------

_ACTIVITY_COLUMNS = [column for column in ACTIVITIES.c if column.name != "raw"]


def load_for_annotation(engine: Engine, ids: Sequence[int]) -> dict[int, LoadedActivity]:
    """The activities (their streams still packed, without raw JSON) in two queries, whatever their number."""
    if not ids:
        return {}
    with engine.connect() as conn:
        rows = conn.execute(sa.select(*_ACTIVITY_COLUMNS).where(ACTIVITIES.c.id.in_(ids))).all()
        blobs = conn.execute(
            sa.select(STREAMS.c.activity_id, STREAMS.c.data).where(STREAMS.c.activity_id.in_(ids))
        ).all()
    from syncd.adapters.db.codec import decode_streams  # numpy: only where streams are read

    packed = {int(b.activity_id): PackedStreams(bytes(b.data), decode_streams) for b in blobs}
    return {
        int(row.id): LoadedActivity(
            id=int(row.id),
            athlete_id=int(row.athlete_id),
            logical_group=row.logical_group,
            activity=activity_from_row(row, None),
            packed=packed.get(int(row.id)),
        )
        for row in rows
    }


def history_rows(engine: Engine, athlete_id: int, start: datetime, end: datetime) -> list[HistoryRow]:
    """The athlete's not-deleted activities with start <= start_utc < end, ordered by (start_utc, id)."""
    stmt = (
        sa.select(ACTIVITIES.c.id, *HISTORY_COLUMNS)
        .where(
            ACTIVITIES.c.athlete_id == athlete_id,
            ~ACTIVITIES.c.deleted,
            ACTIVITIES.c.start_utc >= start.astimezone(UTC),
            ACTIVITIES.c.start_utc < end.astimezone(UTC),
        )
        .order_by(ACTIVITIES.c.start_utc, ACTIVITIES.c.id)
    )
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    return [
        HistoryRow(
            activity_id=int(row.id),
            logical_group=row.logical_group,
            entry=history_entry(row),
        )
        for row in rows
    ]
