"""Protocols the services and rules depend on; adapters implement them, tests use in-memory fakes."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, Self, runtime_checkable

from syncd.domain.flags import Flag
from syncd.domain.history import HistoryRow
from syncd.domain.model import Activity, Gear, Streams
from syncd.domain.notify import Message, QueuedNotification
from syncd.domain.pain import PainEntry
from syncd.domain.rate_budget import BudgetState
from syncd.domain.surface import SurfaceBreakdown
from syncd.records import (
    AccountRecord,
    AnnotationRecord,
    AthleteRecord,
    DigestState,
    FeedCursor,
    FeedFilter,
    FeedPage,
    FeedRow,
    HeldItem,
    InputWarning,
    LoadedActivity,
    NewAnnotation,
    OutboxItem,
    PendingItem,
    PlatformWrite,
    StoredActivity,
    SyncFailure,
    TwinFacts,
    UpsertResult,
)

if TYPE_CHECKING:  # numpy and the digest's maths: not for a command that only reads settings (issue 32)
    from syncd.domain.digest import LoadWeek
    from syncd.domain.model import FloatArray


class SurfaceMap(Protocol):
    def classify(self, lat: FloatArray, lon: FloatArray) -> SurfaceBreakdown | None:
        """Metres per surface class along the track, or None when the map has no data for this area."""
        ...


class Mailer(Protocol):
    """Sends one email (adapters/smtp.py); raises on any failure, which the digest records and retries."""

    def send(self, message: EmailMessage) -> None: ...


class TrendChart(Protocol):
    """Draws the digest's weekly load chart as PNG bytes (adapters/charts.py)."""

    def __call__(self, trend: Sequence[LoadWeek], *, unit: str = "min") -> bytes: ...


class ParallelMap(Protocol):
    """Runs a pure function over items, maybe on other cores (adapters/parallel.py): each item's result or the
    exception its work raised, in the items' order. `work` and the items must pickle."""

    def map[T, R](self, work: Callable[[T], R], items: Iterable[T]) -> Iterator[R | Exception]: ...


class InProcess:
    """The ParallelMap that runs everything here, one item after another."""

    def map[T, R](self, work: Callable[[T], R], items: Iterable[T]) -> Iterator[R | Exception]:
        for item in items:
            try:
                yield work(item)
            except Exception as exc:  # the item's outcome; the next items go on
                yield exc


class Clock(Protocol):
    def now(self) -> datetime:
        """Aware UTC now."""
        ...


@dataclass(frozen=True)
class RemoteDescription:
    """An activity's description as the platform has it right now, and whether only the athlete can see it."""

    text: str | None
    private: bool


class DescriptionWriter(Protocol):
    """One platform's side of the write-back outbox (Strava, Garmin): read fresh, write the merged text."""

    max_length: int | None

    def read_description(self, athlete_id: int, external_id: str) -> RemoteDescription:
        """The current description (never a cached copy: the athlete may have edited it a minute ago)."""
        ...

    def write_description(self, athlete_id: int, external_id: str, text: str) -> None:
        """Replace the whole description with `text`."""
        ...


class AccountSessions(Protocol):
    """One platform's per-account sessions (an adapter: its client, token refresh and saving, the rate budget),
    as a platform service sees them; the wiring builds the concrete one and hands it in."""

    @property
    def writer(self) -> DescriptionWriter:
        """The platform's description reader and writer, over these sessions."""
        ...

    def source_for(self, account: AccountRecord) -> Source:
        """The account's session as a Source; a PlatformError when it cannot be had (no tokens, refused)."""
        ...

    def grant_revoked(self, account_id: int) -> bool:
        """Whether the platform refuses the account's tokens (even after a refresh): access was revoked."""
        ...

    def requests_sent(self) -> int:
        """Requests sent through every session of this process."""
        ...

    def forget(self, account_id: int) -> None:
        """Drop the account's cached session (its tokens were refused)."""
        ...


