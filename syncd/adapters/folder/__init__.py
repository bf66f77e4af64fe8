"""A watched folder as a third source: FIT/GPX/TCX files dropped by a phone sync app, a watch's USB dump or a
Syncthing share are picked up by the daemon, stored and annotated; notes stay in syncd (no write-back)."""

from syncd.adapters.folder.service import PROVIDER, FolderService
from syncd.adapters.folder.source import FolderScan, FolderSource

__all__ = ["PROVIDER", "FolderScan", "FolderService", "FolderSource"]
