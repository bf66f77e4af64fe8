"""Activities and their streams: upserts by platform id, reads, history, cross-platform twins."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy import ColumnElement, Connection

from syncd.adapters.db import identity as identity_queries
from syncd.adapters.db import status_reads
from syncd.adapters.db.base_repo import RepoBase, _aware
from syncd.adapters.db.errors import NotFoundError, RowRefusedError, refusal
from syncd.adapters.db.mapping import (
    AnyRow,
    activity_from_row,
    activity_values,
    content_hash,
    to_json_value,
)
from syncd.adapters.db.models import ACTIVITIES, STREAMS
from syncd.adapters.db.reads import raw_reader
from syncd.domain.history import HistoryRow
from syncd.domain.model import Activity, Streams
from syncd.records import InputWarning, StoredActivity, SyncFailure, TwinFacts, UpsertResult

_BATCH = 500


@dataclass(frozen=True)
class _UpsertStatements:
    """The statements of an activity upsert, built once per dialect and run with parameters: building them with
    the values inside cost more CPU than the database itself (SQLAlchemy coerced and cache-keyed every value
    of every row; issue 32)."""

    find: sa.Select[Any]
    insert: Any
    update: sa.Update
    streams: Any


_FIND_ID = sa.select(ACTIVITIES.c.id).where(
    ACTIVITIES.c.source == sa.bindparam("k_source"), ACTIVITIES.c.external_id == sa.bindparam("k_external_id")
)  # asked once per imported file (is it stored already?): built once, like the upsert's statements


@lru_cache(maxsize=4)
def _upsert_statements(insert: Callable[[sa.Table], Any]) -> _UpsertStatements:
    """`insert`: the dialect's insert (SQLite's or PostgreSQL's, for ON CONFLICT)."""
    table, streams = ACTIVITIES, STREAMS
    streams_insert = insert(streams)
    return _UpsertStatements(
        find=sa.select(table.c.id, table.c.content_hash, table.c.athlete_id, table.c.deleted, table.c.sync_failure)
        .where(table.c.source == sa.bindparam("k_source"), table.c.external_id == sa.bindparam("k_external_id"))
        .with_for_update(),
        insert=insert(table).on_conflict_do_nothing(index_elements=["source", "external_id"]).returning(table.c.id),
        # content stored clears the last fetch failure (SQL NULL, not JSON null: set in the statement)
        update=sa.update(table).where(table.c.id == sa.bindparam("k_id")).values(sync_failure=sa.null()),
        streams=streams_insert.on_conflict_do_update(
            index_elements=["activity_id"],
            set_={name: streams_insert.excluded[name] for name in ("format_version", "samples", "data")},
        ),
    )


