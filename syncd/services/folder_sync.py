"""Use case: the watched folder's side of the daemon. One account per folder (provider "folder", the path as its
id) for the default local athlete, so the folder gets the same leases, schedule and pipeline as a platform
account; polled every `[folder] poll_s` seconds (a `stat` per file: cheap, and it works on network and Syncthing
shares where inotify does not). The files are an adapter (syncd.adapters.folder.source.WatchedFolder) that the
wiring hands in. Notes are kept in syncd: nothing is written back to files.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from syncd.domain.rate_budget import PollPlan
from syncd.ports import Clock, Source, WatchedFiles
from syncd.services.account_sync import PassReport, sync_due
from syncd.services.annotating import AnnotationPolicy
from syncd.services.sync_pipeline import PipelineOptions
from syncd.services.writeback import WritebackReport

if TYPE_CHECKING:
    from syncd.records import AccountRecord
    from syncd.services.account_sync import PlatformRepositories

PROVIDER = "folder"
ID_LENGTH = 64  # accounts.external_id


def folder_id(root: Path) -> str:
    """The folder's account id: its path, or (when longer than the column) a hash of it with the path's tail."""
    path = str(root)
    if len(path) <= ID_LENGTH:
        return path
    return f"sha256:{hashlib.sha256(path.encode()).hexdigest()[:24]}:…{path[-(ID_LENGTH - 34) :]}"


class FolderService:
    """Passes over the watched folder (the daemon's PlatformService for it)."""

    provider = PROVIDER

    def __init__(
        self,
        repos: PlatformRepositories,
        folder: WatchedFiles,
        *,
        athlete_id: int,
        policy: AnnotationPolicy,
        clock: Clock,
        annotation_window: timedelta = timedelta(days=30),
        poll: timedelta = timedelta(minutes=1),
    ) -> None:
        self.repos = repos
        self.folder = folder  # the files (adapters/folder/source.py WatchedFolder: scan state, quarantine)
        self.policy = policy
        self.clock = clock
        self.poll = poll
        self.options = PipelineOptions(annotation_window=annotation_window)
        self.account_id = repos.links.upsert_account(athlete_id, PROVIDER, folder_id(folder.root), None)

    # ---- the account pass (syncd.services.account_sync) -----------------------------------------------------

    def source_for(self, account: AccountRecord) -> Source:
        return self.folder.source()

    def next_due(self, account: AccountRecord, now: datetime, plan: PollPlan | None) -> datetime:
        return now + self.poll

    def forget(self, account_id: int) -> None:
        """Nothing cached per account."""

    # ---- what the daemon drives -------------------------------------------------------------------------------

    def sync_due(self, worker: str, *, limit: int = 50, lease_s: float = 900.0) -> PassReport:
        report = sync_due(
            self.repos.sync,
            self.repos.accounts,
            self,
            self.policy,
            self.options,
            clock=self.clock,
            worker=worker,
            limit=limit,
            lease_s=lease_s,
        )
        stored = all(o.error is None and (o.report is None or not o.report.unstored) for o in report.accounts)
        if report.accounts and stored:
            self.folder.commit()  # the files listed this pass are stored: the next pass skips them unless they change
        else:  # a fault, or a run the database refused: the next pass lists these files again
            self.folder.retry()
        return report

    def drain(self, worker: str, *, dry_run: bool = False, limit: int = 100) -> WritebackReport:
        """Notes on files stay in syncd: there is nothing to write back."""
        return WritebackReport()

    def description_reader(self) -> None:
        """Files carry no description to read: notes stay in syncd."""
        return None

    def grant_revoked(self, account_id: int) -> bool:
        return False

    def run_once(self, worker: str, *, dry_run: bool = False) -> PassReport:
        report = self.sync_due(worker)
        report.writeback = self.drain(worker, dry_run=dry_run)
        return report