class PushSubscriptions(Protocol):
    """A platform's push subscriptions (Strava's webhook)."""

    def push_subscription_ids(self) -> frozenset[int]:
        """The ids of this app's push subscriptions (empty: none); raises when the platform cannot be asked."""
        ...


class WatchedFiles(Protocol):
    """A watched folder across passes (an adapter): a Source per pass over what is new or changed since the last
    completed pass, which the folder service commits, or drops to list again."""

    @property
    def root(self) -> Path: ...

    def source(self) -> Source: ...

    def commit(self) -> None:
        """The files listed this pass are stored: the next pass skips them unless they change."""
        ...

    def retry(self) -> None:
        """The pass failed or a run was refused: the next pass lists this pass's files again."""
        ...


@dataclass(frozen=True)
class SourceSummary:
    """One listed activity: its id on the source, the model read from the listing, and the listing payload."""

    external_id: str
    activity: Activity
    payload: Mapping[str, Any]


@dataclass(frozen=True)
class FetchedActivity:
    """Everything a source knows about one activity: the model with streams and laps, what to keep raw, the shoe."""

    activity: Activity
    raw: Mapping[str, Any]
    gear: Gear | None = None


class Source(Protocol):
    """One account's activities on one source (Strava, Garmin Connect, a watched folder), for the sync pipeline.

    Errors: `syncd.platform_errors.PlatformError` (what to do is in its attributes) and
    `syncd.errors.PayloadError` (a payload of the wrong shape); nothing else is expected.
    """

    @property
    def provider(self) -> str:
        """The `source` stored with each activity ("strava", "garmin", "file")."""
        ...

    @property
    def deletes_missing(self) -> bool:
        """Whether an activity missing from a complete listing was deleted at the source (a platform: yes; a folder
        whose sync app rotates old files: no)."""
        ...

    def list_pages(self, after: datetime) -> Iterator[Sequence[Mapping[str, Any]]]:
        """Summaries of activities started after `after`, oldest first, page by page (one request each)."""
        ...

    def read_summary(self, payload: Mapping[str, Any]) -> SourceSummary:
        """The listing payload read into the model (no streams); PayloadError when it cannot be."""
        ...

    def is_changed(self, payload: Mapping[str, Any], stored_raw: Mapping[str, Any]) -> bool:
        """Whether the listed summary differs from the stored one in something that matters (sport, gear, ...)."""
        ...

    def has_detail(self, stored_raw: Mapping[str, Any]) -> bool:
        """Whether the stored raw data already holds the detail (description, laps, streams were fetched)."""
        ...

    def summary_record(
        self, payload: Mapping[str, Any], stored_raw: Mapping[str, Any]
    ) -> tuple[Activity, Mapping[str, Any]]:
        """What to store for a new or changed summary, keeping the detail fetched earlier."""
        ...

    def fetch(self, summary: SourceSummary, known_streams: Streams | None) -> FetchedActivity:
        """The detail (and streams unless `known_streams` already has them) and the shoe, for one activity."""
        ...


# ---- the store, one port per aggregate (adapters/db implements them all in `Store`; tests use in-memory fakes) --


class MapTileRepository(Protocol):
    """Surface-map answers cached per tile: opaque bytes keyed by (source, tile), with when they were fetched."""

    def get(self, source: str, tile: str) -> tuple[datetime, bytes] | None: ...

    def put(self, source: str, tile: str, data: bytes, fetched_at: datetime) -> None: ...


class AccountRepository(Protocol):
    """Linked accounts and their schedule: claimed with a lease, released with the next due time and cursor."""

    def list_accounts(self) -> list[AccountRecord]: ...

    def claim_accounts(
        self, worker: str, *, now: datetime, lease_s: float, limit: int, provider: str | None = None
    ) -> list[AccountRecord]: ...

    def release_account(
        self, account_id: int, worker: str, *, next_due_at: datetime, sync_cursor: str | None = None
    ) -> bool: ...

    def set_account_state(self, account_id: int, state: str, message: str | None = None) -> None: ...


class AthleteRepository(Protocol):
    def get_athlete(self, athlete_id: int) -> AthleteRecord: ...


