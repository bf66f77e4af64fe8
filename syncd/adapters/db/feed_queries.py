"""Read-only queries behind the web feed: one page of activities with their latest annotation and write-backs.

A page costs a fixed number of queries whatever its size (count, page of activities, their latest annotations,
their outbox rows): no query per card. Activities are ordered newest first on (start_utc, id), which the existing
indexes `ix_activities_start` and `ix_activities_athlete_start` serve. Filtering by flag needs the latest annotation
of each activity; it is matched with JSONB containment on PostgreSQL and `json_each` on SQLite.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import ColumnElement, Connection, Engine
from sqlalchemy.dialects.postgresql import JSONB

from syncd.adapters.db.errors import NotFoundError
from syncd.adapters.db.mapping import flags_from_json
from syncd.adapters.db.models import ActivityRow, AnnotationRow, AthleteRow, OutboxRow
from syncd.domain.flags import Flag

MAX_PER_PAGE = 200


@dataclass(frozen=True, slots=True)
class FeedFilter:
    """What to show; None means "any". `week` is an ISO week ("2026-W47") of the athlete's local calendar."""

    athlete_id: int | None = None
    flag: str | None = None
    sport: str | None = None
    week: date | None = None  # the Monday of the week
    annotated_only: bool = False
    unannotated_only: bool = False  # activities the rules have not run on (every non-run, new runs)


@dataclass(frozen=True, slots=True)
class WriteBack:
    provider: str
    status: str
    attempts: int
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class FeedRow:
    """One activity as the feed shows it (no streams, no raw JSON: those stay behind the activity page)."""

    id: int
    athlete_id: int
    athlete_name: str
    athlete_units: str
    source: str
    external_id: str
    name: str
    sport: str
    start_utc: datetime
    start_local: datetime
    distance_m: float | None
    elapsed_s: float | None
    moving_s: float | None
    elevation_gain_m: float | None
    elevation_loss_m: float | None
    gear_id: str | None
    description: str | None
    private: bool
    flags: tuple[Flag, ...] | None  # None: not annotated yet
    note: str | None
    rules_version: str | None
    annotated_at: datetime | None
    writebacks: tuple[WriteBack, ...] = field(default_factory=tuple)

    @property
    def duration_s(self) -> float | None:
        return self.moving_s if self.moving_s is not None else self.elapsed_s


@dataclass(frozen=True, slots=True)
class FeedPage:
    rows: list[FeedRow]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


_COLUMNS = (
    ActivityRow.id,
    ActivityRow.athlete_id,
    AthleteRow.name.label("athlete_name"),
    AthleteRow.units.label("athlete_units"),
    ActivityRow.source,
    ActivityRow.external_id,
    ActivityRow.name,
    ActivityRow.sport,
    ActivityRow.start_utc,
    ActivityRow.start_local,
    ActivityRow.distance_m,
    ActivityRow.elapsed_s,
    ActivityRow.moving_s,
    ActivityRow.elevation_gain_m,
    ActivityRow.elevation_loss_m,
    ActivityRow.gear_id,
    ActivityRow.description,
    ActivityRow.private,
)


def _latest_ids() -> Any:
    """Subquery: the newest annotation id of each activity (annotations are append-only)."""
    return (
        sa.select(AnnotationRow.activity_id, sa.func.max(AnnotationRow.id).label("annotation_id"))
        .group_by(AnnotationRow.activity_id)
        .subquery("latest")
    )


def _has_flag(engine: Engine, flags: Any, code: str) -> ColumnElement[bool]:
    if engine.dialect.name == "postgresql":
        return sa.type_coerce(flags, JSONB).contains([{"code": code}])
    each = sa.func.json_each(flags).table_valued("value").alias("flag_each")
    return sa.exists(sa.select(1).select_from(each).where(sa.func.json_extract(each.c.value, "$.code") == code))


def _conditions(engine: Engine, feed_filter: FeedFilter) -> tuple[list[ColumnElement[bool]], bool]:
    """WHERE conditions and whether the query must join the latest annotation."""
    conditions: list[ColumnElement[bool]] = [~ActivityRow.deleted]
    if feed_filter.athlete_id is not None:
        conditions.append(ActivityRow.athlete_id == feed_filter.athlete_id)
    if feed_filter.sport is not None:
        conditions.append(ActivityRow.sport == feed_filter.sport)
    if feed_filter.week is not None:
        monday = datetime.combine(feed_filter.week, datetime.min.time())
        conditions.append(ActivityRow.start_local >= monday)
        conditions.append(ActivityRow.start_local < monday + timedelta(days=7))
    if feed_filter.unannotated_only:
        conditions.append(~sa.exists(sa.select(AnnotationRow.id).where(AnnotationRow.activity_id == ActivityRow.id)))
    needs_join = feed_filter.flag is not None or feed_filter.annotated_only
    return conditions, needs_join


