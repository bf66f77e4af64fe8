"""Use case: one Strava account's incremental sync, and a pass over every due account plus the outbox.

Per poll: list `athlete/activities` after min(cursor - overlap, now - rescan) (one request when nothing is new),
store every summary raw, and for runs inside the annotation window fetch the detail (description, gear, laps,
workout type) and streams - newest first, so a tight budget goes to what the athlete just did. Non-runs never cost
more than the list (they count for cross-training). Activities that vanished from the re-scanned range are marked
deleted; edits (sport type, gear, privacy) are picked up by comparing the summary. Stored runs are then annotated
oldest first and their notes queued for write-back. Malformed payloads are logged with the activity id and
skipped; a rate limit stops this account (and leaves unfetched runs pending for the next poll).
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import structlog

from syncd.adapters.clock import SystemClock
from syncd.adapters.payload import PayloadError
from syncd.adapters.strava.api import Budget, Endpoint, StravaApi
from syncd.adapters.strava.errors import (
    AppInactiveError,
    BadResponseError,
    GoneError,
    RateLimitedError,
    StravaError,
    UnauthorizedError,
)
from syncd.adapters.strava.mapping import (
    activity_from_payload,
    activity_id,
    gear_from_payload,
    streams_from_payload,
)
from syncd.adapters.strava.writer import StravaDescriptionWriter
from syncd.domain.model import Streams
from syncd.domain.rate_budget import DEFAULT_READ_DAILY_LIMIT, POLL_JITTER, PollPlan, plan_polling
from syncd.ports import Clock
from syncd.services.accounts import PROVIDER, AccountTokens, mark_needs_relink
from syncd.services.annotating import AnnotationPolicy, annotate_stored
from syncd.services.poll_planning import athlete_schedule
from syncd.services.write_back_policy import write_back_providers
from syncd.services.writeback import WriteBackMode, WritebackReport, drain_outbox

if TYPE_CHECKING:
    from syncd.adapters.db.records import AccountRecord
    from syncd.adapters.db.repository import Store

EXPORT_PREFIX = "strava-export:"  # ids given by `syncd import strava-export.zip` (adapters/files/export.py)
SUMMARY_KEYS = (
    "sport_type",
    "type",
    "gear_id",
    "distance",
    "moving_time",
    "elapsed_time",
    "name",
    "private",
    "visibility",
    "workout_type",
    "start_date",
    "trainer",
)
log = structlog.stdlib.get_logger("syncd.strava_sync")  # lazy: resolved after configure_logging


@dataclass(frozen=True)
class SyncOptions:
    annotation_window: timedelta = timedelta(days=30)
    rescan: timedelta = timedelta(days=7)
    # The first sync lists this far back (None: everything). Listing is cheap (200 summaries a request) and gives
    # load, cross-training and the feed the whole history; only runs inside the annotation window cost more.
    first_history: timedelta | None = None
    overlap: timedelta = timedelta(hours=2)
    per_page: int = 200
    write_back: WriteBackMode = "off"


@dataclass
class SyncReport:
    account_id: int
    listed: int = 0
    stored: int = 0
    detailed: int = 0
    deleted: int = 0
    annotated: int = 0
    queued: int = 0
    pending: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    stopped: str | None = None
    resume_at: datetime | None = None
    cursor: str | None = None


def _signature(summary: Mapping[str, Any]) -> list[Any]:
    return [summary.get(k) for k in SUMMARY_KEYS]


def sync_account(
    store: Store,
    account: AccountRecord,
    api: StravaApi,
    policy: AnnotationPolicy,
    options: SyncOptions,
    *,
    now: datetime,
    on_detail: Callable[[int, Mapping[str, Any]], None] | None = None,
) -> SyncReport:
    """Sync one account; raises UnauthorizedError/AppInactiveError (the caller decides), never for one bad activity."""
    report = SyncReport(account.id, cursor=account.sync_cursor)
    athlete_id = account.athlete_id
    window_start = now - options.annotation_window
    if account.sync_cursor and account.sync_cursor.isdigit():
        after_dt = min(datetime.fromtimestamp(int(account.sync_cursor), UTC) - options.overlap, now - options.rescan)
    elif options.first_history is not None:
        after_dt = window_start - options.first_history
    else:
        after_dt = datetime.fromtimestamp(0, UTC)
    after = int(after_dt.timestamp())

    # 1. list (ascending when `after` is given), store new/changed summaries page by page: a first sync of years
    # of history holds one page (200 summaries) at a time, never the whole list
    seen: set[str] = set()
    need_detail: list[tuple[datetime, str, dict[str, Any], int | None]] = []
    newest_start: datetime | None = None
    complete = False
    try:
        page = 1
        while True:
            batch = api.list_activities(after=after, page=page, per_page=options.per_page)
            report.listed += len(batch)
            _store_summaries(
                store, athlete_id, batch, window_start=window_start, report=report, seen=seen, need_detail=need_detail
            )
            starts = [start for start in map(_start_of, batch) if start is not None]
            if starts:
                newest_start = max(starts) if newest_start is None else max(newest_start, *starts)
            if len(batch) < options.per_page:
                complete = True
                break
            page += 1
    except RateLimitedError as exc:
        report.stopped, report.resume_at = str(exc), exc.resume_at
    except BadResponseError as exc:
        report.stopped = str(exc)

    # 2. deletions inside the re-scanned range (only when the listing was complete)
    if complete:
        from syncd.adapters.db.poll_queries import platform_ids_since

        stored_ids = platform_ids_since(store.engine, athlete_id, PROVIDER, after_dt + timedelta(seconds=1))
        gone = [ext_id for ext_id, start in stored_ids if ext_id not in seen and start <= now]
        for ext_id in gone:
            if store.mark_deleted(PROVIDER, ext_id):
                report.deleted += 1
                log.info("strava_activity_deleted", activity_id=ext_id)

    # 3. details and streams, newest first
    need_detail.sort(key=lambda item: item[0], reverse=True)
    detailed: list[tuple[datetime, int]] = []
    pending_starts: list[datetime] = []
    for index, (start, ext_id, summary, _existing) in enumerate(need_detail):
        if report.stopped and report.resume_at is not None:
            pending_starts.extend(item[0] for item in need_detail[index:])
            break
        try:
            stored_id = _fetch_detail(
                store, api=api, athlete_id=athlete_id, ext_id=ext_id, summary=summary, on_detail=on_detail
            )
            detailed.append((start, stored_id))
            report.detailed += 1
        except RateLimitedError as exc:
            report.stopped, report.resume_at = str(exc), exc.resume_at
            pending_starts.extend(item[0] for item in need_detail[index:])
            break
        except (PayloadError, GoneError, BadResponseError) as exc:
            report.skipped.append((ext_id, str(exc)))
            log.warning("strava_activity_skipped", activity_id=ext_id, error=str(exc))
        except (UnauthorizedError, AppInactiveError):
            raise
        except StravaError as exc:  # transient errors that outlived their retries: try again next poll
            pending_starts.append(start)
            report.skipped.append((ext_id, str(exc)))
            log.warning("strava_activity_deferred", activity_id=ext_id, error=str(exc))
    report.pending = len(pending_starts)

    # 4. annotate oldest first, queue notes
    providers = write_back_providers(strava=options.write_back)
    for _start, stored_id in sorted(detailed):
        try:
            outcome = annotate_stored(store, stored_id, policy, now=now, write_back_providers=providers)
        except Exception as exc:  # one activity's rules fault never stops the others
            report.skipped.append((str(stored_id), f"annotation failed: {type(exc).__name__}: {exc}"))
            log.warning("annotation_failed", activity_id=stored_id, error=str(exc))
            continue
        report.annotated += 1
        report.queued += outcome.queued_writeback

    # 5. cursor: newest start we are done with; never past a run still waiting for its detail
    if pending_starts:
        report.cursor = str(int((min(pending_starts) - timedelta(seconds=1)).timestamp()))
    elif newest_start is not None:
        previous = int(account.sync_cursor) if account.sync_cursor and account.sync_cursor.isdigit() else 0
        report.cursor = str(max(int(newest_start.timestamp()), previous))
    return report


def _store_summaries(
    store: Store,
    athlete_id: int,
    summaries: list[dict[str, Any]],
    *,
    window_start: datetime,
    report: SyncReport,
    seen: set[str],
    need_detail: list[tuple[datetime, str, dict[str, Any], int | None]],
) -> None:
    """Store one page's new/changed summaries; runs inside the window that need their detail go to `need_detail`."""
    for summary in summaries:
        try:
            ext_id = activity_id(summary)
            seen.add(ext_id)
            mapped = activity_from_payload(summary)
        except PayloadError as exc:
            report.skipped.append((str(summary.get("id")), str(exc)))
            log.warning("strava_payload_skipped", activity_id=summary.get("id"), error=str(exc))
            continue
        existing_id = store.find_activity_id(PROVIDER, ext_id)
        old_raw: dict[str, Any] = {}
        if existing_id is not None:
            old_raw = dict(store.get_activity(existing_id, with_streams=False).raw)
        old_summary = old_raw.get("summary") if isinstance(old_raw.get("summary"), dict) else None
        old_detail = old_raw.get("detail") if isinstance(old_raw.get("detail"), dict) else None
        changed = old_summary is None or _signature(old_summary) != _signature(summary)
        wants_detail = mapped.sport.is_run and mapped.start_utc >= window_start
        if wants_detail and (changed or old_detail is None):
            need_detail.append((mapped.start_utc, ext_id, summary, existing_id))
        if changed:
            payload = {**(old_detail or {}), **summary}
            try:
                activity = activity_from_payload(payload)
            except PayloadError as exc:
                report.skipped.append((ext_id, str(exc)))
                continue
            store.upsert_activity(athlete_id, activity, {"summary": summary, "detail": old_detail})
            report.stored += 1


