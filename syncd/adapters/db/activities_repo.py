"""Activities and their streams: upserts by platform id, reads, history, cross-platform twins."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import ColumnElement, Connection

from syncd.adapters.db import identity as identity_queries
from syncd.adapters.db.base_repo import RepoBase, _aware
from syncd.adapters.db.errors import NotFoundError, RowRefusedError, refusal
from syncd.adapters.db.mapping import (
    AnyRow,
    activity_from_row,
    activity_values,
    content_hash,
    to_json_value,
)
from syncd.adapters.db.models import ActivityRow, StreamsRow
from syncd.domain.history import HistoryRow
from syncd.domain.model import Activity, Streams
from syncd.records import InputWarning, StoredActivity, SyncFailure, TwinFacts, UpsertResult

_BATCH = 500


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
            "sync_failure": sa.null(),
        }
        if needs_annotation:
            row_values["needs_annotation"] = True
        with self._engine.begin() as conn:
            existing = conn.execute(
                sa.select(
                    ActivityRow.id,
                    ActivityRow.content_hash,
                    ActivityRow.athlete_id,
                    ActivityRow.deleted,
                    ActivityRow.sync_failure,
                )
                .where(ActivityRow.source == activity.source.value, ActivityRow.external_id == activity.external_id)
                .with_for_update()
            ).first()
            created = False
            if existing is None:
                activity_id, created = self._insert_activity(conn, activity, {**row_values, "created_at": now})
            else:
                activity_id = int(existing.id)
                same = existing.content_hash == digest and existing.athlete_id == athlete_id
                if same and not existing.deleted and existing.sync_failure is None:
                    return UpsertResult(activity_id, created=False, changed=False)
            if not created:
                conn.execute(
                    sa.update(ActivityRow).where(ActivityRow.id == activity_id).values(**row_values, deleted=False)
                )
            if packed is not None and activity.streams is not None:
                self._put_streams(conn, activity_id, compress_packed(packed), len(activity.streams))
        return UpsertResult(activity_id, created=created, changed=True)

    def _insert_activity(self, conn: Connection, activity: Activity, values: dict[str, Any]) -> tuple[int, bool]:
        """(id, created): the new row's, or the one another worker inserted a moment ago."""
        inserted = conn.execute(
            self._insert(ActivityRow)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["source", "external_id"])
            .returning(ActivityRow.id)
        ).scalar()
        if inserted is not None:
            return int(inserted), True
        found = conn.execute(
            sa.select(ActivityRow.id)
            .where(ActivityRow.source == activity.source.value, ActivityRow.external_id == activity.external_id)
            .with_for_update()
        ).scalar_one()
        return int(found), False

    def _put_streams(self, conn: Connection, activity_id: int, blob: bytes, samples: int) -> None:
        from syncd.adapters.db.codec import FORMAT_VERSION

        values = {"format_version": FORMAT_VERSION, "samples": samples, "data": blob}
        stmt = self._insert(StreamsRow).values(activity_id=activity_id, **values)
        conn.execute(stmt.on_conflict_do_update(index_elements=["activity_id"], set_=values))

    def record_sync_failure(self, activity_id: int, failure: SyncFailure) -> None:
        """The detail fetch's bad payload and backoff, in its own column (the payload and content stay)."""
        value = {"attempts": failure.attempts, "retry_at": failure.retry_at.isoformat(), "error": failure.error}
        with self._engine.begin() as conn:
            conn.execute(sa.update(ActivityRow).where(ActivityRow.id == activity_id).values(sync_failure=value))

    def set_input_warning(self, activity_id: int, kind: str, message: str | None) -> None:
        """One warning per kind and activity (None clears it); no write when nothing changes."""
        with self._engine.begin() as conn:
            current = conn.execute(
                sa.select(ActivityRow.input_warnings).where(ActivityRow.id == activity_id).with_for_update()
            ).scalar()
            warnings = dict(current or {})
            if warnings.get(kind) == message:
                return
            if message is None:
                warnings.pop(kind, None)
            else:
                warnings[kind] = message
            value: Any = warnings if warnings else sa.null()
            conn.execute(sa.update(ActivityRow).where(ActivityRow.id == activity_id).values(input_warnings=value))

    def input_warnings(self, *, limit: int = 20) -> list[InputWarning]:
        """The newest activities' warnings first (not deleted ones)."""
        with self._engine.connect() as conn:
            rows = conn.execute(
                sa.select(
                    ActivityRow.id,
                    ActivityRow.athlete_id,
                    ActivityRow.source,
                    ActivityRow.external_id,
                    ActivityRow.start_utc,
                    ActivityRow.input_warnings,
                )
                .where(ActivityRow.input_warnings.is_not(None), ~ActivityRow.deleted)
                .order_by(ActivityRow.start_utc.desc(), ActivityRow.id.desc())
                .limit(limit)
            ).all()
        return [
            InputWarning(int(r.id), int(r.athlete_id), r.source, r.external_id, r.start_utc, str(kind), str(text))
            for r in rows
            for kind, text in sorted(dict(r.input_warnings or {}).items())
        ]

    def mark_deleted(self, source: str, external_id: str) -> bool:
        """Soft-delete (the platform deleted it): kept for the audit trail, left out of history and listings."""
        with self._engine.begin() as conn:
            result = conn.execute(
                sa.update(ActivityRow)
                .where(ActivityRow.source == source, ActivityRow.external_id == external_id, ~ActivityRow.deleted)
                .values(deleted=True, updated_at=self._now())
            )
        return bool(result.rowcount)

    def get_activity(self, activity_id: int, *, with_streams: bool = True) -> StoredActivity:
        with self._engine.connect() as conn:
            row = conn.execute(sa.select(ActivityRow.__table__).where(ActivityRow.id == activity_id)).first()
            if row is None:
                raise NotFoundError(f"no activity with id {activity_id}: re-run `syncd sync` or `syncd import`")
            streams = self._streams_for(conn, [activity_id]).get(activity_id) if with_streams else None
        return _stored(row, streams)

    def find_activity_id(self, source: str, external_id: str) -> int | None:
        with self._engine.connect() as conn:
            found = conn.execute(
                sa.select(ActivityRow.id).where(ActivityRow.source == source, ActivityRow.external_id == external_id)
            ).scalar()
        return None if found is None else int(found)

    def platform_ids_since(self, athlete_id: int, source: str, since: datetime) -> list[tuple[str, datetime]]:
        """(external id, start) of the athlete's activities from `source` since `since` (ids and starts only)."""
        from syncd.adapters.db.poll_queries import platform_ids_since

        return list(platform_ids_since(self._engine, athlete_id, source, since))

    def iter_activities(
        self, *, athlete_id: int | None = None, since: datetime | None = None, with_streams: bool = False
    ) -> Iterator[StoredActivity]:
        """Not-deleted activities, oldest first, fetched in batches (keyset paging, no long-open cursor)."""
        conditions: list[ColumnElement[bool]] = [~ActivityRow.deleted]
        if athlete_id is not None:
            conditions.append(ActivityRow.athlete_id == athlete_id)
        if since is not None:
            conditions.append(ActivityRow.start_utc >= _aware(since, "since"))
        after: tuple[datetime, int] | None = None
        while True:
            page = list(conditions)
            if after is not None:
                page.append(sa.tuple_(ActivityRow.start_utc, ActivityRow.id) > sa.tuple_(*after))
            with self._engine.connect() as conn:
                rows = conn.execute(
                    sa.select(ActivityRow.__table__)
                    .where(*page)
                    .order_by(ActivityRow.start_utc, ActivityRow.id)
                    .limit(_BATCH)
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
            sa.select(StreamsRow.activity_id, StreamsRow.data).where(StreamsRow.activity_id.in_(ids))
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