class HistoryReader(Protocol):
    """An athlete's history rows over a span (the cut is the domain's: `syncd.services.history`)."""

    def history_rows(self, athlete_id: int, start: datetime, end: datetime) -> list[HistoryRow]: ...


class ActivityRepository(Protocol):
    """Activities with their streams and raw payloads, and the athletes' shoes."""

    def upsert_activity(
        self, athlete_id: int, activity: Activity, raw: Mapping[str, object], *, needs_annotation: bool = False
    ) -> UpsertResult:
        """Insert or update by (source, external_id), one write; `activity.streams` None keeps the stored streams.

        `raw` is stored as given (what the platform sent). Storing content clears the activity's sync failure;
        `needs_annotation` marks it until its annotation is saved (otherwise the mark is left as it is)."""
        ...

    def record_sync_failure(self, activity_id: int, failure: SyncFailure) -> None:
        """Remember the detail fetch's bad payload and its backoff (the stored content is left as it is)."""
        ...

    def set_input_warning(self, activity_id: int, kind: str, message: str | None) -> None:
        """Keep (or with None, clear) a value-free warning about bad input on this activity, for `syncd status`."""
        ...

    def mark_deleted(self, source: str, external_id: str) -> bool: ...

    def get_activity(self, activity_id: int, *, with_streams: bool = True) -> StoredActivity: ...

    def find_activity_id(self, source: str, external_id: str) -> int | None: ...

    def iter_activities(
        self, *, athlete_id: int | None = None, since: datetime | None = None, with_streams: bool = False
    ) -> Iterator[StoredActivity]:
        """Not-deleted activities, oldest first."""
        ...

    def platform_ids_since(self, athlete_id: int, source: str, since: datetime) -> list[tuple[str, datetime]]:
        """(external id, start) of the athlete's not-deleted activities from `source` since `since`, oldest first:
        what a sync compares with its listing to find deletions, without loading rows or raw JSON."""
        ...

    def history_rows(self, athlete_id: int, start: datetime, end: datetime) -> list[HistoryRow]:
        """The athlete's not-deleted activities with start <= start_utc < end as history rows, ordered by (start,
        id); the cut (the run itself, its twin, twins once) is the domain's (`syncd.domain.history.History`)."""
        ...

    def upsert_gear(self, athlete_id: int, gear: Gear) -> None: ...

    def get_gear(self, athlete_id: int, gear_id: str) -> Gear | None: ...

    def gear_distance_after(self, athlete_id: int, gear_id: str, after: datetime) -> float:
        """Metres recorded with the shoe by activities started after `after` (twins once)."""
        ...


class TwinRepository(Protocol):
    """The same run from two platforms: facts to match them, and their shared logical group."""

    def twin_facts(self, activity_id: int) -> TwinFacts | None: ...

    def twins_near(
        self, athlete_id: int, start: datetime, within: timedelta, sources: Sequence[str]
    ) -> list[TwinFacts]: ...

    def group_members(self, group: str) -> list[TwinFacts]: ...

    def set_logical_group(self, activity_ids: Sequence[int], group: str | None) -> None: ...

    def alone_since(self, athlete_id: int, source: str, since: datetime) -> list[int]:
        """Ids of the athlete's activities from `source` since `since` that have no twin yet, oldest first."""
        ...


class TwinLinks(Protocol):
    """What linking twins reads and changes, in one transaction: the activities (their streams and warnings) and
    their twin groups. A unit of work inside its `with` block is one (`services.identity`)."""

    @property
    def activities(self) -> ActivityRepository: ...

    @property
    def twins(self) -> TwinRepository: ...


class AnnotationRepository(Protocol):
    def save_annotation(
        self,
        activity_id: int,
        rules_version: str,
        flags: Sequence[Flag],
        note: str | None,
        *,
        write_back_to: Sequence[str] = (),
        platform_note: str | None = None,
    ) -> bool:
        """Append unless equal to the latest, queueing a changed note for `write_back_to` in the same transaction
        (`platform_note` when given: the platform's wording), and clear the activity's `needs_annotation` mark;
        True when an annotation was written."""
        ...

    def latest_annotation(self, activity_id: int) -> AnnotationRecord | None: ...