def _start_of(summary: Mapping[str, Any]) -> datetime | None:
    value = summary.get("start_date")
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return None


def _fetch_detail(
    store: Store,
    *,
    api: StravaApi,
    athlete_id: int,
    ext_id: str,
    summary: Mapping[str, Any],
    on_detail: Callable[[int, Mapping[str, Any]], None] | None,
) -> int:
    """GET the detail (and streams unless an imported export already has them); store; returns the stored id."""
    detail = api.activity(ext_id)
    twin_id = store.find_activity_id("file", EXPORT_PREFIX + ext_id)
    streams: Streams | None = None
    if twin_id is not None:
        streams = store.get_activity(twin_id, with_streams=True).activity.streams
    if streams is None:
        try:
            streams = streams_from_payload(api.streams(ext_id))
        except GoneError:
            streams = None  # manual entries have no streams
    activity = activity_from_payload(detail, streams)
    gear = detail.get("gear")
    if isinstance(gear, dict) and gear.get("id"):
        try:
            item = gear_from_payload(gear)
            if item.kind == "shoe":
                store.upsert_gear(athlete_id, item)
        except PayloadError as exc:
            log.warning("strava_gear_skipped", activity_id=ext_id, error=str(exc))
    result = store.upsert_activity(athlete_id, activity, {"summary": dict(summary), "detail": detail})
    if twin_id is not None:
        store.mark_deleted("file", EXPORT_PREFIX + ext_id)  # one logical activity: the synced one wins
    if on_detail is not None:
        on_detail(athlete_id, detail)
    return result.activity_id


