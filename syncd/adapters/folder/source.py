"""The watched folder as a `Source` for the sync pipeline.

Every pass stats the folder's activity files (hidden entries skipped) and parses only files that are new or whose
size or modification time changed since the last completed pass (`FolderScan` remembers them, per process), so a
scan of a folder that did not change costs one `stat` per file and no database work. Activities keep the file
importer's content-hash ids, so a file also imported with `syncd import` is one activity. A file that cannot be
parsed is reported (one line) and tried again when it changes; files that disappear are kept in syncd (a sync app
rotating old files must not delete the athlete's history).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from syncd.adapters.files import FileImportError, ParsedActivity, parse_bytes
from syncd.adapters.files.detect import is_supported_name
from syncd.adapters.files.parse import read_file
from syncd.adapters.folder.quarantine import DEATHS, Quarantine
from syncd.adapters.payload import PayloadError
from syncd.domain.model import Activity, Source, Streams
from syncd.platform_errors import PlatformTransientError
from syncd.ports import FetchedActivity, SourceSummary
from syncd.storable import storable_json

Stamp = tuple[int, int]  # (size, mtime in ns): what tells a changed file


@dataclass
class FolderScan:
    """What the folder held at the last completed pass (per process: after a restart every file is read once)."""

    stamps: dict[str, Stamp] = field(default_factory=dict)
    pending: dict[str, Stamp] = field(default_factory=dict)  # listed this pass, committed when the pass succeeds

    def commit(self) -> None:
        self.stamps.update(self.pending)
        self.pending.clear()


def _files(root: Path) -> Iterator[tuple[str, Stamp]]:
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.startswith(".") or not is_supported_name(name):
                continue
            path = Path(folder, name)
            try:
                info = path.stat()
            except OSError:
                continue  # vanished between listing and stat: the next pass sees it as it is then
            yield str(path.relative_to(root)), (info.st_size, info.st_mtime_ns)


class FolderSource:
    """The activities of the files in one folder that are new or changed since the last completed pass."""

    provider = Source.FILE.value
    deletes_missing = False

    def __init__(
        self,
        root: Path,
        scan: FolderScan,
        quarantine: Quarantine | None = None,
        *,
        max_activities: int | None = None,
    ) -> None:
        self.root = root
        self.scan = scan
        self.quarantine = quarantine
        self.max_activities = max_activities
        self._by_id: dict[str, ParsedActivity] = {}

    def list_pages(self, after: datetime) -> Iterator[Sequence[Mapping[str, Any]]]:
        """Every new or changed file, whatever `after` says: an old run copied in today is still new here."""
        if not self.root.is_dir():
            raise PlatformTransientError(f"[folder] path {self.root} is not a folder (yet); create it or fix the path")
        page: list[Mapping[str, Any]] = []
        for rel, stamp in _files(self.root):
            if self.scan.stamps.get(rel) == stamp:
                continue
            self.scan.pending[rel] = stamp
            page.extend(self._payloads(rel, stamp))
        yield page

    def _payloads(self, rel: str, stamp: Stamp) -> list[Mapping[str, Any]]:
        try:
            data = read_file(self.root / rel)
            digest = hashlib.sha256(data).hexdigest()
            if self.quarantine is None:
                parsed = parse_bytes(data, rel, max_activities=self.max_activities)
            elif self.quarantine.holds(digest):
                problem = f"quarantined: syncd died {DEATHS} times while reading it (content {digest[:12]})"
                raise FileImportError(rel, problem, "remove or replace the file; `syncd status` lists it")
            else:
                with self.quarantine.parsing(rel, digest):  # a death in here counts against this content
                    parsed = parse_bytes(data, rel, max_activities=self.max_activities)
        except FileImportError as exc:
            return [{"id": rel, "error": str(exc)}]
        payloads: list[Mapping[str, Any]] = []
        for item in parsed:
            self._by_id[item.activity.external_id] = item
            payloads.append(
                {"id": item.activity.external_id, "file": rel, "size": stamp[0], "sha256": item.content_sha256}
            )
        return payloads

    def read_summary(self, payload: Mapping[str, Any]) -> SourceSummary:
        if "error" in payload:
            raise PayloadError(str(payload["error"]))
        item = self._by_id[str(payload["id"])]
        return SourceSummary(item.activity.external_id, item.activity, payload)

    def is_changed(self, payload: Mapping[str, Any], stored_raw: Mapping[str, Any]) -> bool:
        return stored_raw.get("folder") != storable_json(dict(payload))  # as stored (a non-UTF-8 name is escaped)

    def has_detail(self, stored_raw: Mapping[str, Any]) -> bool:
        return isinstance(stored_raw.get("folder"), dict)

    def summary_record(
        self, payload: Mapping[str, Any], stored_raw: Mapping[str, Any]
    ) -> tuple[Activity, Mapping[str, Any]]:
        item = self._by_id[str(payload["id"])]
        return item.activity, {**item.raw, "folder": dict(payload)}

    def fetch(self, summary: SourceSummary, known_streams: Streams | None) -> FetchedActivity:
        activity, raw = self.summary_record(summary.payload, {})
        return FetchedActivity(activity, raw)


class WatchedFolder:
    """One watched folder across passes: a FolderSource per pass over what is new or changed, and what the last
    completed pass held; implements syncd.ports.WatchedFiles for the folder service."""

    def __init__(self, root: Path, quarantine: Quarantine | None = None, *, max_activities: int | None = None) -> None:
        self.root = root
        self.scan = FolderScan()
        self.quarantine = quarantine  # files whose parsing killed syncd (adapters/folder/quarantine.py)
        self.max_activities = max_activities  # [files] max_activities_per_file

    def source(self) -> FolderSource:
        return FolderSource(self.root, self.scan, self.quarantine, max_activities=self.max_activities)

    def commit(self) -> None:
        """The files listed this pass are stored: the next pass skips them unless they change."""
        self.scan.commit()

    def retry(self) -> None:
        """A fault, or a run the database refused: the next pass lists this pass's files again."""
        self.scan.pending.clear()