class ActivityRepo(RepoBase):
    """The activities and streams tables, for the Store."""

    def upsert_activity(
        self, athlete_id: int, activity: Activity, raw: Mapping[str, object], *, needs_annotation: bool = False
    ) -> UpsertResult:
        """Insert or update by (source, external_id) in one write; identical content writes nothing.

        `activity.streams` None leaves any stored streams in place (a summary-only sync must not drop the
        detail fetched earlier); otherwise the streams row is replaced. `raw` is stored as given; the sync state
        sits in its own columns: content stored clears `sync_failure`, `needs_annotation` sets the mark (cleared
        when the annotation is saved).
        """
        try:
            return self._upsert_activity(athlete_id, activity, raw, needs_annotation)
        except (RowRefusedError, sa.exc.StatementError, OverflowError, UnicodeError) as exc:  # engine.no_row_contents
            if isinstance(exc, sa.exc.DBAPIError) and not isinstance(exc, sa.exc.DataError):
                raise  # the database itself (down, locked): not this row's fault
            kind = exc.kind if isinstance(exc, RowRefusedError) else refusal(exc)
            raise RowRefusedError(
                f"the database refused activity {activity.source.value}:{activity.external_id} ({kind}); "
                "it is skipped and tried again at the next sync"
            ) from None

    def _upsert_activity(
        self, athlete_id: int, activity: Activity, raw: Mapping[str, object], needs_annotation: bool
    ) -> UpsertResult:
        from syncd.adapters.db.codec import compress_packed, pack_streams  # numpy: not for commands that only read

        values = activity_values(activity)
        raw_json: dict[str, Any] = to_json_value(dict(raw))
        packed = pack_streams(activity.streams) if activity.streams is not None else None
        digest = content_hash(values, raw_json, packed)  # before compressing: unchanged content costs no zlib
        now = self._now()
        row_values: dict[str, Any] = {
            **values,
            "athlete_id": athlete_id,
            "raw": raw_json,
            "content_hash": digest,
            "updated_at": now,
        }
        if needs_annotation:
            row_values["needs_annotation"] = True
        key = {"k_source": activity.source.value, "k_external_id": activity.external_id}
        statements = _upsert_statements(self._insert)
        with self._engine.begin() as conn:
            created = False
            existing = conn.execute(statements.find, key).first()
            if existing is None:
                inserted = conn.execute(statements.insert, {**row_values, "created_at": now}).scalar()
                if inserted is not None:
                    activity_id, created = int(inserted), True
                else:  # another worker inserted it a moment ago
                    activity_id = int(conn.execute(statements.find, key).one().id)
            else:
                activity_id = int(existing.id)
                same = existing.content_hash == digest and existing.athlete_id == athlete_id
                if same and not existing.deleted and existing.sync_failure is None:
                    return UpsertResult(activity_id, created=False, changed=False)
            if not created:
                conn.execute(statements.update, {**row_values, "deleted": False, "k_id": activity_id})
            if packed is not None and activity.streams is not None:
                self._put_streams(conn, activity_id, compress_packed(packed), len(activity.streams))
        return UpsertResult(activity_id, created=created, changed=True)

    def _insert_activity(self, conn: Connection, activity: Activity, values: dict[str, Any]) -> tuple[int, bool]:
        """(id, created): the new row's, or the one another worker inserted a moment ago."""
        inserted = conn.execute(
            self._insert(ACTIVITIES)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["source", "external_id"])
            .returning(ACTIVITIES.c.id)
        ).scalar()
        if inserted is not None:
            return int(inserted), True
        found = conn.execute(
            sa.select(ACTIVITIES.c.id)
            .where(ACTIVITIES.c.source == activity.source.value, ACTIVITIES.c.external_id == activity.external_id)
            .with_for_update()
        ).scalar_one()
        return int(found), False

    def _put_streams(self, conn: Connection, activity_id: int, blob: bytes, samples: int) -> None:
        from syncd.adapters.db.codec import FORMAT_VERSION

        values = {"activity_id": activity_id, "format_version": FORMAT_VERSION, "samples": samples, "data": blob}
        conn.execute(_upsert_statements(self._insert).streams, values)

    def record_sync_failure(self, activity_id: int, failure: SyncFailure) -> None:
        """The detail fetch's bad payload and backoff, in its own column (the payload and content stay)."""
        value = {"attempts": failure.attempts, "retry_at": failure.retry_at.isoformat(), "error": failure.error}
        with self._engine.begin() as conn:
            conn.execute(sa.update(ACTIVITIES).where(ACTIVITIES.c.id == activity_id).values(sync_failure=value))

    def set_input_warning(self, activity_id: int, kind: str, message: str | None) -> None:
        """One warning per kind and activity (None clears it); no write when nothing changes."""
        with self._engine.begin() as conn:
            current = conn.execute(
                sa.select(ACTIVITIES.c.input_warnings).where(ACTIVITIES.c.id == activity_id).with_for_update()
            ).scalar()
            warnings = dict(current or {})
            if warnings.get(kind) == message:
                return
            if message is None:
                warnings.pop(kind, None)
            else:
                warnings[kind] = message
            value: Any = warnings if warnings else sa.null()
            conn.execute(sa.update(ACTIVITIES).where(ACTIVITIES.c.id == activity_id).values(input_warnings=value))

    def input_warnings(self, *, limit: int = 20) -> list[InputWarning]:
        """The newest activities' warnings first (not deleted ones)."""
        with raw_reader(self._engine) as reader:
            return status_reads.input_warnings(reader, limit)

    def mark_deleted(self, source: str, external_id: str) -> bool:
        """Soft-delete (the platform deleted it): kept for the audit trail, left out of history and listings."""
        with self._engine.begin() as conn:
            result = conn.execute(
                sa.update(ACTIVITIES)
                .where(ACTIVITIES.c.source == source, ACTIVITIES.c.external_id == external_id, ~ACTIVITIES.c.deleted)
                .values(deleted=True, updated_at=self._now())
            )
        return bool(result.rowcount)

    def get_activity(self, activity_id: int, *, with_streams: bool = True) -> StoredActivity:
        with self._engine.connect() as conn:
            row = conn.execute(sa.select(ACTIVITIES).where(ACTIVITIES.c.id == activity_id)).first()
            if row is None:
                raise NotFoundError(f"no activity with id {activity_id}: re-run `syncd sync` or `syncd import`")
            streams = self._streams_for(conn, [activity_id]).get(activity_id) if with_streams else None
        return _stored(row, streams)

    def find_activity_id(self, source: str, external_id: str) -> int | None:
        with self._engine.connect() as conn:
            found = conn.execute(_FIND_ID, {"k_source": source, "k_external_id": external_id}).scalar()
        return None if found is None else int(found)

    def platform_ids_since(self, athlete_id: int, source: str, since: datetime) -> list[tuple[str, datetime]]:
        """(external id, start) of the athlete's activities from `source` since `since` (ids and starts only)."""
        from syncd.adapters.db.poll_queries import platform_ids_since

        return list(platform_ids_since(self._engine, athlete_id, source, since))

    def iter_activities(
        self, *, athlete_id: int | None = None, since: datetime | None = None, with_streams: bool = False
    ) -> Iterator[StoredActivity]:
        """Not-deleted activities, oldest first, fetched in batches (keyset paging, no long-open cursor)."""
        conditions: list[ColumnElement[bool]] = [~ACTIVITIES.c.deleted]
        if athlete_id is not None:
            conditions.append(ACTIVITIES.c.athlete_id == athlete_id)
        if since is not None:
            conditions.append(ACTIVITIES.c.start_utc >= _aware(since, "since"))
        after: tuple[datetime, int] | None = None
        while True:
            page = list(conditions)
            if after is not None:
                page.append(sa.tuple_(ACTIVITIES.c.start_utc, ACTIVITIES.c.id) > sa.tuple_(*after))
            with self._engine.connect() as conn:
                rows = conn.execute(
                    sa.select(ACTIVITIES).where(*page).order_by(ACTIVITIES.c.start_utc, ACTIVITIES.c.id).limit(_BATCH)
                ).all()
                streams = self._streams_for(conn, [row.id for row in rows]) if with_streams else {}
            for row in rows:
                yield _stored(row, streams.get(row.id))
            if len(rows) < _BATCH:
                return
            after = (rows[-1].start_utc, rows[-1].id)

    def _streams_for(self, conn: Connection, ids: Sequence[int]) -> dict[int, Streams]:
        from syncd.adapters.db.codec import decode_streams

        if not ids:
            return {}
        rows = conn.execute(
            sa.select(STREAMS.c.activity_id, STREAMS.c.data).where(STREAMS.c.activity_id.in_(ids))
        ).all()
        return {int(row.activity_id): decode_streams(bytes(row.data)) for row in rows}

    def history_rows(self, athlete_id: int, start: datetime, end: datetime) -> list[HistoryRow]:
        """The rows only (no streams, no raw JSON); the cut is `syncd.domain.history.History`'s."""
        from syncd.adapters.db.annotation_queries import history_rows

        return history_rows(self._engine, athlete_id, _aware(start, "start"), _aware(end, "end"))

    # ---- cross-platform twins (queries in adapters/db/identity.py) --------------------------------------------

    def twin_facts(self, activity_id: int) -> TwinFacts | None:
        return identity_queries.facts(self._engine, activity_id)

    def twins_near(
        self, athlete_id: int, start: datetime, within: timedelta, sources: Sequence[str]
    ) -> list[TwinFacts]:
        return identity_queries.nearby(self._engine, athlete_id, start, within, sources)

    def group_members(self, group: str) -> list[TwinFacts]:
        return identity_queries.members(self._engine, group)

    def set_logical_group(self, activity_ids: Sequence[int], group: str | None) -> None:
        identity_queries.set_group(self._engine, activity_ids, group)

    def alone_since(self, athlete_id: int, source: str, since: datetime) -> list[int]:
        return identity_queries.alone_ids(self._engine, athlete_id, source, since)


def _stored(row: AnyRow, streams: Streams | None) -> StoredActivity:
    return StoredActivity(
        id=int(row.id),
        athlete_id=int(row.athlete_id),
        activity=activity_from_row(row, streams),
        raw=dict(row.raw or {}),
        logical_group=row.logical_group,
        needs_annotation=bool(row.needs_annotation),
        sync_failure=_failure(row.sync_failure),
        input_warnings={str(k): str(v) for k, v in dict(row.input_warnings or {}).items()},
    )


def _failure(value: object) -> SyncFailure | None:
    if not isinstance(value, dict):
        return None
    return SyncFailure(int(value["attempts"]), datetime.fromisoformat(str(value["retry_at"])), str(value["error"]))
