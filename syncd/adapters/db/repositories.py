"""Repositories per aggregate beside the `Store` (which keeps activities, annotations, accounts and the outbox
queue): the outbox's log of finished writes, leases, digests' state, the feed's reads, map tiles. Each wraps the
engine so nothing outside `syncd/adapters/db` needs SQLAlchemy or the engine; the Store hands them out as
attributes (`store.outbox_log`, `store.account_leases`, ...).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from syncd import records
from syncd.adapters.db import (
    annotation_queries,
    annotation_writes,
    feed_queries,
    history_cache,
    leases,
    status_reads,
    writeback_log,
)
from syncd.adapters.db.models import ACCOUNTS, ACTIVITIES, DIGESTS, GEAR, MAP_TILES, OUTBOX
from syncd.adapters.db.reads import raw_reader
from syncd.domain.history import HistoryRow
from syncd.records import DigestState, PendingItem


class OutboxLog:
    """What the write-back outbox remembers about finished writes, and its depth for operators."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def was_written(self, activity_id: int, provider: str) -> bool:
        return writeback_log.was_written(self._engine, activity_id, provider)

    def record_result(self, item_id: int, worker: str, payload: Mapping[str, Any]) -> bool:
        return writeback_log.record_result(self._engine, item_id, worker, payload)

    def pending_items(
        self, *, limit: int = 1000, providers: Sequence[str] | None = None, held: Collection[int] = ()
    ) -> list[PendingItem]:
        return writeback_log.pending_items(self._engine, limit=limit, providers=providers, held=held)

    def platform_writes(self, activity_id: int) -> list[records.PlatformWrite]:
        return writeback_log.platform_writes(self._engine, activity_id)

    def done_items(self, provider: str) -> list[tuple[str, int]]:
        """(external id, outbox item id) of every write-back recorded as done for `provider`'s own activities."""
        with self._engine.connect() as conn:
            rows = conn.execute(
                sa.select(ACTIVITIES.c.external_id, OUTBOX.c.id)
                .join(ACTIVITIES, ACTIVITIES.c.id == OUTBOX.c.activity_id)
                .where(OUTBOX.c.status == "done", OUTBOX.c.provider == provider, ACTIVITIES.c.source == provider)
            ).all()
        return [(str(external_id), int(item_id)) for external_id, item_id in rows]

    def held_counts(self) -> list[dict[str, Any]]:
        with raw_reader(self._engine) as reader:
            return status_reads.held_counts(reader)

    def summary(self) -> dict[str, Any]:
        """Depth by status, the held notes per athlete, platform and reason, and the last errors (for operators;
        `syncd status`, `syncd accounts`)."""
        with raw_reader(self._engine) as reader:
            return status_reads.outbox_summary(reader)


class AccountLeases:
    """Accounts and their leases beyond claiming (which the Store does): release, make due, last sync, unlink."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def take_over_dead_workers(self) -> dict[str, int]:
        """Release the leases of workers that died on this host (kill -9, OOM); {worker: leases released}."""
        return leases.take_over_dead_workers(self._engine)

    def release_worker(self, worker: str) -> int:
        """Give back every account and write-back `worker` still holds; how many were released."""
        return leases.release_accounts_and_writebacks(self._engine, worker)

    def mark_due(self, provider: str, external_id: str, now: datetime | None = None) -> bool:
        """Make one linked account due by `now` (default: now), never later than it already was; False when there
        is no such account in state ok."""
        column = ACCOUNTS.c.next_due_at
        due = sa.literal(now or datetime.now(UTC), type_=column.type)  # the column's type: naive UTC on SQLite
        with self._engine.begin() as conn:
            result = conn.execute(
                sa.update(ACCOUNTS)
                .where(ACCOUNTS.c.provider == provider, ACCOUNTS.c.external_id == external_id, ACCOUNTS.c.state == "ok")
                .values(next_due_at=sa.case((sa.or_(column.is_(None), column > due), due), else_=column))
            )
        return bool(result.rowcount)

    def last_synced(self) -> dict[int, datetime]:
        """When each account's row last changed: the end of its last sync (or a token refresh/re-link)."""
        with raw_reader(self._engine) as reader:
            return status_reads.last_synced(reader)

    def delete_account(self, account_id: int, *, gear_providers: Sequence[str]) -> tuple[int, str, int] | None:
        """Delete the account and its athlete's activities from that provider (and the athlete's gear when the
        provider is one of `gear_providers`); (athlete id, provider, activities deleted), None if no such account."""
        with self._engine.begin() as conn:
            row = conn.execute(
                sa.select(ACCOUNTS.c.athlete_id, ACCOUNTS.c.provider).where(ACCOUNTS.c.id == account_id)
            ).first()
            if row is None:
                return None
            athlete_id, provider = int(row.athlete_id), str(row.provider)
            deleted = conn.execute(
                sa.delete(ACTIVITIES).where(ACTIVITIES.c.athlete_id == athlete_id, ACTIVITIES.c.source == provider)
            ).rowcount
            if provider in gear_providers:
                conn.execute(sa.delete(GEAR).where(GEAR.c.athlete_id == athlete_id))
            conn.execute(sa.delete(ACCOUNTS).where(ACCOUNTS.c.id == account_id))
        return athlete_id, provider, int(deleted or 0)


