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
    HISTORY_COLUMNS,
    AnyRow,
    activity_from_row,
    activity_values,
    content_hash,
    history_entry,
    to_json_value,
)
from syncd.adapters.db.models import ACTIVITIES, STREAMS
from syncd.domain.history import HistoryEntry
from syncd.domain.model import Activity, Streams
from syncd.records import StoredActivity, TwinFacts, UpsertResult

_BATCH = 500


class ActivityRepo(RepoBase):
    """The activities and streams tables, for the Store."""

    def upsert_activity(self, athlete_id: int, activity: Activity, raw: Mapping[str, object]) -> UpsertResult:
        """Insert or update by (source, external_id); identical content writes nothing.

        `activity.streams` None leaves any stored streams in place (a summary-only sync must not drop the
        detail fetched earlier); otherwise the streams row is replaced.
        """
        try:
            return self._upsert_activity(athlete_id, activity, raw)
        except (RowRefusedError, sa.exc.StatementError, OverflowError, UnicodeError) as exc:  # engine.no_row_contents
            if isinstance(exc, sa.exc.DBAPIError) and not isinstance(exc, sa.exc.DataError):
                raise  # the database itself (down, locked): not this row's fault
            kind = exc.kind if isinstance(exc, RowRefusedError) else refusal(exc)
            raise RowRefusedError(
                f"the database refused activity {activity.source.value}:{activity.external_id} ({kind}); "
                "it is skipped and tried again at the next sync"
            ) from None

    def _upsert_activity(self, athlete_id: int, activity: Activity, raw: Mapping[str, object]) -> UpsertResult:
        from syncd.adapters.db.codec import compress_packed, pack_streams  # numpy: not for commands that only read

        values = activity_values(activity)
        raw_json: dict[str, Any] = to_json_value(dict(raw))
        packed = pack_streams(activity.streams) if activity.streams is not None else None
        digest = content_hash(values, raw_json, packed)  # before compressing: unchanged content costs no zlib
        now = self._now()
        row_values = {**values, "athlete_id": athlete_id, "raw": raw_json, "content_hash": digest, "updated_at": now}
        with self._engine.begin() as conn:
            created = False
            existing = conn.execute(
                sa.select(ACTIVITIES.c.id, ACTIVITIES.c.content_hash, ACTIVITIES.c.athlete_id, ACTIVITIES.c.deleted)
                .where(ACTIVITIES.c.source == activity.source.value, ACTIVITIES.c.external_id == activity.external_id)
                .with_for_update()
            ).first()
            if existing is None:
                inserted = conn.execute(
                    self._insert(ACTIVITIES)
                    .values(**row_values, created_at=now)
                    .on_conflict_do_nothing(index_elements=["source", "external_id"])
                    .returning(ACTIVITIES.c.id)
                ).scalar()
                if inserted is not None:
                    activity_id, created = int(inserted), True
                else:  # another worker inserted it a moment ago
                    activity_id = int(
                        conn.execute(
                            sa.select(ACTIVITIES.c.id)
                            .where(
                                ACTIVITIES.c.source == activity.source.value,
                                ACTIVITIES.c.external_id == activity.external_id,
                            )
                            .with_for_update()
                        ).scalar_one()
                    )
            else:
                activity_id = int(existing.id)
                if existing.content_hash == digest and existing.athlete_id == athlete_id and not existing.deleted:
                    return UpsertResult(activity_id, created=False, changed=False)
            if not created:
                conn.execute(
                    sa.update(ACTIVITIES).where(ACTIVITIES.c.id == activity_id).values(**row_values, deleted=False)
                )
            if packed is not None and activity.streams is not None:
                self._put_streams(conn, activity_id, compress_packed(packed), len(activity.streams))
        return UpsertResult(activity_id, created=created, changed=True)

    def _put_streams(self, conn: Connection, activity_id: int, blob: bytes, samples: int) -> None:
        from syncd.adapters.db.codec import FORMAT_VERSION

        values = {"format_version": FORMAT_VERSION, "samples": samples, "data": blob}
        stmt = self._insert(STREAMS).values(activity_id=activity_id, **values)
        conn.execute(stmt.on_conflict_do_update(index_elements=["activity_id"], set_=values))

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
            found = conn.execute(
                sa.select(ACTIVITIES.c.id).where(ACTIVITIES.c.source == source, ACTIVITIES.c.external_id == external_id)
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

    def history(
        self, athlete_id: int, start: datetime, end: datetime, *, exclude_id: int | None = None
    ) -> list[HistoryEntry]:
        """Summaries of the athlete's activities with start <= start_utc < end (no streams, no raw JSON).

        One run synced from two platforms (a shared `logical_group`, syncd.services.identity) appears once, and
        never when it is the twin of `exclude_id` (the activity being annotated is not its own history).
        """
        stmt = (
            sa.select(*HISTORY_COLUMNS)
            .where(
                ACTIVITIES.c.athlete_id == athlete_id,
                ~ACTIVITIES.c.deleted,
                ACTIVITIES.c.start_utc >= _aware(start, "start"),
                ACTIVITIES.c.start_utc < _aware(end, "end"),
            )
            .order_by(ACTIVITIES.c.start_utc, ACTIVITIES.c.id)
        )
        if exclude_id is not None:
            own_group = sa.select(ACTIVITIES.c.logical_group).where(ACTIVITIES.c.id == exclude_id).scalar_subquery()
            stmt = stmt.where(
                ACTIVITIES.c.id != exclude_id,
                sa.or_(
                    ACTIVITIES.c.logical_group.is_(None), ACTIVITIES.c.logical_group != sa.func.coalesce(own_group, "")
                ),
            )
        with self._engine.connect() as conn:
            rows = conn.execute(stmt).all()
        seen_groups: set[str] = set()
        unique = []
        for row in rows:
            if row.logical_group is not None:
                if row.logical_group in seen_groups:
                    continue  # the same run from the other platform: its load counts once
                seen_groups.add(row.logical_group)
            unique.append(row)
        return [history_entry(row) for row in unique]

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
    )
