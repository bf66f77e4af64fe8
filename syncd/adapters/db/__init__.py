"""The database adapter: `Store` (SQLite or PostgreSQL), its records and errors.

Names are loaded on first use: a short command that only glances at the database (`probe.py`) must not pay for
the repositories' ORM models and codecs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from syncd.adapters.db.errors import NotFoundError, StoreError
    from syncd.adapters.db.repository import Store
    from syncd.records import (
        AccountRecord,
        AnnotationRecord,
        AthleteRecord,
        OutboxItem,
        StoredActivity,
        UpsertResult,
    )

_WHERE = {
    "AccountRecord": "syncd.records",
    "AnnotationRecord": "syncd.records",
    "AthleteRecord": "syncd.records",
    "NotFoundError": "syncd.adapters.db.errors",
    "OutboxItem": "syncd.records",
    "Store": "syncd.adapters.db.repository",
    "StoreError": "syncd.adapters.db.errors",
    "StoredActivity": "syncd.records",
    "UpsertResult": "syncd.records",
}

__all__ = [
    "AccountRecord",
    "AnnotationRecord",
    "AthleteRecord",
    "NotFoundError",
    "OutboxItem",
    "Store",
    "StoreError",
    "StoredActivity",
    "UpsertResult",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_WHERE[name]), name)
    globals()[name] = value
    return value
