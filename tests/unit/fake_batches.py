"""The batch annotation repository (`syncd.ports.AnnotationBatchRepository`) in memory, over a MemoryStore.

The same answers as the database's `AnnotationBatches` (syncd/adapters/db/annotation_queries.py and
annotation_writes.py): deleted activities are left out of every listing but still loaded and annotated, the
current annotation is the newest one, a stale mark is the STALE rules version on it, and a chunk's save is all or
nothing. It keeps no state of its own: what it writes goes into the store's dicts, which the fake unit of work
copies and puts back, so a save in a block left without a commit is gone as in the database.
"""

from __future__ import annotations

import pickle
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

from syncd.adapters.db.annotation_queries import STALE
from syncd.adapters.db.errors import NotFoundError
from syncd.domain.history import HistoryRow
from syncd.domain.model import Source, Streams
from syncd.domain.streams_state import streams_pending
from syncd.records import LoadedActivity, NewAnnotation, PackedStreams, note_to_queue

if TYPE_CHECKING:
    from tests.unit.fakes import MemoryStore, _Row


def _unpack(blob: bytes) -> Streams:
    """The fake's packed streams are pickled: exactly the streams stored (module level: a worker can run it)."""
    streams = pickle.loads(blob)  # the fake's own bytes, never from outside
    assert isinstance(streams, Streams)
    return streams


@dataclass(frozen=True)
class MemoryAnnotationBatches:
    """AnnotationBatchRepository over `store` (the store itself, or the one a fake unit of work hands out)."""

    store: MemoryStore

    def _live(self, athlete_id: int, since: datetime | None = None) -> list[_Row]:
        """The athlete's not-deleted activities that started at or after `since`, oldest first (start, id)."""
        rows = [
            row
            for row in self.store.rows.values()
            if row.athlete_id == athlete_id and not row.deleted and (since is None or row.activity.start_utc >= since)
        ]
        return sorted(rows, key=lambda row: (row.activity.start_utc, row.id))

    def _version(self, activity_id: int) -> str | None:
        latest = self.store.latest_annotation(activity_id)
        return None if latest is None else latest.rules_version

    def load(self, ids: Sequence[int]) -> dict[int, LoadedActivity]:
        loaded = {}
        for activity_id in ids:
            row = self.store.rows.get(activity_id)
            if row is None:
                continue
            streams = row.activity.streams
            packed = None if streams is None else PackedStreams(pickle.dumps(streams), _unpack)
            activity = replace(row.activity, streams=None)
            loaded[activity_id] = LoadedActivity(row.id, row.athlete_id, row.logical_group, activity, packed)
        return loaded

    def history_rows(self, athlete_id: int, start: datetime, end: datetime) -> list[HistoryRow]:
        return self.store.history_rows(athlete_id, start, end)

    def count_activities(self, athlete_id: int, since: datetime | None = None) -> int:
        return len(self._live(athlete_id, since))

    def stale_ids(
        self, athlete_id: int, version: str, since: datetime | None = None, *, before: datetime | None = None
    ) -> list[int]:
        """Never annotated, or annotated under another version (a stale mark too); `before`: started before it."""
        return [
            row.id
            for row in self._live(athlete_id, since)
            if (before is None or row.activity.start_utc < before) and self._version(row.id) != version
        ]

    def awaiting_streams_ids(self, athlete_id: int, source: str, *, before: datetime) -> list[int]:
        """Runs from `source` before `before`, stored without streams whose samples the platform still has."""
        rows = [
            row
            for row in self._live(athlete_id)
            if row.activity.source.value == source
            and row.activity.start_utc < before
            and row.activity.streams is None
            and streams_pending(Source(source), row.activity.sport, has_streams=False, extra=row.activity.extra)
        ]
        return [row.id for row in reversed(rows)]  # newest first

    def marked_stale_ids(self, athlete_id: int) -> list[int]:
        return [row.id for row in self._live(athlete_id) if self._version(row.id) == STALE]

    def mark_stale_between(self, athlete_id: int, after: datetime, until: datetime) -> int:
        """The current annotation of each annotated activity that started in (after, until] marked STALE; how
        many there are (those already marked count too, as in the database)."""
        marked = 0
        for row in self._live(athlete_id):
            history = self.store.annotations.get(row.id)
            if not history or not after < row.activity.start_utc <= until:
                continue
            history[-1] = replace(history[-1], rules_version=STALE)
            marked += 1
        return marked

    def unqueued_notes(self, athlete_id: int, since: datetime) -> list[tuple[int, str]]:
        """(id, note as written to the platform) of annotated activities with a note that no outbox item names."""
        queued = {item.activity_id for item in self.store.outbox_items.values()}
        notes = []
        for row in self._live(athlete_id, since):
            latest = self.store.latest_annotation(row.id)
            if latest is not None and latest.note is not None and row.id not in queued:
                notes.append((row.id, str(latest.written_note)))
        return notes

    def save(self, items: Sequence[NewAnnotation], *, now: datetime) -> list[bool]:
        """All or nothing: an unknown activity refuses the whole chunk before anything is written; then each item
        appended unless equal to its activity's newest (an earlier item of the chunk included), every mark
        cleared, and each written note queued for its `write_back_to`."""
        store = self.store
        for item in items:
            if item.activity_id not in store.rows:
                raise NotFoundError(f"no activity with id {item.activity_id}: re-run `syncd sync` or `syncd import`")
        for item in items:
            store.rows[item.activity_id].needs_annotation = False
        written, before = [], []
        for item in items:
            previous = store.latest_annotation(item.activity_id)
            before.append(None if previous is None else previous.written_note)
            written.append(
                store.append_annotation(
                    item.activity_id, item.rules_version, item.flags, item.note, item.platform_note, now
                )
            )
        for item, changed, previous_note in zip(items, written, before, strict=True):
            note = note_to_queue(item.written_note, previous_note)
            for provider in item.write_back_to if changed and note is not None else ():
                store.enqueue_writeback(item.activity_id, provider, note)
        return written
