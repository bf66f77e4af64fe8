"""Local activity files: FIT, GPX and TCX (optionally gzipped), folders of them, and Strava bulk-export zips.

The import service walks `iter_paths(...)` and calls `item.parse()` on each item (which applies a Strava export's
csv row); `parse_bytes` parses bytes it already has. Every bad input raises `FileImportError` with one line.
"""

from __future__ import annotations

from .errors import FileImportError
from .export import apply_export_row, iter_zip
from .items import ImportItem, iter_paths
from .parse import load_activities, parse_bytes
from .parsed import ParsedActivity
from .sports import normalise_sport

__all__ = [
    "FileImportError",
    "ImportItem",
    "ParsedActivity",
    "apply_export_row",
    "iter_paths",
    "iter_zip",
    "load_activities",
    "normalise_sport",
    "parse_bytes",
]
