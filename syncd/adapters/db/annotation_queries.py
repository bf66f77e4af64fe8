"""Read-only queries behind re-annotation: which activities are stale, and which notes were never queued.

The daily rescan must cost almost nothing when nothing changed, even at 100,000 activities: it asks only for the
ids whose latest annotation is missing or carries another rules version (one index seek per activity on
`ix_annotations_activity_id`), never for rows or raw JSON.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy import ColumnElement, Engine

from syncd.adapters.db.models import ActivityRow, AnnotationRow, OutboxRow


def _in_range(athlete_id: int, since: datetime | None) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [ActivityRow.athlete_id == athlete_id, ~ActivityRow.deleted]
    if since is not None:
        conditions.append(ActivityRow.start_utc >= since.astimezone(UTC))
    return conditions


def latest_version() -> sa.ScalarSelect[str]:
    """The rules version of an activity's newest annotation (NULL when it was never annotated)."""
    return (
        sa.select(AnnotationRow.rules_version)
        .where(AnnotationRow.activity_id == ActivityRow.id)
        .order_by(AnnotationRow.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def count_activities(engine: Engine, athlete_id: int, since: datetime | None = None) -> int:
    with engine.connect() as conn:
        stmt = sa.select(sa.func.count()).select_from(ActivityRow).where(*_in_range(athlete_id, since))
        return int(conn.execute(stmt).scalar_one())


def stale_activity_ids(engine: Engine, athlete_id: int, version: str, since: datetime | None = None) -> list[int]:
    """The athlete's activities (oldest first) never annotated or annotated under another rules version."""
    current = latest_version()
    stmt = (
        sa.select(ActivityRow.id)
        .where(*_in_range(athlete_id, since), sa.or_(current.is_(None), current != version))
        .order_by(ActivityRow.start_utc, ActivityRow.id)
    )
    with engine.connect() as conn:
        return [int(i) for i in conn.execute(stmt).scalars()]


def unqueued_notes(engine: Engine, athlete_id: int, since: datetime) -> list[tuple[int, str]]:
    """(activity id, note) of the athlete's annotated activities since `since` that no write-back ever carried:
    what a backfill (`syncd reannotate --since DATE --write-back`) still owes."""
    newest = (
        sa.select(sa.func.max(AnnotationRow.id))
        .where(AnnotationRow.activity_id == ActivityRow.id)
        .correlate(ActivityRow)
        .scalar_subquery()
    )
    queued = sa.exists().where(OutboxRow.activity_id == ActivityRow.id)
    stmt = (
        sa.select(ActivityRow.id, AnnotationRow.note)
        .join(AnnotationRow, AnnotationRow.id == newest)
        .where(*_in_range(athlete_id, since), AnnotationRow.note.is_not(None), ~queued)
        .order_by(ActivityRow.start_utc, ActivityRow.id)
    )
    with engine.connect() as conn:
        return [(int(row.id), str(row.note)) for row in conn.execute(stmt)]
