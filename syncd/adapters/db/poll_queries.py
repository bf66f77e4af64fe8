"""Light reads for syncing and polling: when an athlete's activities appeared, which platform ids are stored."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy import Engine

from syncd.adapters.db.models import ActivityRow


def recent_appearances(engine: Engine, athlete_id: int, since: datetime) -> list[tuple[datetime, float, int]]:
    """(start_utc, elapsed seconds, utc offset) of the athlete's activities since `since`: three columns, no JSON."""
    stmt = (
        sa.select(ActivityRow.start_utc, ActivityRow.elapsed_s, ActivityRow.moving_s, ActivityRow.utc_offset_s)
        .where(
            ActivityRow.athlete_id == athlete_id, ~ActivityRow.deleted, ActivityRow.start_utc >= since.astimezone(UTC)
        )
        .order_by(ActivityRow.start_utc)
    )
    with engine.connect() as conn:
        return [
            (row.start_utc, float(row.elapsed_s or row.moving_s or 0.0), int(row.utc_offset_s or 0))
            for row in conn.execute(stmt)
        ]


def platform_ids_since(engine: Engine, athlete_id: int, source: str, since: datetime) -> Iterator[tuple[str, datetime]]:
    """(external id, start) of the athlete's not-deleted activities from `source` since `since`, streamed: what a
    sync compares with the listing to find deletions, without loading rows or raw JSON."""
    stmt = (
        sa.select(ActivityRow.external_id, ActivityRow.start_utc)
        .where(
            ActivityRow.athlete_id == athlete_id,
            ActivityRow.source == source,
            ~ActivityRow.deleted,
            ActivityRow.start_utc >= since.astimezone(UTC),
        )
        .order_by(ActivityRow.start_utc, ActivityRow.id)
    )
    with engine.connect() as conn:
        for row in conn.execution_options(yield_per=1000).execute(stmt):
            yield str(row.external_id), row.start_utc
