"""Read-only queries behind the web feed: one page of activities with their latest annotation and write-backs.

A page costs a fixed number of queries whatever its size and depth: the page's ids, the pager's total and the sport
menu come from the feed index in memory (feed_index.py: kept up to date from what changed, never a full scan after
a change, no OFFSET), then the page's activities, their latest annotations and their outbox rows: no query per card.
Activities are ordered newest first on (start_utc, id). Filtering by flag uses `activity_flags` (the current
annotation's codes), never the annotations' JSON.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy import Connection, Engine

from syncd.adapters.db.errors import NotFoundError
from syncd.adapters.db.mapping import flags_from_json
from syncd.adapters.db.models import ActivityRow, AnnotationRow, AthleteRow, OutboxRow, StreamsRow
from syncd.domain.model import Source, Sport
from syncd.domain.streams_state import streams_pending
from syncd.records import FeedFilter, FeedPage, FeedRow, WriteBack

MAX_PER_PAGE = 200


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
    ActivityRow.extra,  # with the streams row: whether the run's samples are still on its platform
)


def _live(columns: Sequence[Any]) -> sa.Select[Any]:
    stmt = sa.select(*columns).select_from(ActivityRow).join(AthleteRow, AthleteRow.id == ActivityRow.athlete_id)
    return stmt.where(~ActivityRow.deleted)


def feed_page(engine: Engine, feed_filter: FeedFilter, *, page: int = 1, per_page: int = 50) -> FeedPage:
    """Page `page` (1-based) of the filtered feed, newest first, with a total for the pager (cached until the
    data changes: counting 100,000 rows on every request is what made page 1 slow)."""
    page = max(page, 1)
    per_page = min(max(per_page, 1), MAX_PER_PAGE)
    from syncd.adapters.db import feed_index  # numpy: for the web feed, not for every command that opens a Store

    with engine.connect() as conn:
        index = feed_index.current(conn)
        ids = index.page_ids(feed_filter, (page - 1) * per_page, per_page)
        found = conn.execute(_live(_COLUMNS).where(ActivityRow.id.in_(ids))).all() if ids else []
        place = {activity_id: n for n, activity_id in enumerate(ids)}
        rows = sorted(found, key=lambda row: place[int(row.id)])
        items = _decorate(conn, rows)
    return FeedPage(rows=items, total=index.count(feed_filter), page=page, per_page=per_page)


def data_version(conn: Connection) -> tuple[Any, ...]:
    """Changes whenever anything the feed's counts and menus depend on changes, for the price of five index
    lookups: a new activity or annotation (max ids), an edit or deletion (newest updated_at), an athlete or an
    account (with its activities) removed."""
    from syncd.adapters.db.feed_index import read_version

    return tuple(read_version(conn))


class _VersionedCache:
    """Per-database answers that stay valid while `data_version` is unchanged (shared by the web app's threads;
    every worker process checks the version against the database itself, so no cross-process invalidation)."""

    def __init__(self, size: int = 256) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._values: OrderedDict[tuple[Any, ...], tuple[tuple[Any, ...], Any]] = OrderedDict()

    def get[T](self, conn: Connection, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
        full = (id(conn.engine), *key)
        version = data_version(conn)
        with self._lock:
            found = self._values.get(full)
            if found is not None and found[0] == version:
                self._values.move_to_end(full)
                return cast(T, found[1])
        value = compute()
        with self._lock:
            self._values[full] = (version, value)
            self._values.move_to_end(full)
            while len(self._values) > self._size:
                self._values.popitem(last=False)
        return value


_CACHE = _VersionedCache()


def cached[T](engine: Engine, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
    """`compute()`'s answer, recomputed only when the database's `data_version` changed (for derived views such
    as the feed's weekly strip; `key` must hold everything else the answer depends on)."""
    with engine.connect() as conn:
        return _CACHE.get(conn, key, compute)


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
    """Attach latest annotations, write-back states and which have streams: three IN queries for the page."""
    ids = [int(row.id) for row in rows]
    annotations: dict[int, Any] = {}
    outbox: dict[int, list[WriteBack]] = {}
    streamed: set[int] = set()
    if ids:
        has_streams = sa.select(StreamsRow.activity_id).where(StreamsRow.activity_id.in_(ids))
        streamed = {int(i) for i in conn.execute(has_streams).scalars()}
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
                awaiting_streams=streams_pending(
                    Source(row.source), Sport(row.sport), has_streams=int(row.id) in streamed, extra=row.extra or {}
                ),
            )
        )
    return result


_ROW_KEYS = tuple(column.key for column in _COLUMNS if column.key not in ("private", "extra"))


def sports_in_use(engine: Engine, athlete_id: int | None = None) -> list[str]:
    """Distinct sports (for the filter menu), from the feed index."""
    from syncd.adapters.db import feed_index

    with engine.connect() as conn:
        return feed_index.current(conn).sports_in_use(athlete_id)


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
