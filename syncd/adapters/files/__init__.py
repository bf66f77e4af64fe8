"""Local activity files: FIT, GPX and TCX (optionally gzipped), folders of them, and Strava bulk-export zips.

The import service walks `iter_paths(...)` and calls `item.parse()` on each item (which applies a Strava export's
csv row); `parse_bytes` parses bytes it already has. Every bad input raises `FileImportError` with one line.

Names are loaded on first use: the platform mappings only need `sports`, and a short command should not pay for
the decoders (fitdecode, timezonefinder) it never runs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .errors import FileImportError
    from .export import apply_export_row, iter_zip
    from .items import ImportItem, iter_paths
    from .parse import load_activities, parse_bytes
    from .parsed import ParsedActivity
    from .pool import ParsedItem, parse_items
    from .sports import normalise_sport

_WHERE = {
    "FileImportError": ".errors",
    "apply_export_row": ".export",
    "iter_zip": ".export",
    "ImportItem": ".items",
    "iter_paths": ".items",
    "load_activities": ".parse",
    "parse_bytes": ".parse",
    "ParsedActivity": ".parsed",
    "ParsedItem": ".pool",
    "parse_items": ".pool",
    "normalise_sport": ".sports",
}

__all__ = [
    "FileImportError",
    "ImportItem",
    "ParsedActivity",
    "ParsedItem",
    "apply_export_row",
    "iter_paths",
    "iter_zip",
    "load_activities",
    "normalise_sport",
    "parse_bytes",
    "parse_items",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_WHERE[name], __name__), name)
    globals()[name] = value
    return value
