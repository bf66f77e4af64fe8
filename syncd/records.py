"""Plain records the store ports hand out (syncd.ports): no ORM objects escape the adapter, and no secret ever sits
in one. Defined here, outside the database adapter, so services and in-memory fakes use them without it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from syncd.domain.flags import Flag
from syncd.domain.model import Activity


@dataclass(frozen=True, slots=True)
class AthleteRecord:
    id: int
    key: str
    name: str
    timezone_name: str | None
    units: str
    email: str | None
    digest_opt_in: bool
    units_chosen: bool = False
    max_heart_rate: float | None = None
    write_back: str | None = None
    digest_unsubscribed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class UpsertResult:
    """`created`: the row is new; `changed`: something was written (False means identical content, no write)."""

    activity_id: int
    created: bool
    changed: bool


@dataclass(frozen=True, slots=True)
class StoredActivity:
    id: int
    athlete_id: int
    activity: Activity
    raw: dict[str, object] = field(default_factory=dict)
    logical_group: str | None = None


@dataclass(frozen=True, slots=True)
class AnnotationRecord:
    id: int
    activity_id: int
    rules_version: str
    flags: tuple[Flag, ...]
    note: str | None
    created_at: datetime
    platform_note: str | None = None  # what goes to the activity's platform, when it differs from `note`

    @property
    def written_note(self) -> str | None:
        """The note as written to the activity's own platform."""
        return self.note if self.platform_note is None else self.platform_note


@dataclass(frozen=True, slots=True)
class AccountRecord:
    """An account without its tokens (fetch those with Store.get_account_tokens), so logging one is safe."""

    id: int
    athlete_id: int
    provider: str
    external_id: str
    has_tokens: bool
    state: str
    state_message: str | None
    sync_cursor: str | None
    next_due_at: datetime
    lease_owner: str | None
    lease_expires_at: datetime | None


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """A claimed write-back: the worker owns it until `lease_expires_at`, then anyone may take it over."""

    id: int
    activity_id: int
    provider: str
    note: str
    attempts: int
    lease_owner: str
    lease_expires_at: datetime
    last_error: str | None


@dataclass(frozen=True, slots=True)
class TwinFacts:
    """What matching cross-platform twins needs to know about one stored activity."""

    id: int
    athlete_id: int
    source: str
    external_id: str
    sport: str
    start_utc: datetime
    distance_m: float | None
    duration_s: float | None
    logical_group: str | None


@dataclass(frozen=True, slots=True)
class PendingItem:
    """A queued write-back, read without claiming it (for `--dry-run`)."""

    id: int
    activity_id: int
    provider: str
    note: str


@dataclass(frozen=True, slots=True)
class DigestState:
    """A week's digest as the retry gate sees it."""

    status: str
    attempts: int
    retry_at: datetime | None
    last_error: str | None
