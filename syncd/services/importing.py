"""Use case: import local FIT/GPX/TCX files and Strava export archives into the store, then annotate them.

Every file is independent: a corrupt one is reported with its one-line reason and the rest go on. Activities are
annotated after all files are stored, oldest first, so each sees the others as history (weekly counts, load).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from syncd.adapters.files import ImportItem, ParsedActivity, iter_paths, parse_items
from syncd.services.annotating import (
    AnnotationPolicy,
    BatchRepositories,
    StoredOutcome,
    annotate_batch,
    annotate_marked,
    mark_later,
)
from syncd.services.identity import Ambiguous, link_file_twin

if TYPE_CHECKING:
    from syncd.ports import ActivityRepository, ParallelMap
    from syncd.services.identity import Store as TwinStore


@dataclass(frozen=True)
class ImportRepositories:
    """What importing files reads and changes: the batch annotation's repositories (the activities are stored
    through its `activities`) and the twins (files that are one run)."""

    batch: BatchRepositories
    twins: TwinStore


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
    report = ImportReport()
    store = repos.batch
    starts: dict[int, datetime] = {}
    first_seen: dict[tuple[str, str], str] = {}
    created: dict[int, datetime] = {}  # new activities: their twins are looked for, and later notes redone
    for done in parse_items(iter_paths(paths), workers=workers, max_activities=max_activities):
        on_item(done.item)
        report.files += 1
        report.bytes_read += done.size
        if done.error is not None:
            report.failed.append(str(done.error))
            continue
        for entry in done.activities:
            key = entry.activity.key
            if key in first_seen:  # the same bytes again in this batch, from another path
                report.unchanged += 1
                report.duplicates.append(f"{entry.source_name}: duplicate of {first_seen[key]}")
                continue
            raw, earlier = _keep_stored_path(store.activities, entry)
            first_seen[key] = earlier or entry.source_name
            result = store.activities.upsert_activity(athlete_id, entry.activity, raw)
            if result.created:
                report.created += 1
                created[result.activity_id] = entry.activity.start_utc
            elif result.changed:
                report.updated += 1
            else:
                report.unchanged += 1
                if earlier is not None:
                    report.duplicates.append(f"{entry.source_name}: duplicate of {earlier} (imported before)")
            starts[result.activity_id] = entry.activity.start_utc

    def failed(activity_id: int, exc: Exception) -> None:  # a rule crash on one activity loses no other's
        report.failed.append(f"activity {activity_id}: annotation failed ({type(exc).__name__}: {exc})")

    _link_twins(repos.twins, created, starts, report)
    ordered = sorted(starts, key=starts.__getitem__)
    mark_later(store, athlete_id, created.values())  # an earlier run imported late changes later runs' history
    report.annotated.extend(annotate_batch(store, ordered, policy, now=now, on_error=failed, parallel=parallel))
    report.redone = len(annotate_marked(store, athlete_id, policy, now=now, on_error=failed))
    return report


def _link_twins(
    store: TwinStore, created: dict[int, datetime], starts: dict[int, datetime], report: ImportReport
) -> None:
    """The same run as another file (a FIT and its GPX export) or a platform activity: one logical activity,
    counted once, every copy annotated (again) with the other counted once; an ambiguous match is reported, not
    linked."""
    groups: dict[str, tuple[int, ...]] = {}
    for activity_id in created:
        found = link_file_twin(store, activity_id)
        if isinstance(found, Ambiguous):
            report.ambiguous.append(found.reason)
        elif found is not None:
            groups[found.group] = found.activity_ids
    for ids in groups.values():
        report.twins.append(f"activities {', '.join(map(str, ids))} are one run: counted once")
        for twin in ids:
            starts.setdefault(twin, store.get_activity(twin, with_streams=False).activity.start_utc)


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
