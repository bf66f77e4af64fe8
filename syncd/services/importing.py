"""Use case: import local FIT/GPX/TCX files and Strava export archives into the store, and annotate them.

One truth: a file is stored, linked with its twins and annotated in one unit of work, so a fault anywhere in that
(a row the database refuses, a rule's crash, the note's write) leaves nothing of the file, never an activity
without its note, and the other files go on. Files are taken in chunks of up to `CHUNK_ACTIVITIES` activities
(or `CHUNK_BYTES` of files read), a chunk in one unit of work; when it fails, each of its files is tried alone,
oldest first, in a unit of work of its own, which finds the faulty one. Within a chunk the activities are
annotated oldest first so each sees the others as history (weekly counts, load); an activity a later chunk puts
before them marks their notes, which are redone at the end (`annotate_marked`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from syncd.adapters.files import ImportItem, ParsedActivity, iter_paths, parse_items
from syncd.services.annotating import (
    BATCH_SIZE,
    AnnotationPolicy,
    BatchRepositories,
    StoredOutcome,
    annotate_batch,
    annotate_marked,
    batch_in,
    mark_later,
)
from syncd.services.chunks import chunk_or_each
from syncd.services.identity import Ambiguous, link_file_twin

if TYPE_CHECKING:
    from syncd.ports import ActivityRepository, ParallelMap, TwinLinks, UnitOfWork

CHUNK_ACTIVITIES = BATCH_SIZE  # the activities of one unit of work (parsed, held in memory until stored)
CHUNK_BYTES = 32 * 2**20  # or this much of the files read


@dataclass(frozen=True)
class ImportRepositories:
    """What importing files reads and changes: the batch annotation's repositories, whose units of work each store,
    link and annotate a chunk of files (or one file) in one transaction."""

    batch: BatchRepositories


@dataclass
class ImportReport:
    files: int = 0
    bytes_read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: list[str] = field(default_factory=list)  # "<file>: duplicate of <file>", one line each
    failed: list[str] = field(default_factory=list)  # one line each, naming the file
    annotated: list[StoredOutcome] = field(default_factory=list)
    redone: int = 0  # notes of activities stored before whose history an imported one changed
    twins: list[str] = field(default_factory=list)  # files (or a file and a platform activity) that are one run
    ambiguous: list[str] = field(default_factory=list)  # a file matching two runs: kept apart, and why

    @property
    def activities(self) -> int:
        return self.created + self.updated + self.unchanged

    def add(self, done: _Stored) -> None:
        """What a committed unit of work stored."""
        self.created += done.created
        self.updated += done.updated
        self.unchanged += done.unchanged
        self.duplicates += done.duplicates
        self.twins += done.twins
        self.ambiguous += done.ambiguous
        self.annotated += done.annotated


@dataclass(frozen=True)
class _File:
    """One file's parsed activities, held until its unit of work stores them."""

    name: str
    activities: tuple[ParsedActivity, ...]


@dataclass
class _Stored:
    """What one unit of work stored, counted into the report only once it is committed."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: list[str] = field(default_factory=list)
    twins: list[str] = field(default_factory=list)
    ambiguous: list[str] = field(default_factory=list)
    annotated: list[StoredOutcome] = field(default_factory=list)
    seen: dict[tuple[str, str], str] = field(default_factory=dict)  # activities stored, by key: the file's name


@dataclass
class _Import:
    """One import's settings and what it has committed so far."""

    repos: ImportRepositories
    athlete_id: int
    policy: AnnotationPolicy
    now: datetime | None
    parallel: ParallelMap | None
    report: ImportReport = field(default_factory=ImportReport)
    seen: dict[tuple[str, str], str] = field(default_factory=dict)  # activities committed, by key: the file's name


def import_paths(
    repos: ImportRepositories,
    athlete_id: int,
    paths: Sequence[Path],
    policy: AnnotationPolicy,
    *,
    now: datetime | None = None,
    on_item: Callable[[ImportItem], None] = lambda _item: None,
    workers: int | None = None,
    parallel: ParallelMap | None = None,
    max_activities: int | None = None,
) -> ImportReport:
    """`workers`: parser processes (1: parse in this process; None: one per core, see adapters.files.pool);
    `parallel`: where the rules run over the imported activities (None: in this process); `max_activities`: per
    file (`[files] max_activities_per_file`, None: the default)."""
    run = _Import(repos, athlete_id, policy, now, parallel)
    report = run.report
    chunk: list[_File] = []
    held = held_bytes = 0
    for done in parse_items(iter_paths(paths), workers=workers, max_activities=max_activities):
        on_item(done.item)
        report.files += 1
        report.bytes_read += done.size
        if done.error is not None:
            report.failed.append(str(done.error))
            continue
        chunk.append(_File(done.item.name, tuple(done.activities)))
        held, held_bytes = held + len(done.activities), held_bytes + done.size
        if held >= CHUNK_ACTIVITIES or held_bytes >= CHUNK_BYTES:
            _import_chunk(run, chunk)
            chunk, held, held_bytes = [], 0, 0
    _import_chunk(run, chunk)

    def failed(activity_id: int, exc: Exception) -> None:  # a rule crash on one activity loses no other's
        report.failed.append(f"activity {activity_id}: annotation failed ({type(exc).__name__}: {exc})")

    report.redone = len(annotate_marked(repos.batch, athlete_id, policy, now=now, on_error=failed))
    return report