def _base(engine: Engine, feed_filter: FeedFilter, columns: Sequence[Any]) -> sa.Select[Any]:
    conditions, needs_join = _conditions(engine, feed_filter)
    stmt = sa.select(*columns).select_from(ActivityRow).join(AthleteRow, AthleteRow.id == ActivityRow.athlete_id)
    if needs_join:
        latest = _latest_ids()
        stmt = stmt.join(latest, latest.c.activity_id == ActivityRow.id)
        if feed_filter.flag is not None:
            annotation = sa.orm.aliased(AnnotationRow, name="flag_annotation")
            stmt = stmt.join(annotation, annotation.id == latest.c.annotation_id)
            conditions.append(_has_flag(engine, annotation.flags, feed_filter.flag))
    return stmt.where(*conditions)


def feed_page(engine: Engine, feed_filter: FeedFilter, *, page: int = 1, per_page: int = 50) -> FeedPage:
    """Page `page` (1-based) of the filtered feed, newest first, with a total for the pager."""
    page = max(page, 1)
    per_page = min(max(per_page, 1), MAX_PER_PAGE)
    with engine.connect() as conn:
        total = int(conn.execute(_base(engine, feed_filter, [sa.func.count()])).scalar_one())
        rows = conn.execute(
            _base(engine, feed_filter, _COLUMNS)
            .order_by(ActivityRow.start_utc.desc(), ActivityRow.id.desc())
            .limit(per_page)
            .offset((page - 1) * per_page)
        ).all()
        items = _decorate(conn, rows)
    return FeedPage(rows=items, total=total, page=page, per_page=per_page)


def feed_item(engine: Engine, activity_id: int) -> FeedRow:
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(*_COLUMNS)
            .join(AthleteRow, AthleteRow.id == ActivityRow.athlete_id)
            .where(ActivityRow.id == activity_id, ~ActivityRow.deleted)
        ).first()
        if row is None:
            raise NotFoundError(f"no activity with id {activity_id}")
        return _decorate(conn, [row])[0]


def _decorate(conn: Connection, rows: Sequence[Any]) -> list[FeedRow]:
    """Attach latest annotations and write-back states: two IN queries for the whole page."""
    ids = [int(row.id) for row in rows]
    annotations: dict[int, Any] = {}
    outbox: dict[int, list[WriteBack]] = {}
    if ids:
        newest = (
            sa.select(sa.func.max(AnnotationRow.id))
            .where(AnnotationRow.activity_id.in_(ids))
            .group_by(AnnotationRow.activity_id)
        )
        for found in conn.execute(
            sa.select(
                AnnotationRow.activity_id,
                AnnotationRow.flags,
                AnnotationRow.note,
                AnnotationRow.rules_version,
                AnnotationRow.created_at,
            ).where(AnnotationRow.id.in_(newest))
        ):
            annotations[int(found.activity_id)] = found
        for item in conn.execute(
            sa.select(
                OutboxRow.activity_id, OutboxRow.provider, OutboxRow.status, OutboxRow.attempts, OutboxRow.updated_at
            )
            .where(OutboxRow.activity_id.in_(ids))
            .order_by(OutboxRow.id)
        ):
            per_provider = outbox.setdefault(int(item.activity_id), [])
            # The newest item per provider wins: it carries the newest note.
            per_provider[:] = [w for w in per_provider if w.provider != item.provider]
            per_provider.append(WriteBack(item.provider, item.status, int(item.attempts), item.updated_at))
    result: list[FeedRow] = []
    for row in rows:
        ann = annotations.get(int(row.id))
        result.append(
            FeedRow(
                **{key: getattr(row, key) for key in _ROW_KEYS},
                private=bool(row.private),
                flags=None if ann is None else flags_from_json(ann.flags),
                note=None if ann is None else ann.note,
                rules_version=None if ann is None else ann.rules_version,
                annotated_at=None if ann is None else ann.created_at,
                writebacks=tuple(outbox.get(int(row.id), ())),
            )
        )
    return result


_ROW_KEYS = tuple(column.key for column in _COLUMNS if column.key != "private")


def sports_in_use(engine: Engine, athlete_id: int | None = None) -> list[str]:
    """Distinct sports (for the filter menu)."""
    stmt = sa.select(ActivityRow.sport).where(~ActivityRow.deleted).distinct().order_by(ActivityRow.sport)
    if athlete_id is not None:
        stmt = stmt.where(ActivityRow.athlete_id == athlete_id)
    with engine.connect() as conn:
        return [str(sport) for sport in conn.execute(stmt).scalars()]


def latest_start(engine: Engine, athlete_id: int) -> datetime | None:
    """The newest activity's start (the weekly strip ends at that week)."""
    with engine.connect() as conn:
        value: datetime | None = conn.execute(
            sa.select(ActivityRow.start_utc)
            .where(ActivityRow.athlete_id == athlete_id, ~ActivityRow.deleted)
            .order_by(ActivityRow.start_utc.desc())
            .limit(1)
        ).scalar()
    return value
