"""A watched folder as a third source: FIT/GPX/TCX files dropped by a phone sync app, a watch's USB dump or a
Syncthing share are picked up by the daemon, stored and annotated; notes stay in syncd (no write-back). The daemon's
service for it (the passes through the one pipeline) is syncd.entrypoints.platforms.folder."""

from syncd.adapters.folder.source import FolderScan, FolderSource

__all__ = ["FolderScan", "FolderSource"]