class OutboxRepository(Protocol):
    def enqueue_writeback(self, activity_id: int, provider: str, note: str) -> int:
        """Queue `note` for the platform; a still-pending item for the same activity and platform gets it."""
        ...


class OutboxLogRepository(Protocol):
    """What the outbox remembers about finished writes (the merge needs "did we ever write a block here?")."""

    def was_written(self, activity_id: int, provider: str) -> bool: ...

    def record_result(self, item_id: int, worker: str, payload: Mapping[str, Any]) -> bool: ...

    def pending_items(
        self, *, limit: int = 1000, providers: Sequence[str] | None = None, held: Collection[int] = ()
    ) -> list[PendingItem]:
        """Pending items (and the `held` ones named), without claiming them: the dry run."""
        ...

    def done_items(self, provider: str) -> list[tuple[str, int]]: ...

    def platform_writes(self, activity_id: int) -> list[PlatformWrite]:
        """Per platform, the newest outbox item and the text syncd last left there (the activity page)."""
        ...

    def summary(self) -> dict[str, Any]:
        """The outbox by state, for `syncd status`."""
        ...

    def held_counts(self) -> list[dict[str, Any]]:
        """Held notes per athlete, platform and reason: {"athlete_id", "provider", "reason", "count"}."""
        ...


class UnitOfWork(Protocol):
    """One transaction over the store (as in cosmicpython): it hands out the per-aggregate repositories, and what
    they write inside one `with uow:` block is kept only if `commit()` is called before the block ends; an
    exception, `rollback()` or leaving without a commit discards all of it. The sync pipeline stores, annotates
    and queues each run in one such block, so a fault in between leaves nothing of that run half-done. Reusable:
    each `with` block is a new transaction; outside one the repositories must not be used."""

    @property
    def athletes(self) -> AthleteDirectory: ...

    @property
    def activities(self) -> ActivityRepository: ...

    @property
    def gear(self) -> GearRepository: ...

    @property
    def twins(self) -> TwinRepository: ...

    @property
    def annotations(self) -> AnnotationRepository: ...

    @property
    def outbox(self) -> OutboxRepository: ...

    @property
    def pain_diary(self) -> PainDiary | None:
        """The pain diary in the same transaction (None: a store that keeps none, as the unit tests' fakes)."""
        ...

    @property
    def annotation_batches(self) -> AnnotationBatchRepository:
        """Many annotations and their queued notes saved in one write, and the batch reads and stale marks, in the
        same transaction."""
        ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...

    def commit(self) -> None:
        """Keep what this block wrote; the block may go on (a later write needs another commit)."""
        ...

    def rollback(self) -> None:
        """Discard what this block wrote since its start or its last commit."""
        ...


class UnitsOfWork(Protocol):
    """A store that hands out units of work over itself."""

    def unit_of_work(self) -> UnitOfWork: ...


class OutboxClaims(Protocol):
    """The write-back outbox's drain side: claims with leases, their outcomes, the held items."""

    def claim_writebacks(
        self, worker: str, *, now: datetime, lease_s: float, limit: int, providers: Collection[str] | None = None
    ) -> list[OutboxItem]: ...

    def complete_writeback(self, item_id: int, worker: str) -> bool: ...

    def fail_writeback(self, item_id: int, worker: str, error: str, retry_at: datetime | None) -> bool:
        """Give the item back for a retry at `retry_at` (None: give up)."""
        ...

    def hold_writeback(self, item_id: int, worker: str, payload: Mapping[str, Any]) -> bool:
        """Hold the item, with why (`payload`), until a settings change allows it (write_back_policy)."""
        ...

    def held_writebacks(self, *, providers: Collection[str] | None = None) -> list[HeldItem]: ...

    def release_writebacks(self, item_ids: Sequence[int]) -> int:
        """Give held items back to the queue, due now."""
        ...


