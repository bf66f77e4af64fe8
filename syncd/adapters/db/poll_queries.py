"""Light reads for syncing and polling: when an athlete's activities appeared, which platform ids are stored."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy import Engine

from syncd.adapters.db.models import ACTIVITIES


def platform_ids_since(engine: Engine, athlete_id: int, source: str, since: datetime) -> Iterator[tuple[str, datetime]]:
    """(external id, start) of the athlete's not-deleted activities from `source` since `since`, streamed: what a
    sync compares with the listing to find deletions, without loading rows or raw JSON."""
    stmt = (
        sa.select(ACTIVITIES.c.external_id, ACTIVITIES.c.start_utc)
        .where(
            ACTIVITIES.c.athlete_id == athlete_id,
            ACTIVITIES.c.source == source,
            ~ACTIVITIES.c.deleted,
            ACTIVITIES.c.start_utc >= since.astimezone(UTC),
        )
        .order_by(ACTIVITIES.c.start_utc, ACTIVITIES.c.id)
    )
    with engine.connect() as conn:
        for row in conn.execution_options(yield_per=1000).execute(stmt):
            yield str(row.external_id), row.start_utc