class DigestLog:
    """The digests' rows as the retry gate and operators see them (claims and sends are the Store's)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def state(self, athlete_id: int, week: str) -> DigestState | None:
        with self._engine.connect() as conn:
            row = conn.execute(
                sa.select(DIGESTS.c.status, DIGESTS.c.attempts, DIGESTS.c.lease_expires_at, DIGESTS.c.last_error).where(
                    DIGESTS.c.athlete_id == athlete_id, DIGESTS.c.week == week
                )
            ).first()
        if row is None:
            return None
        return DigestState(str(row.status), int(row.attempts), row.lease_expires_at, row.last_error)

    def failures(self, limit: int = 20) -> list[dict[str, Any]]:
        with raw_reader(self._engine) as reader:
            return status_reads.digest_failures(reader, limit)

    def sent_count(self) -> int:
        with raw_reader(self._engine) as reader:
            return status_reads.digest_sent_count(reader)


class ActivityReads:
    """Read-only views over the activities: the feed's pages and cards, and the athlete's latest time zone."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def feed_page(
        self,
        feed_filter: records.FeedFilter,
        *,
        page: int = 1,
        per_page: int = 50,
        before: records.FeedCursor | None = None,
    ) -> records.FeedPage:
        return feed_queries.feed_page(self._engine, feed_filter, page=page, per_page=per_page, before=before)

    def feed_item(self, activity_id: int) -> records.FeedRow:
        return feed_queries.feed_item(self._engine, activity_id)

    def sports_in_use(self, athlete_id: int | None = None) -> list[str]:
        return feed_queries.sports_in_use(self._engine, athlete_id)

    def latest_start(self, athlete_id: int) -> datetime | None:
        return feed_queries.latest_start(self._engine, athlete_id)

    def cached[T](self, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
        """`compute()`'s answer, recomputed only when the data changed (derived views such as the weekly strip)."""
        return feed_queries.cached(self._engine, key, compute)

    def history_rows(self, athlete_id: int, start: datetime, end: datetime) -> list[HistoryRow]:
        """The Store's history rows, read whole only where they changed since the feed last read them (the
        strip and the session cards reread the same weeks after every change)."""
        return history_cache.history_rows(self._engine, athlete_id, start, end)

    def recent_appearances(self, athlete_id: int, since: datetime) -> list[tuple[datetime, float, int]]:
        """(start_utc, elapsed seconds, utc offset) of the athlete's activities since `since` (adaptive polling)."""
        with raw_reader(self._engine) as reader:
            return status_reads.recent_appearances(reader, athlete_id, since)

    def latest_zone(self, athlete_id: int) -> tuple[str | None, int | None]:
        """The time zone name of the newest of the athlete's last `_ZONE_LOOKBACK` activities that has one, and the
        newest activity's offset. Every feed page asks it (the strip's weeks end in the athlete's zone), so it is
        cached until the data changes and reads an index range, never every activity: with no zone recorded at all,
        "the newest that has one" walked 100,000 rows, 60 ms a page."""
        return self.cached(("latest_zone", athlete_id), functools.partial(_latest_zone, self._engine, athlete_id))


_ZONE_LOOKBACK = 200  # a zone recorded only before the last 200 activities is too old to trust: the offset rules


_ATHLETE: sa.BindParameter[int] = sa.bindparam("athlete")
_LIVE = (ACTIVITIES.c.athlete_id == _ATHLETE, ~ACTIVITIES.c.deleted)
_NEWEST_FIRST = (ACTIVITIES.c.start_utc.desc(), ACTIVITIES.c.id.desc())
_RECENT = (
    sa.select(ACTIVITIES.c.timezone, ACTIVITIES.c.start_utc, ACTIVITIES.c.id)
    .where(*_LIVE)
    .order_by(*_NEWEST_FIRST)
    .limit(_ZONE_LOOKBACK)
    .subquery()
)
# Built once, answered in the database (one row back, not 200): it runs on the first page after every change.
_LATEST_ZONE = sa.select(
    sa.select(_RECENT.c.timezone)
    .where(_RECENT.c.timezone.is_not(None))
    .order_by(_RECENT.c.start_utc.desc(), _RECENT.c.id.desc())
    .limit(1)
    .scalar_subquery(),
    sa.select(ACTIVITIES.c.utc_offset_s).where(*_LIVE).order_by(*_NEWEST_FIRST).limit(1).scalar_subquery(),
)


def _latest_zone(engine: Engine, athlete_id: int) -> tuple[str | None, int | None]:
    with engine.connect() as conn:
        name, offset = conn.execute(_LATEST_ZONE, {"athlete": athlete_id}).one()
    return (None if name is None else str(name)), (None if offset is None else int(offset))


class MapTiles:
    """Surface-map answers cached per tile: opaque bytes keyed by (source, tile), with when they were fetched."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def get(self, source: str, tile: str) -> tuple[datetime, bytes] | None:
        with self._engine.connect() as conn:
            row = conn.execute(
                sa.select(MAP_TILES.c.fetched_at, MAP_TILES.c.data).where(
                    MAP_TILES.c.source == source, MAP_TILES.c.tile == tile
                )
            ).first()
        if row is None:
            return None
        fetched_at = row.fetched_at if row.fetched_at.tzinfo else row.fetched_at.replace(tzinfo=UTC)
        return fetched_at, bytes(row.data)

    def put(self, source: str, tile: str, data: bytes, fetched_at: datetime) -> None:
        try:
            with self._engine.begin() as conn:
                conn.execute(sa.delete(MAP_TILES).where(MAP_TILES.c.source == source, MAP_TILES.c.tile == tile))
                conn.execute(sa.insert(MAP_TILES).values(source=source, tile=tile, fetched_at=fetched_at, data=data))
        except IntegrityError:
            pass  # another worker stored the same tile at the same moment


class AnnotationBatches:
    """Batch annotation's reads and writes: activities with streams without raw JSON, ordered history rows, the
    stale ones, and a chunk's annotations saved (with their notes queued) in one transaction."""

    def __init__(self, engine: Engine, enqueue: annotation_writes.Enqueue) -> None:
        self._engine = engine
        self._enqueue = enqueue

    def load(self, ids: Sequence[int]) -> dict[int, records.LoadedActivity]:
        return annotation_queries.load_for_annotation(self._engine, ids)

    def history_rows(self, athlete_id: int, start: datetime, end: datetime) -> list[HistoryRow]:
        return annotation_queries.history_rows(self._engine, athlete_id, start, end)

    def count_activities(self, athlete_id: int, since: datetime | None = None) -> int:
        return annotation_queries.count_activities(self._engine, athlete_id, since)

    def stale_ids(
        self, athlete_id: int, version: str, since: datetime | None = None, *, before: datetime | None = None
    ) -> list[int]:
        return annotation_queries.stale_activity_ids(self._engine, athlete_id, version, since, before)

    def awaiting_streams_ids(self, athlete_id: int, source: str, *, before: datetime) -> list[int]:
        with raw_reader(self._engine) as reader:
            return status_reads.awaiting_streams_ids(reader, athlete_id, source, before)

    def mark_stale_between(self, athlete_id: int, after: datetime, until: datetime) -> int:
        return annotation_writes.mark_stale_between(self._engine, athlete_id, after, until)

    def marked_stale_ids(self, athlete_id: int) -> list[int]:
        return annotation_queries.marked_stale_ids(self._engine, athlete_id)

    def unqueued_notes(self, athlete_id: int, since: datetime) -> list[tuple[int, str]]:
        return annotation_queries.unqueued_notes(self._engine, athlete_id, since)

    def save(self, items: Sequence[records.NewAnnotation], *, now: datetime) -> list[bool]:
        """Each changed annotation written, its note queued for its `write_back_to` in the same transaction."""
        return annotation_writes.save_annotations(self._engine, items, now=now, enqueue=self._enqueue)