class AppearanceReads(Protocol):
    """When the athlete's activities appeared (adaptive polling learns the hours from them)."""

    def recent_appearances(self, athlete_id: int, since: datetime) -> list[tuple[datetime, float, int]]:
        """(start_utc, elapsed seconds, utc offset) of the athlete's activities since `since`."""
        ...


class RateBudgetReading(Protocol):
    def state(self, now: datetime) -> BudgetState:
        """The shared budget's counters as of `now` (windows rolled over)."""
        ...


class RateBudgets(Protocol):
    """The shared API rate budgets, one per key (a platform's app)."""

    def rate_budget(self, key: str) -> RateBudgetReading: ...


class AccountList(Protocol):
    """The linked accounts, as listed."""

    def list_accounts(self) -> list[AccountRecord]: ...


class SigningKeys(Protocol):
    """Keys for links that work without a login (digest unsubscribe, the check-in)."""

    def signing_key(self, purpose: str) -> bytes:
        """A key derived from the encryption key (StoreError when the store was opened without it)."""
        ...


# ---- the rest of the store, per aggregate, and what each use case needs of it ----------------------------------


class AthleteDirectory(AthleteRepository, Protocol):
    """The athletes and their settings (`syncd athlete set`); a settings change marks the affected notes stale."""

    def list_athletes(self) -> list[AthleteRecord]: ...

    def ensure_athlete(
        self, key: str, *, name: str = "", timezone_name: str | None = None, units: str = "metric"
    ) -> int: ...

    def set_athlete_settings(self, athlete_id: int, **changes: Any) -> None: ...

    def follow_default_units(self, units: str) -> list[int]:
        """The athletes who follow the configured units (no own choice), after the default changed."""
        ...

    def mark_annotations_stale(self, athlete_id: int, *, gear_id: str | None = None) -> int: ...


class GearRepository(Protocol):
    def list_gear(self, athlete_id: int) -> list[Gear]: ...

    def set_gear_limit(self, athlete_id: int, gear_id: str, limit_m: float | None) -> bool: ...


class AccountLinks(Protocol):
    """Linking and unlinking platform accounts: the encrypted tokens live with the account."""

    def list_accounts(self) -> list[AccountRecord]: ...

    def upsert_account(
        self, athlete_id: int, provider: str, external_id: str, tokens: Mapping[str, object] | None
    ) -> int: ...

    def set_account_tokens(self, account_id: int, tokens: Mapping[str, object]) -> None: ...

    def get_account_tokens(self, account_id: int) -> dict[str, object] | None: ...

    def set_account_state(self, account_id: int, state: str, message: str | None = None) -> None: ...


class AccountLeaseRepository(Protocol):
    """The accounts' leases outside a sync turn: a worker's leases given back, an account made due, its removal."""

    def take_over_dead_workers(self) -> dict[str, int]: ...

    def release_worker(self, worker: str) -> int: ...

    def mark_due(self, provider: str, external_id: str, now: datetime | None = None) -> bool: ...

    def last_synced(self) -> dict[int, datetime]: ...

    def delete_account(self, account_id: int, *, gear_providers: Sequence[str]) -> tuple[int, str, int] | None:
        """Remove the account (and its platform's gear); (athlete id, provider, activities kept) or None."""
        ...


class DigestRepository(Protocol):
    """Weekly digests claimed per (athlete, week) with a lease, so two workers never send the same one."""

    def claim_digest(
        self, athlete_id: int, week: str, worker: str, *, now: datetime, lease_s: float, retry_early: bool = False
    ) -> bool: ...

    def mark_digest_sent(self, athlete_id: int, week: str, worker: str) -> bool: ...

    def fail_digest(
        self, athlete_id: int, week: str, worker: str, error: str, *, retry_at: datetime | None = None
    ) -> bool: ...


class DigestLogRepository(Protocol):
    def state(self, athlete_id: int, week: str) -> DigestState | None: ...

    def failures(self, limit: int = 20) -> list[dict[str, Any]]: ...

    def sent_count(self) -> int: ...


