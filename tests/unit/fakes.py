"""In-memory fakes of the ports (syncd.ports), so the use cases run in milliseconds without a database or a server.

They are small working implementations, not mocks: `MemoryStore` keeps activities, annotations, the outbox and
twins in dicts with the semantics the database adapter documents (its batch paths are `fake_batches.py`'s);
`ListSource` serves activities from a dict and can be told to fail a fetch with any exception. tests/contract runs
one suite against these fakes, SQLite and PostgreSQL: where a fake is looser than the database, the fake is wrong.
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np

from syncd.adapters.db.annotation_queries import STALE
from syncd.adapters.db.base_repo import _settled
from syncd.adapters.db.errors import NotFoundError
from syncd.adapters.db.pain_repository import slot_for
from syncd.adapters.payload import PayloadError
from syncd.domain.flags import Flag
from syncd.domain.history import HistoryRow, summarize
from syncd.domain.model import RUN_SPORTS, Activity, Gear, Source, Sport, Streams
from syncd.domain.pain import PainEntry, PainSource
from syncd.ports import FetchedActivity, RemoteDescription, SourceSummary
from syncd.records import (
    AccountRecord,
    AnnotationRecord,
    AthleteRecord,
    HeldItem,
    OutboxItem,
    PendingItem,
    StoredActivity,
    SyncFailure,
    TwinFacts,
    UpsertResult,
    note_to_queue,
)
from syncd.services.annotating import BatchRepositories
from syncd.services.sync_pipeline import SyncRepositories
from syncd.services.writeback import DrainRepositories
from tests.unit.fake_batches import MemoryAnnotationBatches


@dataclass
class _Row:
    id: int
    athlete_id: int
    activity: Activity
    raw: dict[str, object]
    logical_group: str | None = None
    deleted: bool = False
    needs_annotation: bool = False
    sync_failure: SyncFailure | None = None
    warnings: dict[str, str] = field(default_factory=dict)
    content: object = None  # what the database's content hash covers: same content, no write


def _content(athlete_id: int, activity: Activity, raw: Mapping[str, object]) -> object:
    """The upsert's content as the database hashes it: the model, the raw payload and the streams given (None
    when the upsert keeps the stored ones, which the database counts as different content too)."""
    streams = activity.streams
    samples = None if streams is None else tuple(
        None if (column := getattr(streams, name)) is None else np.asarray(column).tobytes()
        for name in streams.CHANNELS
    )  # fmt: skip
    return (athlete_id, replace(activity, streams=None), repr(sorted(dict(raw).items())), samples)


_UNIT_ATHLETE = AthleteRecord(1, "a1", "Ada", None, "metric", None, False)  # the unit tests' store starts with it


@dataclass
class MemoryStore:
    """The store ports (what `sync_repositories` hands the sync pipeline) in memory."""

    clock: Any = None
    rows: dict[int, _Row] = field(default_factory=dict)
    annotations: dict[int, list[AnnotationRecord]] = field(default_factory=dict)
    outbox_items: dict[int, OutboxItem] = field(default_factory=dict)  # the one outbox: MemoryOutbox drains it
    outbox_status: dict[int, str] = field(default_factory=dict)
    outbox_results: dict[int, dict[str, Any]] = field(default_factory=dict)
    outbox_due: dict[int, datetime] = field(default_factory=dict)  # a pending item's next attempt
    gear: dict[tuple[int, str], Gear] = field(default_factory=dict)
    athletes: dict[int, AthleteRecord] = field(default_factory=lambda: {1: _UNIT_ATHLETE})
    writes: int = 0

    def _now(self) -> datetime:
        return self.clock.now() if self.clock is not None else datetime.now(UTC)

    # athletes
    def ensure_athlete(
        self, key: str, *, name: str = "", timezone_name: str | None = None, units: str = "metric"
    ) -> int:
        for record in self.athletes.values():
            if record.key == key:
                return record.id
        athlete_id = len(self.athletes) + 1
        self.athletes[athlete_id] = AthleteRecord(athlete_id, key, name, timezone_name, units, None, False)
        return athlete_id

    def get_athlete(self, athlete_id: int) -> AthleteRecord:
        """Like the database: only athletes that exist (the unit tests' store starts with athlete 1)."""
        record = self.athletes.get(athlete_id)
        if record is None:
            raise NotFoundError(f"no athlete with id {athlete_id}: list athletes with `syncd status`")
        return record

    # activities
    def upsert_activity(
        self, athlete_id: int, activity: Activity, raw: Mapping[str, object], *, needs_annotation: bool = False
    ) -> UpsertResult:
        if athlete_id not in self.athletes:  # the database's foreign key refuses it
            raise NotFoundError(f"no athlete with id {athlete_id}: list athletes with `syncd status`")
        content = _content(athlete_id, activity, raw)
        existing = self.find_activity_id(activity.source.value, activity.external_id)
        if existing is None:
            new_id = len(self.rows) + 1
            self.rows[new_id] = _Row(
                new_id, athlete_id, activity, dict(raw), needs_annotation=needs_annotation, content=content
            )
            self.writes += 1
            return UpsertResult(new_id, created=True, changed=True)
        row = self.rows[existing]
        if row.content == content and not row.deleted and row.sync_failure is None:
            return UpsertResult(existing, created=False, changed=False)
        streams = activity.streams if activity.streams is not None else row.activity.streams
        row.activity, row.raw, row.deleted, row.athlete_id = (
            replace(activity, streams=streams),
            dict(raw),
            False,
            athlete_id,
        )
        row.sync_failure, row.content = None, content
        row.needs_annotation = row.needs_annotation or needs_annotation
        self.writes += 1
        return UpsertResult(existing, created=False, changed=True)

    def record_sync_failure(self, activity_id: int, failure: SyncFailure) -> None:
        self.rows[activity_id].sync_failure = failure

    def set_input_warning(self, activity_id: int, kind: str, message: str | None) -> None:
        warnings = self.rows[activity_id].warnings
        if message is None:
            warnings.pop(kind, None)
        else:
            warnings[kind] = message

    def mark_deleted(self, source: str, external_id: str) -> bool:
        found = self.find_activity_id(source, external_id)
        if found is None or self.rows[found].deleted:
            return False
        self.rows[found].deleted = True
        return True

    def get_activity(self, activity_id: int, *, with_streams: bool = True) -> StoredActivity:
        row = self.rows.get(activity_id)
        if row is None:
            raise NotFoundError(f"no activity with id {activity_id}: re-run `syncd sync` or `syncd import`")
        activity = row.activity if with_streams else replace(row.activity, streams=None)
        return StoredActivity(
            row.id,
            row.athlete_id,
            activity,
            dict(row.raw),
            row.logical_group,
            row.needs_annotation,
            row.sync_failure,
            dict(row.warnings),
        )

    def find_activity_id(self, source: str, external_id: str) -> int | None:
        for row in self.rows.values():
            if row.activity.source.value == source and row.activity.external_id == external_id:
                return row.id
        return None

    def iter_activities(
        self, *, athlete_id: int | None = None, since: datetime | None = None, with_streams: bool = False
    ) -> Iterator[StoredActivity]:
        rows = [
            r
            for r in self.rows.values()
            if not r.deleted
            and (athlete_id is None or r.athlete_id == athlete_id)
            and (since is None or r.activity.start_utc >= since)
        ]
        for row in sorted(rows, key=lambda r: (r.activity.start_utc, r.id)):
            yield self.get_activity(row.id, with_streams=with_streams)

    def platform_ids_since(self, athlete_id: int, source: str, since: datetime) -> list[tuple[str, datetime]]:
        return [
            (s.activity.external_id, s.activity.start_utc)
            for s in self.iter_activities(athlete_id=athlete_id, since=since)
            if s.activity.source.value == source
        ]

    def history_rows(self, athlete_id: int, start: datetime, end: datetime) -> list[HistoryRow]:
        return [
            HistoryRow(stored.id, stored.logical_group, summarize(stored.activity))
            for stored in self.iter_activities(athlete_id=athlete_id, since=start)
            if stored.activity.start_utc < end
        ]

    def upsert_gear(self, athlete_id: int, gear: Gear) -> None:
        """Like the database: a platform without per-shoe limits (None) keeps the limit the athlete set."""
        old = self.gear.get((athlete_id, gear.gear_id))
        limit = gear.limit_m if gear.limit_m is not None or old is None else old.limit_m
        self.gear[(athlete_id, gear.gear_id)] = replace(gear, limit_m=limit)

    def set_gear_limit(self, athlete_id: int, gear_id: str, limit_m: float | None) -> bool:
        old = self.gear.get((athlete_id, gear_id))
        if old is not None:
            self.gear[(athlete_id, gear_id)] = replace(old, limit_m=limit_m)
        return old is not None

    def list_gear(self, athlete_id: int) -> list[Gear]:
        return [g for (owner, _), g in sorted(self.gear.items()) if owner == athlete_id]

    def get_gear(self, athlete_id: int, gear_id: str) -> Gear | None:
        return self.gear.get((athlete_id, gear_id))

    def gear_distance_after(self, athlete_id: int, gear_id: str, after: datetime) -> float:
        groups: set[str] = set()
        total = 0.0
        for row in self.rows.values():
            a = row.activity
            if row.deleted or row.athlete_id != athlete_id or a.gear_id != gear_id or a.start_utc <= after:
                continue
            if row.logical_group is not None:
                if row.logical_group in groups:
                    continue
                groups.add(row.logical_group)
            total += a.distance_m or 0.0
        return total

    # twins
    def _facts(self, row: _Row) -> TwinFacts:
        a = row.activity
        return TwinFacts(
            row.id, row.athlete_id, a.source.value, a.external_id, a.sport.value, a.start_utc, a.distance_m,
            a.duration_s, row.logical_group,
        )  # fmt: skip

    def twin_facts(self, activity_id: int) -> TwinFacts | None:
        row = self.rows.get(activity_id)
        return None if row is None or row.deleted else self._facts(row)

    def twins_near(
        self, athlete_id: int, start: datetime, within: timedelta, sources: Sequence[str]
    ) -> list[TwinFacts]:
        rows = [
            r
            for r in self.rows.values()
            if not r.deleted
            and r.athlete_id == athlete_id
            and r.activity.source.value in sources
            and abs(r.activity.start_utc - start) <= within
        ]
        return [self._facts(r) for r in sorted(rows, key=lambda r: (r.activity.start_utc, r.id))]  # as the database

    def group_members(self, group: str) -> list[TwinFacts]:
        rows = [r for r in self.rows.values() if r.logical_group == group and not r.deleted]
        return [self._facts(r) for r in sorted(rows, key=lambda r: r.id)]

    def set_logical_group(self, activity_ids: Sequence[int], group: str | None) -> None:
        for activity_id in activity_ids:
            self.rows[activity_id].logical_group = group

    def alone_since(self, athlete_id: int, source: str, since: datetime) -> list[int]:
        rows = [
            r
            for r in self.rows.values()
            if not r.deleted
            and r.athlete_id == athlete_id
            and r.activity.source.value == source
            and r.logical_group is None
            and r.activity.start_utc >= since
        ]
        return [r.id for r in sorted(rows, key=lambda r: (r.activity.start_utc, r.id))]

    # annotations and the outbox
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
        self.get_activity(activity_id, with_streams=False)  # NotFoundError, like the database
        self.rows[activity_id].needs_annotation = False
        before = self.latest_annotation(activity_id)
        if not self.append_annotation(activity_id, rules_version, flags, note, platform_note, self._now()):
            return False
        written_note = note_to_queue(
            note if platform_note is None else platform_note, None if before is None else before.written_note
        )
        for provider in write_back_to:
            if written_note is not None:
                self.enqueue_writeback(activity_id, provider, written_note)
        return True

    def append_annotation(
        self,
        activity_id: int,
        rules_version: str,
        flags: Sequence[Flag],
        note: str | None,
        platform_note: str | None,
        at: datetime,
    ) -> bool:
        """Append the annotation unless it equals the activity's newest (what `save_annotation` and the batch
        save share); True when appended."""
        history = self.annotations.setdefault(activity_id, [])
        last = history[-1] if history else None
        if last is not None and (last.rules_version, last.flags, last.note, last.platform_note) == (
            rules_version,
            tuple(flags),
            note,
            platform_note,
        ):
            return False
        history.append(
            AnnotationRecord(len(history) + 1, activity_id, rules_version, tuple(flags), note, at, platform_note)
        )
        return True

    def latest_annotation(self, activity_id: int) -> AnnotationRecord | None:
        history = self.annotations.get(activity_id)
        return history[-1] if history else None

    def enqueue_writeback(self, activity_id: int, provider: str, note: str) -> int:
        """Like the database: the pending item of (activity, provider) takes the new note and keeps its id; a note
        equal to the one a finished write left on the platform is not queued again."""
        mine = [i for i in self.outbox_items.values() if (i.activity_id, i.provider) == (activity_id, provider)]
        for item in mine:
            if self.outbox_status[item.id] in ("pending", "held"):  # a held one goes back to the queue
                self.outbox_items[item.id] = replace(item, note=note)
                self.outbox_status[item.id], self.outbox_due[item.id] = "pending", self._now()
                return item.id
        last = mine[-1] if mine else None
        done = last is not None and self.outbox_status[last.id] == "done" and last.note == note
        if last is not None and done and _settled(self.outbox_results.get(last.id)):
            return last.id
        item_id = len(self.outbox_items) + 1
        now = self._now()
        self.outbox_items[item_id] = OutboxItem(item_id, activity_id, provider, note, 0, "", now, None)
        self.outbox_status[item_id], self.outbox_due[item_id] = "pending", now
        return item_id

    def unit_of_work(self) -> MemoryUnitOfWork:
        return MemoryUnitOfWork(self)

    @property
    def annotation_batches(self) -> MemoryAnnotationBatches:
        """The batch paths over this store (`store.annotation_batches`, as the database Store has them)."""
        return MemoryAnnotationBatches(self)

    def now(self) -> datetime:
        """The store's clock (what it stamps rows with)."""
        return self._now()

    def list_athletes(self) -> list[AthleteRecord]:
        return [self.athletes[athlete_id] for athlete_id in sorted(self.athletes)]

    @property
    def outbox(self) -> list[tuple[int, str, str]]:
        """(activity id, provider, note) of the pending items, oldest first."""
        return [
            (i.activity_id, i.provider, i.note)
            for i in self.outbox_items.values()
            if self.outbox_status[i.id] == "pending"
        ]


@dataclass
class FixedClock:
    """A clock that stays at `at` (what a test's store stamps its rows with)."""

    at: datetime

    def now(self) -> datetime:
        return self.at


def account_record(athlete_id: int = 1, cursor: str | None = None, provider: str = "strava") -> AccountRecord:
    now = datetime(2026, 11, 23, tzinfo=UTC)
    return AccountRecord(1, athlete_id, provider, "ext", True, "ok", None, cursor, now, None, None)


account = account_record


def run_streams(minutes: float = 40.0) -> Streams:
    """A steady flat run: one sample a second, 3 m/s."""
    t = np.arange(0.0, minutes * 60.0, 1.0)
    return Streams(time_s=t, distance_m=t * 3.0, speed_mps=np.full_like(t, 3.0))


@dataclass
class ListSource:
    """A source of activities held in a dict; `failures[ext_id]` are raised, one per fetch, before succeeding."""

    source: Source = Source.STRAVA
    activities: dict[str, Activity] = field(default_factory=dict)
    failures: dict[str, list[Exception]] = field(default_factory=dict)
    list_error: Exception | None = None
    fetches: list[str] = field(default_factory=list)
    deletes_missing: bool = True

    @property
    def provider(self) -> str:
        return self.source.value

    def add_run(self, ext_id: str, start: datetime, *, sport: Sport = Sport.RUN, name: str = "Run") -> Activity:
        activity = Activity(
            self.source, ext_id, sport, sport.value, start, name=name, distance_m=7200.0, moving_s=2400.0,
            elapsed_s=2400.0, streams=run_streams(),
        )  # fmt: skip
        self.activities[ext_id] = activity
        return activity

    def list_pages(self, after: datetime) -> Iterator[Sequence[Mapping[str, Any]]]:
        if self.list_error is not None:
            raise self.list_error
        listed = sorted((a for a in self.activities.values() if a.start_utc > after), key=lambda a: a.start_utc)
        yield [{"id": a.external_id, "name": a.name, "sport": a.sport.value} for a in listed]

    def read_summary(self, payload: Mapping[str, Any]) -> SourceSummary:
        activity = self.activities.get(str(payload["id"]))
        if activity is None:
            raise PayloadError(f"unknown activity {payload['id']}")
        return SourceSummary(activity.external_id, replace(activity, streams=None), payload)

    def is_changed(self, payload: Mapping[str, Any], stored_raw: Mapping[str, Any]) -> bool:
        return stored_raw.get("summary") != dict(payload)

    def has_detail(self, stored_raw: Mapping[str, Any]) -> bool:
        return isinstance(stored_raw.get("detail"), dict)

    def summary_record(
        self, payload: Mapping[str, Any], stored_raw: Mapping[str, Any]
    ) -> tuple[Activity, Mapping[str, Any]]:
        activity = self.activities[str(payload["id"])]
        return replace(activity, streams=None), {"summary": dict(payload), "detail": stored_raw.get("detail")}

    def fetch(self, summary: SourceSummary, known_streams: Streams | None) -> FetchedActivity:
        self.fetches.append(summary.external_id)
        pending = self.failures.get(summary.external_id)
        if pending:
            raise pending.pop(0)
        activity = self.activities[summary.external_id]
        return FetchedActivity(activity, {"summary": dict(summary.payload), "detail": {"name": activity.name}})


_NOT_STATE = ("clock", "activities")  # what a unit of work does not copy: the clock, the diary's store


class MemoryUnitOfWork:
    """The unit of work port in memory: the repositories are the store (and the diary) itself, and a `with` block
    keeps a copy of their state from its start (or its last commit) that a rollback, an exception or leaving
    without a commit puts back, so uncommitted writes are really gone, as in the database."""

    def __init__(self, store: MemoryStore, diary: MemoryPainDiary | None = None) -> None:
        self._store, self._diary = store, diary
        self._saved: list[dict[str, Any]] | None = None

    @property
    def athletes(self) -> MemoryStore:
        return self._open()

    @property
    def activities(self) -> MemoryStore:
        return self._open()

    @property
    def gear(self) -> MemoryStore:
        return self._open()

    @property
    def twins(self) -> MemoryStore:
        return self._open()

    @property
    def annotations(self) -> MemoryStore:
        return self._open()

    @property
    def outbox(self) -> MemoryStore:
        return self._open()

    @property
    def pain_diary(self) -> MemoryPainDiary | None:
        self._open()
        return self._diary

    @property
    def annotation_batches(self) -> MemoryAnnotationBatches:
        return MemoryAnnotationBatches(self._open())

    def _open(self) -> MemoryStore:
        if self._saved is None:
            raise RuntimeError("a unit of work's repositories are used inside its `with` block only")
        return self._store

    def _parts(self) -> list[Any]:
        return [self._store] if self._diary is None else [self._store, self._diary]

    def _save(self) -> None:
        self._saved = [
            {
                f.name: copy.deepcopy(getattr(part, f.name))
                for f in fields(part)
                if f.name not in ("clock", "activities")
            }
            for part in self._parts()
        ]

    def __enter__(self) -> MemoryUnitOfWork:
        if self._saved is not None:
            raise RuntimeError("a unit of work's `with` blocks do not nest")
        self._save()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.rollback()
        self._saved = None

    def commit(self) -> None:
        self._open()
        self._save()

    def rollback(self) -> None:
        self._open()
        assert self._saved is not None
        for part, saved in zip(self._parts(), self._saved, strict=True):
            for name, value in saved.items():
                setattr(part, name, copy.deepcopy(value))


@dataclass
class MemoryOutbox:
    """The write-back outbox ports (OutboxClaims, the outbox log, the reads a drain makes) in memory, over a
    MemoryStore's activities."""

    activities: MemoryStore
    retry_at: dict[int, datetime | None] = field(default_factory=dict)

    @property
    def items(self) -> dict[int, OutboxItem]:
        return self.activities.outbox_items

    @property
    def status(self) -> dict[int, str]:
        return self.activities.outbox_status

    @property
    def results(self) -> dict[int, dict[str, Any]]:
        return self.activities.outbox_results

    @property
    def outbox_log(self) -> MemoryOutbox:
        return self

    @property
    def repos(self) -> DrainRepositories:
        """What a drain takes: this outbox serves every part."""
        return DrainRepositories(self, self, self, self)

    def add(self, activity_id: int, provider: str, note: str) -> int:
        return self.activities.enqueue_writeback(activity_id, provider, note)

    def get_activity(self, activity_id: int, *, with_streams: bool = True) -> StoredActivity:
        return self.activities.get_activity(activity_id, with_streams=with_streams)

    def get_athlete(self, athlete_id: int) -> AthleteRecord:
        return self.activities.get_athlete(athlete_id)

    def claim_writebacks(
        self, worker: str, *, now: datetime, lease_s: float, limit: int, providers: Collection[str] | None = None
    ) -> list[OutboxItem]:
        """Like the database: pending and due, or claimed with an expired lease; newest activities first."""
        due = [
            item
            for item in self.items.values()
            if (providers is None or item.provider in providers)
            and (
                (self.status[item.id] == "pending" and self.activities.outbox_due[item.id] <= now)
                or (self.status[item.id] == "claimed" and item.lease_expires_at < now)
            )
        ]
        due.sort(key=lambda item: self.activities.rows[item.activity_id].activity.start_utc, reverse=True)
        claimed = [
            replace(
                item, attempts=item.attempts + 1, lease_owner=worker, lease_expires_at=now + timedelta(seconds=lease_s)
            )
            for item in due[:limit]
        ]
        for item in claimed:
            self.items[item.id], self.status[item.id] = item, "claimed"
        return sorted(claimed, key=lambda item: item.id)

    def _holds(self, item_id: int, worker: str) -> bool:
        return self.status.get(item_id) == "claimed" and self.items[item_id].lease_owner == worker

    def complete_writeback(self, item_id: int, worker: str) -> bool:
        if not self._holds(item_id, worker):
            return False
        self.status[item_id] = "done"
        return True

    def fail_writeback(self, item_id: int, worker: str, error: str, retry_at: datetime | None) -> bool:
        """Back for a retry at `retry_at`, unless None or a newer note is pending for the same activity: failed."""
        if not self._holds(item_id, worker):
            return False
        item = self.items[item_id]
        newer = any(
            self.status[i.id] == "pending" and (i.activity_id, i.provider) == (item.activity_id, item.provider)
            for i in self.items.values()
        )
        self.retry_at[item_id] = retry_at
        self.items[item_id] = replace(item, lease_owner="", last_error=error[:2000])
        if retry_at is None or newer:
            self.status[item_id] = "failed"
        else:
            self.status[item_id], self.activities.outbox_due[item_id] = "pending", retry_at
        return True

    def hold_writeback(self, item_id: int, worker: str, payload: Mapping[str, Any]) -> bool:
        """Held with its reason, unless a newer note is pending for the same activity: then done."""
        if not self._holds(item_id, worker):
            return False
        item = self.items[item_id]
        newer = any(
            self.status[i.id] == "pending" and (i.activity_id, i.provider) == (item.activity_id, item.provider)
            for i in self.items.values()
        )
        self.items[item_id] = replace(item, lease_owner="")
        self.results[item_id] = dict(payload)
        self.status[item_id] = "done" if newer else "held"
        return True

    def held_writebacks(self, *, providers: Collection[str] | None = None) -> list[HeldItem]:
        rows = self.activities.rows
        return [
            HeldItem(
                i.id,
                i.activity_id,
                i.provider,
                self.activities.get_athlete(rows[i.activity_id].athlete_id).write_back,
                rows[i.activity_id].activity.private,
            )
            for i in self.items.values()
            if self.status[i.id] == "held" and (providers is None or i.provider in providers)
        ]

    def release_writebacks(self, item_ids: Sequence[int]) -> int:
        released = [i for i in item_ids if self.status.get(i) == "held"]
        for item_id in released:
            self.status[item_id], self.activities.outbox_due[item_id] = "pending", self.activities._now()
        return len(released)

    def was_written(self, activity_id: int, provider: str) -> bool:
        return any(
            self.items[i].activity_id == activity_id and self.items[i].provider == provider and r.get("written")
            for i, r in self.results.items()
        )

    def record_result(self, item_id: int, worker: str, payload: Mapping[str, Any]) -> bool:
        self.results[item_id] = dict(payload)
        return True

    def pending_items(
        self, *, limit: int = 1000, providers: Sequence[str] | None = None, held: Collection[int] = ()
    ) -> list[PendingItem]:
        return [
            PendingItem(i.id, i.activity_id, i.provider, i.note)
            for i in self.items.values()
            if (self.status[i.id] == "pending" or (self.status[i.id] == "held" and i.id in held))
            and (providers is None or i.provider in providers)
        ][:limit]


@dataclass
class MemoryPlatform:
    """A platform's descriptions in memory (the DescriptionWriter port); `faults` are raised, one per call."""

    texts: dict[str, str] = field(default_factory=dict)
    private: bool = False
    faults: list[Exception] = field(default_factory=list)
    max_length: int | None = None
    writes: int = 0

    def read_description(self, athlete_id: int, external_id: str) -> RemoteDescription:
        if self.faults:
            raise self.faults.pop(0)
        return RemoteDescription(self.texts.get(external_id), self.private)

    def write_description(self, athlete_id: int, external_id: str, text: str) -> None:
        self.writes += 1
        self.texts[external_id] = text


@dataclass
class MemoryAccounts(MemoryStore):
    """MemoryStore plus linked accounts with leases (the sync's repositories and AccountRepository)."""

    accounts: dict[int, AccountRecord] = field(default_factory=dict)

    def link(self, athlete_id: int = 1, provider: str = "strava") -> AccountRecord:
        account = replace(account_record(athlete_id, provider=provider), id=len(self.accounts) + 1)
        self.accounts[account.id] = account
        return account

    def list_accounts(self) -> list[AccountRecord]:
        return list(self.accounts.values())

    def claim_accounts(
        self, worker: str, *, now: datetime, lease_s: float, limit: int, provider: str | None = None
    ) -> list[AccountRecord]:
        due = [
            a
            for a in self.accounts.values()
            if a.state == "ok" and a.next_due_at <= now and a.lease_owner is None and provider in (None, a.provider)
        ][:limit]
        for a in due:
            self.accounts[a.id] = replace(a, lease_owner=worker, lease_expires_at=now + timedelta(seconds=lease_s))
        return [self.accounts[a.id] for a in due]

    def release_account(
        self, account_id: int, worker: str, *, next_due_at: datetime, sync_cursor: str | None = None
    ) -> bool:
        a = self.accounts[account_id]
        cursor = sync_cursor if sync_cursor is not None else a.sync_cursor
        self.accounts[account_id] = replace(
            a, lease_owner=None, lease_expires_at=None, next_due_at=next_due_at, sync_cursor=cursor
        )
        return True

    def set_account_state(self, account_id: int, state: str, message: str | None = None) -> None:
        self.accounts[account_id] = replace(self.accounts[account_id], state=state, state_message=message)


@dataclass
class MemoryPainDiary:
    """The pain diary port (PainDiary's entries and stale marks) in memory, over a MemoryStore's activities: one
    entry per (source, run), one per day for entries without a run, as the database's slots."""

    activities: MemoryStore
    slots: dict[tuple[int, str], PainEntry] = field(default_factory=dict)
    next_id: int = 1
    modes: dict[int, str | None] = field(default_factory=dict)

    def record(self, entry: PainEntry, *, now: datetime | None = None) -> PainEntry:
        recorded = (now or datetime.now(UTC)).astimezone(UTC)
        slot = slot_for(entry.source, entry.day, entry.activity_id)
        old = self.slots.get((entry.athlete_id, slot))
        entry_id = old.id if old is not None else self.next_id
        self.next_id += old is None
        stored = replace(entry, recorded_at=recorded, id=entry_id, activity_start_utc=None, activity_source=None)
        self.slots[(entry.athlete_id, slot)] = stored
        return next(e for e in self.entries(entry.athlete_id, day_from=entry.day, day_to=entry.day) if e.id == entry_id)

    def tag_entry(self, activity_id: int) -> PainEntry | None:
        found = [e for e in self.entries() if e.activity_id == activity_id and e.source is PainSource.TAG]
        return found[0] if found else None

    def tagged_activities(self, activity_ids: Sequence[int]) -> set[int]:
        wanted = set(activity_ids)
        tags = (e.activity_id for e in self.entries() if e.source is PainSource.TAG)
        return {activity_id for activity_id in tags if activity_id is not None and activity_id in wanted}

    def remove_tag(self, activity_id: int) -> bool:
        gone = [k for k, e in self.slots.items() if e.activity_id == activity_id and e.source is PainSource.TAG]
        for key in gone:
            del self.slots[key]
        return bool(gone)

    def entries(
        self, athlete_id: int | None = None, *, day_from: date | None = None, day_to: date | None = None
    ) -> list[PainEntry]:
        """Oldest first (athlete, day, recorded, id), each with its run's start and platform, as the database."""
        found = [
            self._with_run(e)
            for e in self.slots.values()
            if (athlete_id is None or e.athlete_id == athlete_id)
            and (day_from is None or e.day >= day_from)
            and (day_to is None or e.day <= day_to)
        ]
        return sorted(found, key=lambda e: (e.athlete_id, e.day, e.recorded_at, e.id))

    def _with_run(self, entry: PainEntry) -> PainEntry:
        row = self.activities.rows.get(entry.activity_id) if entry.activity_id is not None else None
        if row is None:
            return entry
        return replace(entry, activity_start_utc=row.activity.start_utc, activity_source=row.activity.source.value)

    def count(self, athlete_id: int) -> int:
        return len(self.entries(athlete_id))

    def delete_athlete(self, athlete_id: int) -> int:
        gone = [key for key in self.slots if key[0] == athlete_id]
        for key in gone:
            del self.slots[key]
        return len(gone)

    def mark_runs_stale(self, athlete_id: int, day_from: date, day_to: date) -> int:
        """The latest annotation of each run on day_from..day_to (local) gets the stale version."""
        marked = 0
        for row in self.activities.rows.values():
            history = self.activities.annotations.get(row.id)
            local_day = row.activity.start_local.date()
            if row.athlete_id != athlete_id or row.activity.sport not in RUN_SPORTS or not history:
                continue
            if day_from <= local_day <= day_to:
                history[-1] = replace(history[-1], rules_version=STALE)
                marked += 1
        return marked

    def advice_mode(self, athlete_id: int) -> str | None:
        return self.modes.get(athlete_id)

    def set_advice_mode(self, athlete_id: int, mode: str | None) -> None:
        self.activities.get_athlete(athlete_id)  # NotFoundError, like the database
        self.modes[athlete_id] = mode

    def first_activity_day(self, athlete_id: int) -> date | None:
        days = [s.activity.start_local.date() for s in self.activities.iter_activities(athlete_id=athlete_id)]
        return min(days, default=None)

    def keep_description(self, activity_id: int, text: str | None) -> None:
        row = self.activities.rows.get(activity_id)
        if row is not None:
            row.activity = replace(row.activity, description=text)


def sync_repositories(store: Any, diary: Any = None) -> SyncRepositories:
    """The sync's repositories over a test's store: the in-memory fake's (without `diary`: no batch paths, no
    diary, it annotates one run at a time; with it: the batch paths and that diary, as the database's), or the
    database Store's as the wiring builds them (its own diary)."""
    if isinstance(store, MemoryStore) and diary is None:
        return SyncRepositories(units=store, athletes=store, activities=store, annotations=store, twins=store)
    if isinstance(store, MemoryStore):
        batch = batch_repositories(store, diary)
        return SyncRepositories(batch.units, store, store, store, store, batch=batch, diary=diary)
    from syncd.entrypoints.wiring import sync_repositories as of_store

    return of_store(store)


@dataclass(frozen=True)
class MemoryUnits:
    """Units of work over a MemoryStore and its diary: each block's rollback puts both back (the store's own
    `unit_of_work()` keeps no diary)."""

    store: MemoryStore
    diary: MemoryPainDiary | None = None

    def unit_of_work(self) -> MemoryUnitOfWork:
        return MemoryUnitOfWork(self.store, self.diary)


def batch_repositories(store: Any, diary: Any = None) -> BatchRepositories:
    """The batch annotation's repositories over a test's store: the in-memory fake's (with `diary`, the test's
    MemoryPainDiary over it, or none), or the database Store's as the wiring builds them (its own diary)."""
    if isinstance(store, MemoryStore):
        return BatchRepositories(
            units=MemoryUnits(store, diary),
            batches=store.annotation_batches,
            athletes=store,
            activities=store,
            gear=store,
            outbox=store,
            diary=diary,
            now=store.now,
        )
    from syncd.entrypoints.wiring import batch_repositories as of_store

    return of_store(store)
