"""The Store's records now live in `syncd.records` (the ports use them without the database adapter); this module
keeps the old import path working."""

from syncd.records import (
    AccountRecord,
    AnnotationRecord,
    AthleteRecord,
    DigestState,
    OutboxItem,
    PendingItem,
    StoredActivity,
    TwinFacts,
    UpsertResult,
)

__all__ = [
    "AccountRecord",
    "AnnotationRecord",
    "AthleteRecord",
    "DigestState",
    "OutboxItem",
    "PendingItem",
    "StoredActivity",
    "TwinFacts",
    "UpsertResult",
]