def _import_chunk(run: _Import, files: Sequence[_File]) -> None:
    """The chunk in one unit of work; when it fails, each file alone (oldest first), the faulty one reported."""

    def failed(file: _File, exc: Exception) -> None:
        run.report.failed.append(f"{file.name}: not imported, nothing of it stored ({type(exc).__name__}: {exc})")

    chunk_or_each(files, lambda some: run.report.add(_in_unit_of_work(run, some)), order=_earliest, on_fault=failed)


def _earliest(file: _File) -> datetime:
    return min((entry.activity.start_utc for entry in file.activities), default=datetime.max.replace(tzinfo=UTC))


def _in_unit_of_work(run: _Import, files: Sequence[_File]) -> _Stored:
    """Store the files' activities, link their twins, mark the notes they change and annotate them, committed
    together (a fault anywhere raises, and nothing of it is kept)."""
    with run.repos.batch.units.unit_of_work() as uow:
        done = _Stored()
        starts, created = _store(uow, run, files, done)
        _link_twins(uow, created, starts, done)
        batch = batch_in(run.repos.batch, uow)
        mark_later(batch, run.athlete_id, created.values())  # an earlier run imported late changes later runs' history
        ordered = sorted(starts, key=starts.__getitem__)
        done.annotated = annotate_batch(batch, ordered, run.policy, now=run.now, parallel=run.parallel)
        uow.commit()
    run.seen.update(done.seen)
    return done


def _store(
    uow: UnitOfWork, run: _Import, files: Sequence[_File], done: _Stored
) -> tuple[dict[int, datetime], dict[int, datetime]]:
    """Each activity upserted (the same bytes twice, from two paths, once): the stored ids with their starts, and
    those of the new ones (their twins are looked for, and the notes after them redone)."""
    starts: dict[int, datetime] = {}
    created: dict[int, datetime] = {}
    for file in files:
        for entry in file.activities:
            key = entry.activity.key
            first = run.seen.get(key) or done.seen.get(key)
            if first is not None:  # the same bytes again in this import, from another path
                done.unchanged += 1
                done.duplicates.append(f"{entry.source_name}: duplicate of {first}")
                continue
            raw, earlier = _keep_stored_path(uow.activities, entry)
            done.seen[key] = earlier or entry.source_name
            result = uow.activities.upsert_activity(run.athlete_id, entry.activity, raw)
            if result.created:
                done.created += 1
                created[result.activity_id] = entry.activity.start_utc
            elif result.changed:
                done.updated += 1
            else:
                done.unchanged += 1
                if earlier is not None:
                    done.duplicates.append(f"{entry.source_name}: duplicate of {earlier} (imported before)")
            starts[result.activity_id] = entry.activity.start_utc
    return starts, created


def _link_twins(links: TwinLinks, created: dict[int, datetime], starts: dict[int, datetime], done: _Stored) -> None:
    """The same run as another file (a FIT and its GPX export) or a platform activity: one logical activity,
    counted once, every copy annotated (again) with the other counted once; an ambiguous match is reported, not
    linked."""
    groups: dict[str, tuple[int, ...]] = {}
    for activity_id in created:
        found = link_file_twin(links, activity_id)
        if isinstance(found, Ambiguous):
            done.ambiguous.append(found.reason)
        elif found is not None:
            groups[found.group] = found.activity_ids
    for ids in groups.values():
        done.twins.append(f"activities {', '.join(map(str, ids))} are one run: counted once")
        for twin in ids:
            starts.setdefault(twin, links.activities.get_activity(twin, with_streams=False).activity.start_utc)


def _keep_stored_path(store: ActivityRepository, entry: ParsedActivity) -> tuple[dict[str, object], str | None]:
    """The raw summary to store, keeping the path it was first imported from when the content is the same.

    The external id derives from the content hash, so a stored activity with this id came from identical bytes:
    only the path differs, and a copy in another folder must read "unchanged", not "updated".
    """
    if not entry.activity.external_id.startswith(entry.content_sha256):  # keyed by a Strava export id instead
        return dict(entry.raw), None
    activity_id = store.find_activity_id(*entry.activity.key)
    if activity_id is None:
        return dict(entry.raw), None
    stored_file = store.get_activity(activity_id, with_streams=False).raw.get("file")
    if not isinstance(stored_file, str) or stored_file == entry.raw.get("file"):
        return dict(entry.raw), None
    return {**entry.raw, "file": stored_file}, stored_file
