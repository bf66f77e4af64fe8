"""The database adapter: `Store` (SQLite or PostgreSQL), its records and errors."""

from syncd.adapters.db.errors import NotFoundError, StoreError
from syncd.adapters.db.records import (
    AccountRecord,
    AnnotationRecord,
    AthleteRecord,
    OutboxItem,
    StoredActivity,
    UpsertResult,
)
from syncd.adapters.db.repository import Store

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