# ---- a pass over every due account -------------------------------------------------------------------------


@dataclass
class AccountOutcome:
    account_id: int
    external_id: str
    report: SyncReport | None = None
    error: str | None = None


@dataclass
class PassReport:
    accounts: list[AccountOutcome] = field(default_factory=list)
    writeback: WritebackReport | None = None
    plan: PollPlan | None = None


@dataclass(frozen=True)
class PollSettings:
    share_pct: float = 25.0
    min_interval_s: float = 900.0
    webhook: bool = False  # a push subscription exists: polling is only a daily safety re-scan
    jitter: float = POLL_JITTER  # each account's poll is offset by up to this fraction of an hour (spreading)


class StravaService:
    """Everything Strava for one process: per-account APIs (tokens, shared budget), sync passes, the writer."""

    def __init__(
        self,
        store: Store,
        endpoint: Endpoint,
        *,
        budget: Budget | None,
        policy: AnnotationPolicy,
        options: SyncOptions,
        poll: PollSettings | None = None,
        clock: Clock | None = None,
        write_reserve: int = 20,
        sleep: Callable[[float], None] | None = None,
        backoff_s: float = 1.0,
    ) -> None:
        self.store = store
        self.endpoint = endpoint
        self.budget = budget
        self.policy = policy
        self.options = options
        self.poll = poll or PollSettings()
        self.clock: Clock = clock or SystemClock()
        self.write_reserve = write_reserve
        self._sleep = sleep
        self._backoff_s = backoff_s
        self._apis: dict[int, StravaApi] = {}
        self.writer = StravaDescriptionWriter(self.api_for_athlete)

    def api_for_account(self, account_id: int) -> StravaApi:
        if account_id not in self._apis:
            tokens = AccountTokens(self.store, account_id, self.endpoint, clock=self.clock)
            kwargs: dict[str, Any] = {"sleep": self._sleep} if self._sleep is not None else {}
            self._apis[account_id] = StravaApi(
                self.endpoint,
                tokens,
                budget=self.budget,
                clock=self.clock,
                write_reserve=self.write_reserve,
                backoff_s=self._backoff_s,
                **kwargs,
            )
        return self._apis[account_id]

    def _account_of(self, athlete_id: int) -> AccountRecord:
        for account in self.store.list_accounts():
            if account.provider == PROVIDER and account.athlete_id == athlete_id:
                return account
        raise UnauthorizedError(f"athlete {athlete_id} has no linked Strava account; run `syncd link strava`")

    def api_for_athlete(self, athlete_id: int) -> StravaApi:
        return self.api_for_account(self._account_of(athlete_id).id)

    def requests_sent(self) -> int:
        return sum(api.stats.reads + api.stats.writes for api in self._apis.values())

    def use_webhook(self, enabled: bool) -> None:
        """Poll daily (a push subscription delivers the changes) or at the normal interval; the daemon decides."""
        self.poll = replace(self.poll, webhook=enabled)

    def push_subscriptions(self) -> list[Any]:
        """This app's Strava push subscriptions (what `syncd webhook list` shows); raises on any failure."""
        from syncd.adapters.strava.client import make_client

        endpoint = self.endpoint
        client = make_client(endpoint.api_url, endpoint.oauth_url, timeout_s=endpoint.timeout_s)
        return list(client.list_subscriptions(endpoint.client_id, endpoint.client_secret))

    def plan(self) -> PollPlan:
        accounts = [a for a in self.store.list_accounts() if a.provider == PROVIDER and a.state == "ok"]
        state = getattr(self.budget, "state", None)  # the database budget knows Strava's real limit
        limit = int(state(self.clock.now()).read_daily_limit) if callable(state) else DEFAULT_READ_DAILY_LIMIT
        return plan_polling(
            len(accounts),
            read_daily_limit=limit,
            share_pct=self.poll.share_pct,
            min_interval_s=self.poll.min_interval_s,
            webhook=self.poll.webhook,
        )

    def sync_due(self, worker: str, *, limit: int = 50, lease_s: float = 900.0) -> PassReport:
        """Sync every due Strava account once (each fault stays with its account)."""
        report = PassReport(plan=self.plan())
        now = self.clock.now()
        for account in self.store.claim_accounts(worker, now=now, lease_s=lease_s, limit=limit, provider=PROVIDER):
            report.accounts.append(self._sync_one(account, worker, report.plan))
        return report

    def _sync_one(self, account: AccountRecord, worker: str, plan: PollPlan | None) -> AccountOutcome:
        outcome = AccountOutcome(account.id, account.external_id)
        now = self.clock.now()
        next_due = now + timedelta(seconds=plan.interval_s if plan else 900)
        cursor: str | None = None
        try:
            sync = sync_account(
                self.store,
                account,
                self.api_for_account(account.id),
                self.policy,
                self.options,
                now=now,
                on_detail=self.writer.remember,
            )
            outcome.report, cursor = sync, sync.cursor
            if sync.resume_at is not None:
                next_due = max(sync.resume_at, now)
            elif plan is not None:
                # Adaptive: around the hours the athlete's activities usually appear, plus a daily safety poll
                # (the only one with the webhook); a few minutes' offset spreads accounts (not security).
                schedule = athlete_schedule(
                    self.store, account.athlete_id, now=now, webhook=self.poll.webhook, plan=plan
                )
                offset = timedelta(seconds=random.uniform(0, self.poll.jitter * 3600))
                next_due = schedule.next_poll(now, offset=offset)
            if account.state_message:
                self.store.set_account_state(account.id, "ok", None)
            log.info(
                "strava_synced",
                account_id=account.id,
                listed=sync.listed,
                detailed=sync.detailed,
                annotated=sync.annotated,
                queued=sync.queued,
                deleted=sync.deleted,
                stopped=sync.stopped,
            )
        except UnauthorizedError as exc:
            outcome.error = str(exc)
            mark_needs_relink(self.store, account.id, str(exc))
        except AppInactiveError as exc:
            outcome.error = str(exc)
            self.store.set_account_state(account.id, "ok", str(exc))  # app-wide; not retried in a loop
            next_due = now + timedelta(hours=6)
            log.error("strava_application_inactive", account_id=account.id, message=str(exc))
        except Exception as exc:  # one account's fault never stops the others
            outcome.error = f"{type(exc).__name__}: {exc}"
            log.error("strava_sync_failed", account_id=account.id, error=outcome.error)
            next_due = now + timedelta(minutes=30)
        finally:
            self.store.release_account(account.id, worker, next_due_at=next_due, sync_cursor=cursor)
        return outcome

    def drain(self, worker: str, *, dry_run: bool = False, limit: int = 100) -> WritebackReport:
        def unauthorized(athlete_id: int, _provider: str, message: str) -> None:
            with contextlib.suppress(UnauthorizedError):
                mark_needs_relink(self.store, self._account_of(athlete_id).id, message)

        mode: WriteBackMode = self.options.write_back
        return drain_outbox(
            self.store,
            {PROVIDER: self.writer},
            worker=worker,
            now=self.clock.now,
            modes={PROVIDER: mode},
            dry_run=dry_run,
            limit=limit,
            on_unauthorized=unauthorized,
        )

    def run_once(self, worker: str, *, dry_run: bool = False) -> PassReport:
        report = self.sync_due(worker)
        report.writeback = self.drain(worker, dry_run=dry_run)
        return report


def with_write_back(options: SyncOptions, mode: WriteBackMode) -> SyncOptions:
    return replace(options, write_back=mode)
