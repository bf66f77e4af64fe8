"""Plain records the store ports hand out (syncd.ports): no ORM objects escape the adapter, and no secret ever sits
in one. Defined here, outside the database adapter, so services and in-memory fakes use them without it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from syncd.domain.flags import Flag
from syncd.domain.model import Activity, Streams
from syncd.status_records import AccountRecord, AthleteRecord, InputWarning

__all__ = [
    "AccountRecord",
    "AnnotationRecord",
    "AthleteRecord",
    "DigestState",
    "FeedCursor",
    "FeedFilter",
    "FeedPage",
    "FeedRow",
    "InputWarning",
    "LoadedActivity",
    "NewAnnotation",
    "OutboxItem",
    "PackedStreams",
    "PendingItem",
    "PlatformWrite",
    "StoredActivity",
    "SyncFailure",
    "TwinFacts",
    "UpsertResult",
    "WriteBack",
]


@dataclass(frozen=True, slots=True)
class UpsertResult:
    """`created`: the row is new; `changed`: something was written (False means identical content, no write)."""

    activity_id: int
    created: bool
    changed: bool


@dataclass(frozen=True, slots=True)
class SyncFailure:
    """The last bad payload of an activity's detail fetch: how often it failed and when to try again."""

    attempts: int
    retry_at: datetime
    error: str


@dataclass(frozen=True, slots=True)
class StoredActivity:
    """An activity as stored. `raw` is exactly what the platform (or file) sent; syncd's own sync state sits beside
    it: `needs_annotation` (new detail stored, not annotated since: a pass killed in between finishes it next time)
    and `sync_failure` (the detail fetch's last bad payload and its backoff)."""

    id: int
    athlete_id: int
    activity: Activity
    raw: dict[str, object] = field(default_factory=dict)
    logical_group: str | None = None
    needs_annotation: bool = False
    sync_failure: SyncFailure | None = None
    input_warnings: dict[str, str] = field(default_factory=dict)  # kind -> a value-free line (`syncd status`)


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
class PlatformWrite:
    """One activity's write-backs to one platform: the newest outbox item, and the text syncd last left there."""

    provider: str
    status: str  # the newest item's: pending, claimed, done, failed, held
    note: str  # the newest item's text
    outcome: str | None  # a finished item's result: inserted, replaced, unchanged, opted_out, skipped_public, …
    error: str | None
    updated_at: datetime
    on_platform: str | None = None  # the text of the last write that left our note there (None: never)
    written_at: datetime | None = None
    reason: str | None = None  # a held item's: athlete_off, config_off, public (write_back_policy.skip_reason)
    next_attempt_at: datetime | None = None  # a pending item's (later than now: a retry after a failure)


@dataclass(frozen=True, slots=True)
class HeldItem:
    """A note the drain held (the write-back off, a public activity under "private"), with what decides whether
    the settings now allow it: the athlete's own choice and the activity's stored visibility."""

    id: int
    activity_id: int
    provider: str
    athlete_write_back: str | None
    private: bool


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


# ---- the web feed's reads (adapters/db/feed_queries.py) ----


@dataclass(frozen=True, slots=True)
class FeedFilter:
    """What to show; None means "any". `week` is an ISO week ("2026-W47") of the athlete's local calendar."""

    athlete_id: int | None = None
    flag: str | None = None
    sport: str | None = None
    week: date | None = None  # the Monday of the week
    annotated_only: bool = False
    unannotated_only: bool = False  # activities the rules have not run on (every non-run, new runs)


@dataclass(frozen=True, slots=True)
class WriteBack:
    provider: str
    status: str
    attempts: int
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class FeedRow:
    """One activity as the feed shows it (no streams, no raw JSON: those stay behind the activity page)."""

    id: int
    athlete_id: int
    athlete_name: str
    athlete_units: str
    source: str
    external_id: str
    name: str
    sport: str
    start_utc: datetime
    start_local: datetime
    distance_m: float | None
    elapsed_s: float | None
    moving_s: float | None
    elevation_gain_m: float | None
    elevation_loss_m: float | None
    gear_id: str | None
    description: str | None
    private: bool
    flags: tuple[Flag, ...] | None  # None: not annotated yet
    note: str | None
    rules_version: str | None
    annotated_at: datetime | None
    writebacks: tuple[WriteBack, ...] = field(default_factory=tuple)
    flags_json: str | None = None  # the stored flags as the database holds them: an exact, cheap cache key
    awaiting_streams: bool = False  # a platform run whose samples are not fetched yet (syncd.domain.streams_state)

    @property
    def duration_s(self) -> float | None:
        return self.moving_s if self.moving_s is not None else self.elapsed_s


@dataclass(frozen=True, slots=True)
class FeedCursor:
    """A place in the feed by key, not by count: the rows older than the activity (start_utc, id). A link built
    from it shows the same rows however many activities arrive above it (`?before=<start µs>_<id>`)."""

    start_us: int  # start_utc in microseconds since 1970-01-01 UTC
    id: int

    def __str__(self) -> str:
        return f"{self.start_us}_{self.id}"

    @classmethod
    def parse(cls, text: str) -> FeedCursor | None:
        """The cursor of `str(cursor)`; None for anything else."""
        start, sep, ident = text.partition("_")
        digits = start.removeprefix("-")
        if not sep or not (digits.isascii() and digits.isdigit() and ident.isascii() and ident.isdigit()):
            return None
        if len(digits) > 18 or len(ident) > 19 or int(ident) > 2**63 - 1:
            return None
        return cls(int(start), int(ident))


@dataclass(frozen=True, slots=True)
class FeedPage:
    rows: list[FeedRow]
    total: int
    page: int  # 1-based; a page reached by a cursor: the page its first row is on
    per_page: int
    offset: int = 0  # rows of the filtered feed above this page
    older: FeedCursor | None = None  # the next (older) page starts after this: None on the last page
    newer: FeedCursor | None = None  # the previous page starts after this: None when that is the first page

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


# ---- batch annotation (adapters/db/annotation_queries.py, annotation_writes.py) ----


@dataclass(frozen=True, slots=True)
class PackedStreams:
    """An activity's streams as stored, with the function that decodes them: decoding is a good part of a
    batch's cost, so it happens where the rules run (a worker process), and only the compact blob travels."""

    blob: bytes
    decode: Callable[[bytes], Streams]

    def unpack(self) -> Streams:
        return self.decode(self.blob)


@dataclass(frozen=True, slots=True)
class LoadedActivity:
    """`activity` comes without its streams; `packed` holds them (None: the activity has none)."""

    id: int
    athlete_id: int
    logical_group: str | None
    activity: Activity
    packed: PackedStreams | None = None


def note_to_queue(written: str | None, previously_written: str | None) -> str | None:
    """What a changed annotation queues for its platform: its note; "" when it has none and the annotation before
    it had (a run turned into a ride: the write-back removes syncd's block, the athlete's text stays); None:
    nothing to write."""
    if written is not None:
        return written
    return "" if previously_written is not None else None


@dataclass(frozen=True, slots=True)
class NewAnnotation:
    activity_id: int
    rules_version: str
    flags: Sequence[Flag]
    note: str | None
    write_back_to: Sequence[str] = ()  # platforms to queue the note for when this annotation is written
    platform_note: str | None = None  # the platform's wording when it differs from `note` (docs/pain.md)

    @property
    def written_note(self) -> str | None:
        return self.note if self.platform_note is None else self.platform_note