class ActivityReadRepository(AppearanceReads, Protocol):
    """The feed's reads, with a cache that any write to the activities or annotations invalidates."""

    def feed_page(
        self, feed_filter: FeedFilter, *, page: int = 1, per_page: int = 50, before: FeedCursor | None = None
    ) -> FeedPage: ...

    def feed_item(self, activity_id: int) -> FeedRow: ...

    def sports_in_use(self, athlete_id: int | None = None) -> list[str]: ...

    def latest_start(self, athlete_id: int) -> datetime | None: ...

    def cached[T](self, key: tuple[Any, ...], compute: Callable[[], T]) -> T: ...

    def latest_zone(self, athlete_id: int) -> tuple[str | None, int | None]: ...


class AnnotationBatchRepository(Protocol):
    """Annotating many stored activities: a chunk's activities and history in a few queries, one write."""

    def load(self, ids: Sequence[int]) -> dict[int, LoadedActivity]: ...

    def history_rows(self, athlete_id: int, start: datetime, end: datetime) -> list[HistoryRow]: ...

    def count_activities(self, athlete_id: int, since: datetime | None = None) -> int: ...

    def stale_ids(
        self, athlete_id: int, version: str, since: datetime | None = None, *, before: datetime | None = None
    ) -> list[int]: ...

    def awaiting_streams_ids(self, athlete_id: int, source: str, *, before: datetime) -> list[int]:
        """Runs from `source` started before `before` whose samples are still on the platform, newest first."""
        ...

    def marked_stale_ids(self, athlete_id: int) -> list[int]: ...

    def mark_stale_between(self, athlete_id: int, after: datetime, until: datetime) -> int: ...

    def unqueued_notes(self, athlete_id: int, since: datetime) -> list[tuple[int, str]]: ...

    def save(self, items: Sequence[NewAnnotation], *, now: datetime) -> list[bool]: ...


class PainDiary(Protocol):
    """The athlete's pain entries (typed, tagged in a title, eased) and their own advice mode. Health data: never
    logged, never on an unauthenticated page."""

    def record(self, entry: PainEntry, *, now: datetime | None = None) -> PainEntry: ...

    def tag_entry(self, activity_id: int) -> PainEntry | None: ...

    def tagged_activities(self, activity_ids: Sequence[int]) -> set[int]: ...

    def remove_tag(self, activity_id: int) -> bool: ...

    def entries(
        self, athlete_id: int | None = None, *, day_from: date | None = None, day_to: date | None = None
    ) -> list[PainEntry]: ...

    def delete_athlete(self, athlete_id: int) -> int: ...

    def count(self, athlete_id: int) -> int: ...

    def advice_mode(self, athlete_id: int) -> str | None: ...

    def set_advice_mode(self, athlete_id: int, mode: str | None) -> None: ...

    def first_activity_day(self, athlete_id: int) -> date | None: ...

    def keep_description(self, activity_id: int, text: str | None) -> None: ...

    def mark_runs_stale(self, athlete_id: int, day_from: date, day_to: date) -> int: ...


@runtime_checkable
class KeepsDiary(Protocol):
    """A store with a pain diary (the database Store; the unit tests' in-memory fakes keep none)."""

    @property
    def pain_diary(self) -> PainDiary: ...


class LatestAnnotations(Protocol):
    def latest_annotations(self, activity_ids: Sequence[int]) -> dict[int, AnnotationRecord]:
        """The current annotation of each activity that has one, in a few queries (the flare-up analysis)."""
        ...


class AthletesAndAccounts(Protocol):
    """Who the athletes are and which have linked accounts (the owner: the one athlete with a link)."""

    def list_athletes(self) -> list[AthleteRecord]: ...

    def list_accounts(self) -> list[AccountRecord]: ...


class DiaryReads(Protocol):
    """The diary as `syncd pain --list` and `syncd athlete show` read it."""

    def entries(
        self, athlete_id: int | None = None, *, day_from: date | None = None, day_to: date | None = None
    ) -> list[PainEntry]: ...

    def advice_mode(self, athlete_id: int) -> str | None: ...


