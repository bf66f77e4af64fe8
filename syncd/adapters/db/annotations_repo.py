"""Annotations: each activity's results, appended only when they change, queued for write-back in one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from syncd.adapters.db.base_repo import RepoBase
from syncd.adapters.db.errors import NotFoundError, StoreError
from syncd.adapters.db.flag_index import replace_current_flags
from syncd.adapters.db.mapping import flags_from_json, flags_to_json, to_json_value
from syncd.adapters.db.models import ACTIVITIES, ANNOTATIONS
from syncd.domain.flags import Flag
from syncd.records import AnnotationRecord, note_to_queue


class AnnotationRepo(RepoBase):
    """The annotations table, for the Store."""

    def save_annotation(
        self,
        activity_id: int,
        rules_version: str,
        flags: Sequence[Flag],
        note: str | None,
        *,
        write_back_to: Sequence[str] = (),
        platform_note: str | None = None,
    ) -> bool:
        """Store a new annotation unless it equals the latest one; True when something was written.

        A changed annotation with a note is queued for each platform in `write_back_to` in the same transaction:
        a crash never leaves a current annotation whose note was not queued. `platform_note` (when it differs from
        `note`) is the text that goes to the platform.
        """
        flags_json = flags_to_json(flags)
        with self._engine.begin() as conn:
            # Lock the activity so two workers annotating it at once do not both append the same result.
            locked = conn.execute(
                sa.select(ACTIVITIES.c.id).where(ACTIVITIES.c.id == activity_id).with_for_update()
            ).first()
            if locked is None:
                raise NotFoundError(f"no activity with id {activity_id}: re-run `syncd sync` or `syncd import`")
            conn.execute(  # annotated: the sync pass's mark goes with it, in the same transaction
                sa.update(ACTIVITIES)
                .where(ACTIVITIES.c.id == activity_id, ACTIVITIES.c.needs_annotation)
                .values(needs_annotation=False)
            )
            previous = _latest_result(conn, activity_id)
            if previous == (rules_version, flags_json, note, platform_note):
                return False
            conn.execute(
                sa.insert(ANNOTATIONS).values(
                    activity_id=activity_id,
                    rules_version=rules_version,
                    flags=flags_json,
                    note=note,
                    platform_note=platform_note,
                    created_at=self._now(),
                )
            )
            replace_current_flags(conn, {activity_id: [flag.code.value for flag in flags]})
            before = None if previous is None else (previous[2] if previous[3] is None else previous[3])
            written = note_to_queue(note if platform_note is None else platform_note, before)
            for provider in write_back_to:
                if written is not None and self._enqueue(conn, activity_id, provider, written) is None:
                    raise StoreError(
                        f"could not queue write-back for activity {activity_id}: too much contention; retry later"
                    )
        return True

    def latest_annotation(self, activity_id: int) -> AnnotationRecord | None:
        with self._engine.connect() as conn:
            row = conn.execute(
                sa.select(ANNOTATIONS)
                .where(ANNOTATIONS.c.activity_id == activity_id)
                .order_by(ANNOTATIONS.c.id.desc())
                .limit(1)
            ).first()
        return None if row is None else _record(row)

    def latest_annotations(self, activity_ids: Sequence[int]) -> dict[int, AnnotationRecord]:
        """The current (newest) annotation of each activity that has one: two queries per 500 ids."""
        found: dict[int, AnnotationRecord] = {}
        ids = list(activity_ids)
        with self._engine.connect() as conn:
            for start in range(0, len(ids), _CHUNK):
                newest = (
                    sa.select(sa.func.max(ANNOTATIONS.c.id))
                    .where(ANNOTATIONS.c.activity_id.in_(ids[start : start + _CHUNK]))
                    .group_by(ANNOTATIONS.c.activity_id)
                )
                rows = conn.execute(sa.select(ANNOTATIONS).where(ANNOTATIONS.c.id.in_(newest))).all()
                found.update((int(row.activity_id), _record(row)) for row in rows)
        return found


_CHUNK = 500


def _record(row: Any) -> AnnotationRecord:
    return AnnotationRecord(
        id=int(row.id),
        activity_id=int(row.activity_id),
        rules_version=row.rules_version,
        flags=flags_from_json(row.flags),
        note=row.note,
        created_at=row.created_at,
        platform_note=row.platform_note,
    )


def _latest_result(conn: Connection, activity_id: int) -> tuple[str, Any, str | None, str | None] | None:
    """The activity's current annotation as (version, flags, note, platform note), or None."""
    latest = conn.execute(
        sa.select(ANNOTATIONS.c.rules_version, ANNOTATIONS.c.flags, ANNOTATIONS.c.note, ANNOTATIONS.c.platform_note)
        .where(ANNOTATIONS.c.activity_id == activity_id)
        .order_by(ANNOTATIONS.c.id.desc())
        .limit(1)
    ).first()
    if latest is None:
        return None
    return (latest.rules_version, to_json_value(latest.flags), latest.note, latest.platform_note)
