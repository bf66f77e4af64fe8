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
from syncd.adapters.db.models import ACTIVITIES, ANNOTATIONS, ATHLETES, OUTBOX
from syncd.records import FeedFilter, FeedPage, FeedRow, WriteBack

MAX_PER_PAGE = 200


_COLUMNS = (
    ACTIVITIES.c.id,
    ACTIVITIES.c.athlete_id,
    ATHLETES.c.name.label("athlete_name"),
    ATHLETES.c.units.label("athlete_units"),
    ACTIVITIES.c.source,
    ACTIVITIES.c.external_id,
    ACTIVITIES.c.name,
    ACTIVITIES.c.sport,
    ACTIVITIES.c.start_utc,
    ACTIVITIES.c.start_local,
    ACTIVITIES.c.distance_m,
    ACTIVITIES.c.elapsed_s,
    ACTIVITIES.c.moving_s,
    ACTIVITIES.c.elevation_gain_m,
    ACTIVITIES.c.elevation_loss_m,
    ACTIVITIES.c.gear_id,
    ACTIVITIES.c.description,
    ACTIVITIES.c.private,
)


def _live(columns: Sequence[Any]) -> sa.Select[Any]:
    stmt = sa.select(*columns).select_from(ACTIVITIES).join(ATHLETES, ATHLETES.c.id == ACTIVITIES.c.athlete_id)
    return stmt.where(~ACTIVITIES.c.deleted)


def feed_page(engine: Engine, feed_filter: FeedFilter, *, page: int = 1, per_page: int = 50) -> FeedPage:
    """Page `page` (1-based) of the filtered feed, newest first, with a total for the pager (cached until the
    data changes: counting 100,000 rows on every request is what made page 1 slow)."""
    page = max(page, 1)
    per_page = min(max(per_page, 1), MAX_PER_PAGE)
    from syncd.adapters.db import feed_index  # numpy: for the web feed, not for every command that opens a Store

    with engine.connect() as conn:
        index = feed_index.current(conn)
        ids = index.page_ids(feed_filter, (page - 1) * per_page, per_page)
        found = conn.execute(_live(_COLUMNS).where(ACTIVITIES.c.id.in_(ids))).all() if ids else []
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
            .join(ATHLETES, ATHLETES.c.id == ACTIVITIES.c.athlete_id)
            .where(ACTIVITIES.c.id == activity_id, ~ACTIVITIES.c.deleted)
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
            sa.select(sa.func.max(ANNOTATIONS.c.id))
            .where(ANNOTATIONS.c.activity_id.in_(ids))
            .group_by(ANNOTATIONS.c.activity_id)
        )
        for found in conn.execute(
            sa.select(
                ANNOTATIONS.c.activity_id,
                ANNOTATIONS.c.flags,
                ANNOTATIONS.c.note,
                ANNOTATIONS.c.rules_version,
                ANNOTATIONS.c.created_at,
            ).where(ANNOTATIONS.c.id.in_(newest))
        ):
            annotations[int(found.activity_id)] = found
        for item in conn.execute(
            sa.select(OUTBOX.c.activity_id, OUTBOX.c.provider, OUTBOX.c.status, OUTBOX.c.attempts, OUTBOX.c.updated_at)
            .where(OUTBOX.c.activity_id.in_(ids))
            .order_by(OUTBOX.c.id)
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
    """Distinct sports (for the filter menu), from the feed index."""
    from syncd.adapters.db import feed_index

    with engine.connect() as conn:
        return feed_index.current(conn).sports_in_use(athlete_id)


def latest_start(engine: Engine, athlete_id: int) -> datetime | None:
    """The newest activity's start (the weekly strip ends at that week)."""
    with engine.connect() as conn:
        value: datetime | None = conn.execute(
            sa.select(ACTIVITIES.c.start_utc)
            .where(ACTIVITIES.c.athlete_id == athlete_id, ~ACTIVITIES.c.deleted)
            .order_by(ACTIVITIES.c.start_utc.desc())
            .limit(1)
        ).scalar()
    return value
