"""Store queries for cross-platform identity: the same run from Garmin and from Strava is one logical activity.

Both rows stay (each platform's raw data and write-back need their own); they share `activities.logical_group`,
which history, digests and the feed use to count the run once. Kept beside the Store, on its engine, so the
repository stays the lead's.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import Engine

from syncd.adapters.db.mapping import AnyRow
from syncd.adapters.db.models import ACTIVITIES
from syncd.records import TwinFacts

__all__ = ["TwinFacts", "facts", "members", "nearby", "set_group"]


_COLUMNS = (
    ACTIVITIES.c.id,
    ACTIVITIES.c.athlete_id,
    ACTIVITIES.c.source,
    ACTIVITIES.c.external_id,
    ACTIVITIES.c.sport,
    ACTIVITIES.c.start_utc,
    ACTIVITIES.c.distance_m,
    ACTIVITIES.c.elapsed_s,
    ACTIVITIES.c.moving_s,
    ACTIVITIES.c.logical_group,
)


def _facts(row: AnyRow) -> TwinFacts:
    m = row._mapping
    moving, elapsed = m["moving_s"], m["elapsed_s"]
    start: datetime = m["start_utc"]
    return TwinFacts(
        id=int(m["id"]),
        athlete_id=int(m["athlete_id"]),
        source=str(m["source"]),
        external_id=str(m["external_id"]),
        sport=str(m["sport"]),
        start_utc=start if start.tzinfo else start.replace(tzinfo=UTC),
        distance_m=m["distance_m"],
        duration_s=moving if moving is not None else elapsed,
        logical_group=m["logical_group"],
    )


# Built once, run with parameters: an import asks both for every new activity, and building them around each
# activity's values cost more than the queries (issue 32).
_FACTS = sa.select(*_COLUMNS).where(ACTIVITIES.c.id == sa.bindparam("k_id"), ~ACTIVITIES.c.deleted)
_NEARBY = (
    sa.select(*_COLUMNS)
    .where(
        ACTIVITIES.c.athlete_id == sa.bindparam("k_athlete"),
        ~ACTIVITIES.c.deleted,
        ACTIVITIES.c.source.in_(sa.bindparam("k_sources", expanding=True)),
        ACTIVITIES.c.start_utc >= sa.bindparam("k_from", type_=ACTIVITIES.c.start_utc.type),
        ACTIVITIES.c.start_utc <= sa.bindparam("k_to", type_=ACTIVITIES.c.start_utc.type),
    )
    .order_by(ACTIVITIES.c.start_utc, ACTIVITIES.c.id)
)


def facts(engine: Engine, activity_id: int) -> TwinFacts | None:
    with engine.connect() as conn:
        row = conn.execute(_FACTS, {"k_id": activity_id}).first()
    return None if row is None else _facts(row)


def nearby(
    engine: Engine, athlete_id: int, start: datetime, within: timedelta, sources: Sequence[str]
) -> list[TwinFacts]:
    """The athlete's not-deleted activities from `sources` starting within `within` of `start`."""
    window = {"k_from": start - within, "k_to": start + within}
    with engine.connect() as conn:
        rows = conn.execute(_NEARBY, {"k_athlete": athlete_id, "k_sources": list(sources), **window}).all()
    return [_facts(row) for row in rows]


def members(engine: Engine, group: str) -> list[TwinFacts]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(*_COLUMNS)
            .where(ACTIVITIES.c.logical_group == group, ~ACTIVITIES.c.deleted)
            .order_by(ACTIVITIES.c.id)
        ).all()
    return [_facts(row) for row in rows]


def alone_ids(engine: Engine, athlete_id: int, source: str, since: datetime) -> list[int]:
    """Ids of the athlete's not-deleted activities from `source` since `since` with no twin group, oldest first:
    ids only, so a first sync over years of history reads no raw payloads here."""
    stmt = (
        sa.select(ACTIVITIES.c.id)
        .where(
            ACTIVITIES.c.athlete_id == athlete_id,
            ACTIVITIES.c.source == source,
            ACTIVITIES.c.logical_group.is_(None),
            ~ACTIVITIES.c.deleted,
            ACTIVITIES.c.start_utc >= since.astimezone(UTC),
        )
        .order_by(ACTIVITIES.c.start_utc, ACTIVITIES.c.id)
    )
    with engine.connect() as conn:
        return [int(i) for i in conn.execute(stmt).scalars()]


def set_group(engine: Engine, activity_ids: Sequence[int], group: str | None) -> None:
    """Put the activities in one logical group (None takes them out). Does not touch `content_hash`/`updated_at`:
    grouping is our bookkeeping, not a change of the platform's data."""
    with engine.begin() as conn:
        conn.execute(sa.update(ACTIVITIES).where(ACTIVITIES.c.id.in_(list(activity_ids))).values(logical_group=group))
