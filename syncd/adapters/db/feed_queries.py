"""Read-only queries behind the web feed: one page of activities with their latest annotation and write-backs.

A page costs a fixed number of queries whatever its size and depth: the page's ids, the pager's total and the sport
menu come from the feed index in memory (feed_index.py: kept up to date from what changed, never a full scan after
a change, no OFFSET), then the page's activities, their latest annotations and their outbox rows: no query per card.
Activities are ordered newest first on (start_utc, id). Filtering by flag uses `activity_flags` (the current
annotation's codes), never the annotations' JSON.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy import Connection, Engine

from syncd.adapters.db.errors import NotFoundError
from syncd.adapters.db.mapping import flags_from_json
from syncd.adapters.db.models import ACTIVITIES, ANNOTATIONS, ATHLETES, OUTBOX, STREAMS
from syncd.domain.flags import Flag
from syncd.domain.model import Source, Sport
from syncd.domain.streams_state import streams_pending
from syncd.lru import Lru
from syncd.records import FeedCursor, FeedFilter, FeedPage, FeedRow, WriteBack

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


def feed_page(
    engine: Engine, feed_filter: FeedFilter, *, page: int = 1, per_page: int = 50, before: FeedCursor | None = None
) -> FeedPage:
    """Page `page` (1-based) of the filtered feed, newest first, or the page of rows older than `before`, with a
    total for the pager and the cursors of the pages either side. Both are positions in the feed index (a slice
    or a binary search, at any depth): no OFFSET, no count over the table."""
    page = max(page, 1)
    per_page = min(max(per_page, 1), MAX_PER_PAGE)
    from syncd.adapters.db import feed_index  # numpy: for the web feed, not for every command that opens a Store

    with engine.connect() as conn:
        index = feed_index.current(conn)
        offset = (page - 1) * per_page if before is None else index.start_of(feed_filter, before)
        ids = index.page_ids(feed_filter, offset, per_page)
        found = conn.execute(_PAGE_ROWS, {"ids": ids}).all() if ids else []
        place = {activity_id: n for n, activity_id in enumerate(ids)}
        rows = sorted(found, key=lambda row: place[int(row.id)])
        items = _decorate(conn, rows)
    total = index.count(feed_filter)
    return FeedPage(
        rows=items,
        total=total,
        page=offset // per_page + 1,
        per_page=per_page,
        offset=offset,
        older=index.cursor_at(feed_filter, offset + len(ids) - 1) if ids and offset + len(ids) < total else None,
        newer=index.cursor_at(feed_filter, offset - per_page - 1) if 0 < offset - per_page <= total else None,
    )


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
        row = conn.execute(_PAGE_ROWS, {"ids": [activity_id]}).first()
        if row is None:
            raise NotFoundError(f"no activity with id {activity_id}")
        return _decorate(conn, [row])[0]


_IDS: sa.BindParameter[list[int]] = sa.bindparam("ids", expanding=True)
# Built once (constructing a statement costs about as much as running one of these for a page of 50).
_PAGE_ROWS = (
    sa.select(*_COLUMNS)
    .join(ATHLETES, ATHLETES.c.id == ACTIVITIES.c.athlete_id)
    .where(ACTIVITIES.c.id.in_(_IDS), ~ACTIVITIES.c.deleted)
)
_LATEST = sa.select(
    ANNOTATIONS.c.activity_id,
    sa.cast(ANNOTATIONS.c.flags, sa.Text).label("flags"),  # the text: decoded once per distinct value (_flags)
    ANNOTATIONS.c.note,
    ANNOTATIONS.c.rules_version,
    ANNOTATIONS.c.created_at,
).where(
    ANNOTATIONS.c.id.in_(
        sa.select(sa.func.max(ANNOTATIONS.c.id))
        .where(ANNOTATIONS.c.activity_id.in_(_IDS))
        .group_by(ANNOTATIONS.c.activity_id)
    )
)
_OUTBOX = (
    sa.select(OUTBOX.c.activity_id, OUTBOX.c.provider, OUTBOX.c.status, OUTBOX.c.attempts, OUTBOX.c.updated_at)
    .where(OUTBOX.c.activity_id.in_(_IDS))
    .order_by(OUTBOX.c.id)
)
# Platform runs without a streams row: with their `extra`, whether their samples are still on the platform only
# (by id only: a `source IN (...)` here made SQLite walk the source index, 18 ms a page at 100k; streams_pending
# tells the platforms apart)
_NO_STREAMS = sa.select(ACTIVITIES.c.id, ACTIVITIES.c.source, ACTIVITIES.c.sport, ACTIVITIES.c.extra).where(
    ACTIVITIES.c.id.in_(_IDS),
    ~sa.exists().where(STREAMS.c.activity_id == ACTIVITIES.c.id),
)
_PRIVATE = len(_COLUMNS) - 1
_NAMES = tuple(column.key for column in _COLUMNS[:_PRIVATE])
if [c.key for c in _COLUMNS] != [f.name for f in dataclasses.fields(FeedRow)][: len(_COLUMNS)]:
    raise RuntimeError("feed_queries._COLUMNS must list FeedRow's first fields in order")


def _decorate(conn: Connection, rows: Sequence[Any]) -> list[FeedRow]:
    """Attach latest annotations, write-back states and which runs wait for streams: three IN queries a page."""
    ids = [int(row.id) for row in rows]
    annotations: dict[int, tuple[Any, ...]] = {}
    outbox: dict[int, list[WriteBack]] = {}
    pending: set[int] = set()
    if ids:
        for found in conn.execute(_LATEST, {"ids": ids}):
            annotations[int(found[0])] = tuple(found)[1:]
        pending = {
            int(found.id)
            for found in conn.execute(_NO_STREAMS, {"ids": ids})
            if streams_pending(Source(found.source), Sport(found.sport), has_streams=False, extra=found.extra or {})
        }
        for item in conn.execute(_OUTBOX, {"ids": ids}):
            per_provider = outbox.setdefault(int(item.activity_id), [])
            # The newest item per provider wins: it carries the newest note.
            per_provider[:] = [w for w in per_provider if w.provider != item.provider]
            per_provider.append(WriteBack(item.provider, item.status, int(item.attempts), item.updated_at))
    result: list[FeedRow] = []
    for row in rows:
        values = tuple(row)
        ann, writebacks = annotations.get(values[0]), tuple(outbox.get(values[0], ()))
        waiting = values[0] in pending
        key = (values, ann, writebacks, waiting)
        result.append(_ROWS.get(key, functools.partial(_feed_row, values, ann, writebacks, waiting)))
    return result


def _feed_row(
    values: tuple[Any, ...], ann: tuple[Any, ...] | None, writebacks: tuple[WriteBack, ...], waiting: bool
) -> FeedRow:
    return FeedRow(
        **dict(zip(_NAMES, values, strict=False)),  # _COLUMNS are FeedRow's first fields, in order
        private=bool(values[_PRIVATE]),
        flags=None if ann is None else _flags(ann[0]),
        note=None if ann is None else ann[1],
        rules_version=None if ann is None else ann[2],
        annotated_at=None if ann is None else ann[3],
        writebacks=writebacks,
        flags_json=None if ann is None else ann[0],
        awaiting_streams=waiting,
    )


# Rows keyed by every value read for them (a frozen dataclass of 24 fields costs ~8 µs to build, 50 per page).
_ROWS: Lru[tuple[Any, ...], FeedRow] = Lru(2048)
_FLAGS: Lru[str, tuple[Flag, ...]] = Lru(4096)


def _flags(text: str) -> tuple[Flag, ...]:
    """Stored flags decoded once per distinct text (a page shows a handful of distinct flag sets, decoded anew
    on every request before)."""
    return _FLAGS.get(text, lambda: flags_from_json(json.loads(text)))


def sports_in_use(engine: Engine, athlete_id: int | None = None) -> list[str]:
    """Distinct sports (for the filter menu), from the feed index."""
    from syncd.adapters.db import feed_index

    with engine.connect() as conn:
        return feed_index.current(conn).sports_in_use(athlete_id)


_LATEST_START = (  # built once: constructing it cost more than running it
    sa.select(ACTIVITIES.c.start_utc)
    .where(ACTIVITIES.c.athlete_id == sa.bindparam("athlete"), ~ACTIVITIES.c.deleted)
    .order_by(ACTIVITIES.c.start_utc.desc())
    .limit(1)
)


def latest_start(engine: Engine, athlete_id: int) -> datetime | None:
    """The newest activity's start (the weekly strip ends at that week)."""
    with engine.connect() as conn:
        value: datetime | None = conn.execute(_LATEST_START, {"athlete": athlete_id}).scalar()
    return value