class NotifyTargetReads(Protocol):
    """An athlete's own push targets and the kinds of message they turned off."""

    def targets(self, athlete_id: int) -> list[str]: ...

    def muted(self, athlete_id: int) -> set[str]: ...


class KeepsNotifyTargets(Protocol):
    @property
    def notifications(self) -> NotifyTargetReads: ...


class AthleteReads(AthletesAndAccounts, KeepsNotifyTargets, Protocol):
    """What `syncd athlete show` and `syncd pain --list` read: the database Store, or the CLI's read-only store
    without SQLAlchemy (adapters/db/read_store.py, issue 32)."""

    def list_gear(self, athlete_id: int) -> list[Gear]: ...

    @property
    def pain_diary(self) -> DiaryReads: ...

    def close(self) -> None: ...


class KeepsAccountLeases(Protocol):
    @property
    def account_leases(self) -> AccountLeaseRepository: ...


class OutboxSummary(Protocol):
    def summary(self) -> dict[str, Any]:
        """Depth by status, the held notes and the last errors."""
        ...

    def held_counts(self) -> list[dict[str, Any]]:
        """Held notes per athlete, platform and reason (`syncd status`, `syncd accounts`)."""
        ...


class LastSynced(Protocol):
    def last_synced(self) -> dict[int, datetime]: ...


class DigestCounts(Protocol):
    def failures(self, limit: int = 20) -> list[dict[str, Any]]: ...

    def sent_count(self) -> int: ...


class StreamsWaiting(Protocol):
    def awaiting_streams_ids(self, athlete_id: int, source: str, *, before: datetime) -> list[int]: ...


class StoreFacts(Protocol):
    """Where the store is and how much it holds, and the bad input it kept going past (`syncd status`)."""

    @property
    def shown_url(self) -> str:
        """The database URL with any password hidden."""
        ...

    def counts(self) -> dict[str, int]: ...

    def input_warnings(self, *, limit: int = 20) -> list[InputWarning]: ...


class PushSender(Protocol):
    """Delivers one push message to one Apprise URL (adapters/notify.py), or raises an exception whose text holds
    no secret."""

    def send(self, url: str, message: Message) -> None: ...


class NotificationLog(Protocol):
    def summary(self) -> list[dict[str, Any]]:
        """Per push target: sent, waiting (with the next attempt), failed for good, the last error (no secret)."""
        ...


class NotificationOutbox(NotificationLog, Protocol):
    """The athletes' own push targets (encrypted) and the notification outbox, leased like the write-back one."""

    def set_targets(self, athlete_id: int, urls: list[str]) -> None: ...

    def targets(self, athlete_id: int) -> list[str]: ...

    def set_muted(self, athlete_id: int, kinds: list[str]) -> None: ...

    def muted(self, athlete_id: int) -> set[str]: ...

    def athletes_with_targets(self) -> list[int]: ...

    def flagged_since(self, started_after: datetime) -> list[int]: ...

    def has(self, athlete_id: int, kind: str, ref: str) -> bool: ...

    def queued_since(self, athlete_id: int, kind: str, since: datetime) -> bool: ...

    def enqueue(
        self,
        athlete_id: int,
        kind: str,
        ref: str,
        target: str,
        *,
        scheme: str,
        title: str,
        body: str,
        link: str | None,
        not_before: datetime,
        now: datetime | None = None,
    ) -> bool: ...

    def claim(
        self,
        worker: str,
        *,
        now: datetime,
        lease_s: float,
        limit: int,
        exclude: Collection[tuple[int, str]] = (),
        only: tuple[int, str] | None = None,
    ) -> list[QueuedNotification]: ...

    def sent(self, item_id: int, worker: str) -> bool: ...

    def failed(self, item_id: int, worker: str, error: str, retry_at: datetime | None) -> bool: ...

    def prune(self, before: datetime) -> int: ...


@runtime_checkable
class KeepsNotifications(Protocol):
    """A store with the push-notification outbox (the database Store; the unit tests' fakes keep none)."""

    @property
    def notifications(self) -> NotificationLog: ...
