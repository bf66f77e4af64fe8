"""The database adapter: `Store` (SQLite or PostgreSQL), its records and errors."""

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
