"""What the polling schedule learns from: when an athlete's recent activities started and how long they lasted."""

from __future__ import annotations

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
