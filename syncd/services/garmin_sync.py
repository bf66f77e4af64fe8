"""Use case: one Garmin Connect account's incremental sync, and a pass over every due account plus the outbox.

Per poll: list activities by date from the cursor (less an overlap, at least the last `rescan` days), store every
summary raw, and for runs inside the annotation window fetch the activity (description, type), its details
(metrics -> streams), splits (laps) and gear with gear stats (the shoe's maximum distance) - newest first. Runs
and other sessions are matched with their Strava twins (syncd.services.identity) so a run counts once; stored runs
are annotated oldest first and notes queued per `[garmin] write_back` (a Strava twin's per `[strava] write_back`).

Faults: 429 (on a read or a write) stops the account for `[garmin] backoff_hours`; 5xx is retried by the client,
then left for the next poll; a rejected token store marks the account "needs_relink". The session is only ever
resumed from the stored token store: never a password login on a schedule.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import structlog

from syncd.adapters.clock import SystemClock
from syncd.adapters.garmin.api import GarminApi, GarminEndpoint
from syncd.adapters.garmin.errors import (
    GarminBadResponseError,
    GarminError,
    GarminGoneError,
    GarminRateLimitedError,
    GarminUnauthorizedError,
)
from syncd.adapters.garmin.mapping import (
    activity_from_payload,
    activity_id,
    gear_from_payload,
    laps_from_payload,
    shoe_of,
    start_of,
    streams_from_details,
)
from syncd.adapters.garmin.writer import GarminDescriptionWriter
from syncd.adapters.payload import PayloadError
from syncd.domain.model import Activity, Source
from syncd.domain.rate_budget import POLL_JITTER, next_poll_at
from syncd.ports import Clock
from syncd.services.accounts import mark_needs_relink
from syncd.services.annotating import AnnotationPolicy, annotate_stored
from syncd.services.garmin_accounts import PROVIDER
from syncd.services.identity import link_all
from syncd.services.strava_sync import AccountOutcome, PassReport, SyncReport
from syncd.services.write_back_policy import write_back_providers
from syncd.services.writeback import WriteBackMode, WritebackReport, drain_outbox

if TYPE_CHECKING:
    from syncd.adapters.db.records import AccountRecord
    from syncd.adapters.db.repository import Store

SUMMARY_KEYS = (
    "activityType",
    "activityName",
    "distance",
    "duration",
    "movingDuration",
    "startTimeGMT",
    "privacy",
)  # not the description: our own write-back changes it, and the outbox reads it fresh anyway
log = structlog.stdlib.get_logger("syncd.garmin_sync")  # lazy: resolved after configure_logging


@dataclass(frozen=True)
class GarminSyncOptions:
    annotation_window: timedelta = timedelta(days=30)
    rescan: timedelta = timedelta(days=7)
    # The first sync lists this far back: the list is cheap (20 summaries a request) and feeds load and
    # cross-training; only runs inside the annotation window cost more.
    first_history: timedelta = timedelta(days=365)
    overlap: timedelta = timedelta(hours=2)
    poll_interval: timedelta = timedelta(minutes=30)
    write_back: WriteBackMode = "off"
    strava_write_back: WriteBackMode = "off"  # for Strava twins re-annotated after a match


@dataclass
class GarminSyncReport(SyncReport):
    linked: int = 0  # activities found to be the same as a Strava one


def _signature(summary: Mapping[str, Any]) -> list[Any]:
    return [summary.get(k) for k in SUMMARY_KEYS]


def _cursor_start(account: AccountRecord, options: GarminSyncOptions, now: datetime) -> datetime:
    if account.sync_cursor and account.sync_cursor.isdigit():
        return min(datetime.fromtimestamp(int(account.sync_cursor), UTC) - options.overlap, now - options.rescan)
    return now - options.annotation_window - options.first_history


def sync_account(
    store: Store,
    account: AccountRecord,
    api: GarminApi,
    policy: AnnotationPolicy,
    options: GarminSyncOptions,
    *,
    now: datetime,
    on_activity: Callable[[int, Mapping[str, Any]], None] | None = None,
) -> GarminSyncReport:
    """Sync one account; raises GarminUnauthorizedError (the caller decides), never for one bad activity."""
    report = GarminSyncReport(account.id, cursor=account.sync_cursor)
    athlete_id = account.athlete_id
    window_start = now - options.annotation_window
    after_dt = _cursor_start(account, options, now)
    # Garmin lists by the athlete's local date; a day earlier covers every offset from UTC
    first_day = (after_dt - timedelta(days=1)).date()

    summaries: list[dict[str, Any]] = []
    complete = False
    try:
        summaries = api.activities_by_date(first_day)
        complete = True
    except GarminRateLimitedError as exc:
        report.stopped, report.resume_at = str(exc), exc.resume_at
    except GarminUnauthorizedError:
        raise
    except GarminError as exc:
        report.stopped = str(exc)
    report.listed = len(summaries)

    seen: set[str] = set()
    touched: list[int] = []
    need_detail: list[tuple[datetime, str, dict[str, Any]]] = []
    starts: list[datetime] = []
    for summary in summaries:
        try:
            ext_id = activity_id(summary)
            seen.add(ext_id)
            mapped = activity_from_payload(summary)
        except PayloadError as exc:
            report.skipped.append((str(summary.get("activityId")), str(exc)))
            log.warning("garmin_payload_skipped", activity_id=summary.get("activityId"), error=str(exc))
            continue
        starts.append(mapped.start_utc)
        existing_id = store.find_activity_id(PROVIDER, ext_id)
        old_raw: dict[str, Any] = {}
        if existing_id is not None:
            old_raw = dict(store.get_activity(existing_id, with_streams=False).raw)
        old_summary = old_raw.get("summary") if isinstance(old_raw.get("summary"), dict) else None
        has_detail = isinstance(old_raw.get("activity"), dict)
        changed = old_summary is None or _signature(old_summary) != _signature(summary)
        if mapped.sport.is_run and mapped.start_utc >= window_start and (changed or not has_detail):
            need_detail.append((mapped.start_utc, ext_id, summary))
        elif changed:
            raw = {**old_raw, "summary": summary}
            keep = old_raw.get("activity") if has_detail else None
            activity = activity_from_payload({**summary, **({"description": keep.get("description")} if keep else {})})
            result = store.upsert_activity(athlete_id, _with_gear(activity, old_raw), raw)
            touched.append(result.activity_id)
            report.stored += 1

    if complete:
        for stored in store.iter_activities(athlete_id=athlete_id, since=after_dt + timedelta(seconds=1)):
            act = stored.activity
            gone = act.source is Source.GARMIN and act.external_id not in seen and act.start_utc <= now
            if gone and store.mark_deleted(PROVIDER, act.external_id):
                report.deleted += 1
                log.info("garmin_activity_deleted", activity_id=act.external_id)

    need_detail.sort(key=lambda item: item[0], reverse=True)
    detailed: list[tuple[datetime, int]] = []
    pending: list[datetime] = []
    gear_seen: dict[str, Mapping[str, Any]] = {}
    for index, (start, ext_id, summary) in enumerate(need_detail):
        try:
            stored_id = _fetch_detail(
                store,
                api,
                athlete_id=athlete_id,
                ext_id=ext_id,
                summary=summary,
                gear_seen=gear_seen,
                on_activity=on_activity,
            )
        except GarminRateLimitedError as exc:
            report.stopped, report.resume_at = str(exc), exc.resume_at
            pending.extend(item[0] for item in need_detail[index:])
            break
        except GarminUnauthorizedError:
            raise
        except (PayloadError, GarminGoneError, GarminBadResponseError) as exc:
            report.skipped.append((ext_id, str(exc)))
            log.warning("garmin_activity_skipped", activity_id=ext_id, error=str(exc))
            continue
        except GarminError as exc:  # transient faults that outlived the client's retries: next poll
            pending.append(start)
            report.skipped.append((ext_id, str(exc)))
            log.warning("garmin_activity_deferred", activity_id=ext_id, error=str(exc))
            continue
        detailed.append((start, stored_id))
        touched.append(stored_id)
        report.detailed += 1
    report.pending = len(pending)

    # one logical activity per run: match with Strava before annotating, so history counts it once; earlier
    # Garmin activities still alone are tried again (their Strava twin may have arrived since)
    for stored in store.iter_activities(athlete_id=athlete_id, since=after_dt):
        if stored.activity.source is Source.GARMIN and stored.logical_group is None and stored.id not in touched:
            touched.append(stored.id)
    groups = link_all(store, touched)
    report.linked = len(groups)
    own = {stored_id for _start, stored_id in detailed}
    twins = {i for g in groups for i in g.activity_ids if i not in own}

    providers = write_back_providers(garmin=options.write_back, strava=options.strava_write_back)
    for stored_id in [i for _s, i in sorted(detailed)] + sorted(twins):
        try:
            stored = store.get_activity(stored_id, with_streams=False)
            if not stored.activity.sport.is_run or stored.activity.start_utc < window_start:
                continue
            outcome = annotate_stored(store, stored_id, policy, now=now, write_back_providers=providers)
        except Exception as exc:  # one activity's rules fault never stops the others
            report.skipped.append((str(stored_id), f"annotation failed: {type(exc).__name__}: {exc}"))
            log.warning("annotation_failed", activity_id=stored_id, error=str(exc))
            continue
        report.annotated += 1
        report.queued += outcome.queued_writeback

    if pending:
        report.cursor = str(int((min(pending) - timedelta(seconds=1)).timestamp()))
    elif starts and complete:
        previous = int(account.sync_cursor) if account.sync_cursor and account.sync_cursor.isdigit() else 0
        report.cursor = str(max(int(max(starts).timestamp()), previous))
    return report


def _with_gear(activity: Activity, raw: Mapping[str, Any]) -> Activity:
    gear = raw.get("gear")
    if isinstance(gear, list):
        shoe = shoe_of([g for g in gear if isinstance(g, dict)])
        if shoe is not None:
            return replace(activity, gear_id=str(shoe["uuid"]))
    return activity


def _fetch_detail(
    store: Store,
    api: GarminApi,
    *,
    athlete_id: int,
    ext_id: str,
    summary: Mapping[str, Any],
    gear_seen: dict[str, Mapping[str, Any]],
    on_activity: Callable[[int, Mapping[str, Any]], None] | None,
) -> int:
    """GET the activity, its details, splits and gear (+ stats once per pass); store; returns the stored id."""
    activity = api.activity(ext_id)
    start, _offset = start_of(activity)
    details = api.details(ext_id)
    splits = api.splits(ext_id)
    gear_list = api.activity_gear(ext_id)
    streams = streams_from_details(details, start)
    laps = laps_from_payload(splits, start)
    shoe = shoe_of(gear_list)
    gear_id: str | None = None
    if shoe is not None:
        gear_id = str(shoe["uuid"])
        try:
            if gear_id not in gear_seen:
                gear_seen[gear_id] = api.gear_stats(gear_id)
            store.upsert_gear(athlete_id, gear_from_payload(shoe, gear_seen[gear_id]))
        except (PayloadError, GarminGoneError, GarminBadResponseError) as exc:
            log.warning("garmin_gear_skipped", activity_id=ext_id, error=str(exc))
    mapped = activity_from_payload(activity, streams=streams, laps=laps, gear_id=gear_id)
    raw = {"summary": dict(summary), "activity": activity, "splits": splits, "gear": gear_list}
    result = store.upsert_activity(athlete_id, mapped, raw)
    if on_activity is not None:
        on_activity(athlete_id, activity)
    return result.activity_id


# ---- a pass over every due account -------------------------------------------------------------------------


class GarminService:
    """Everything Garmin for one process: per-account sessions (from stored token stores), passes, the writer.

    `drain` writes Garmin's queued notes (the outbox claim takes only Garmin's items; Strava drains its own).
    """

    def __init__(
        self,
        store: Store,
        endpoint: GarminEndpoint,
        *,
        policy: AnnotationPolicy,
        options: GarminSyncOptions,
        clock: Clock | None = None,
    ) -> None:
        self.store = store
        self.endpoint = endpoint
        self.policy = policy
        self.options = options
        self.clock: Clock = clock or SystemClock()
        self._apis: dict[int, GarminApi] = {}
        self.writer = GarminDescriptionWriter(self.api_for_athlete)

    def api_for_account(self, account_id: int) -> GarminApi:
        """The account's session, resumed from its stored token store once per process (never a password)."""
        if account_id not in self._apis:
            tokens = self.store.get_account_tokens(account_id)
            if not tokens:
                raise GarminUnauthorizedError(f"account {account_id} has no Garmin tokens; run `syncd link garmin`")

            def save(fresh: dict[str, Any]) -> None:
                self.store.set_account_tokens(account_id, fresh)

            self._apis[account_id] = GarminApi.login(self.endpoint, tokens, on_tokens=save, clock=self.clock)
        return self._apis[account_id]

    def _account_of(self, athlete_id: int) -> AccountRecord:
        for account in self.store.list_accounts():
            if account.provider == PROVIDER and account.athlete_id == athlete_id:
                return account
        raise GarminUnauthorizedError(f"athlete {athlete_id} has no linked Garmin account; run `syncd link garmin`")

    def api_for_athlete(self, athlete_id: int) -> GarminApi:
        return self.api_for_account(self._account_of(athlete_id).id)

    def requests_sent(self) -> int:
        return sum(api.requests for api in self._apis.values())

    def sync_due(self, worker: str, *, limit: int = 50, lease_s: float = 900.0) -> PassReport:
        """Sync every due Garmin account once (each fault stays with its account)."""
        report = PassReport()
        now = self.clock.now()
        for account in self.store.claim_accounts(worker, now=now, lease_s=lease_s, limit=limit, provider=PROVIDER):
            report.accounts.append(self._sync_one(account, worker))
        return report

    def _sync_one(self, account: AccountRecord, worker: str) -> AccountOutcome:
        outcome = AccountOutcome(account.id, account.external_id)
        now = self.clock.now()
        jitter = random.uniform(-POLL_JITTER, POLL_JITTER)  # spread accounts linked together; not security
        next_due = next_poll_at(now, self.options.poll_interval.total_seconds(), frozenset(), jitter)
        cursor: str | None = None
        try:
            sync = sync_account(
                self.store,
                account,
                self.api_for_account(account.id),
                self.policy,
                self.options,
                now=now,
                on_activity=self.writer.remember,
            )
            outcome.report, cursor = sync, sync.cursor
            if sync.resume_at is not None:
                next_due = max(sync.resume_at, now)
            if account.state_message:
                self.store.set_account_state(account.id, "ok", None)
            log.info(
                "garmin_synced",
                account_id=account.id,
                listed=sync.listed,
                detailed=sync.detailed,
                annotated=sync.annotated,
                queued=sync.queued,
                linked=sync.linked,
                stopped=sync.stopped,
            )
        except GarminUnauthorizedError as exc:
            outcome.error = str(exc)
            self._apis.pop(account.id, None)
            mark_needs_relink(self.store, account.id, str(exc))
        except GarminRateLimitedError as exc:  # the login itself was refused for a while
            outcome.error = str(exc)
            next_due = max(exc.resume_at, now)
        except Exception as exc:  # one account's fault never stops the others
            outcome.error = f"{type(exc).__name__}: {exc}"
            log.error("garmin_sync_failed", account_id=account.id, error=outcome.error)
            next_due = now + timedelta(minutes=30)
        finally:
            self.store.release_account(account.id, worker, next_due_at=next_due, sync_cursor=cursor)
        return outcome

    def drain(self, worker: str, *, dry_run: bool = False, limit: int = 100) -> WritebackReport:
        def unauthorized(athlete_id: int, provider: str, message: str) -> None:
            if provider != PROVIDER:
                return
            self._apis_drop(athlete_id)
            with contextlib.suppress(GarminUnauthorizedError):
                mark_needs_relink(self.store, self._account_of(athlete_id).id, message)

        return drain_outbox(
            self.store,
            {PROVIDER: self.writer},
            worker=worker,
            now=self.clock.now,
            modes={PROVIDER: self.options.write_back},
            dry_run=dry_run,
            limit=limit,
            on_unauthorized=unauthorized,
        )

    def _apis_drop(self, athlete_id: int) -> None:
        with contextlib.suppress(GarminUnauthorizedError):
            self._apis.pop(self._account_of(athlete_id).id, None)

    def run_once(self, worker: str, *, dry_run: bool = False) -> PassReport:
        report = self.sync_due(worker)
        report.writeback = self.drain(worker, dry_run=dry_run)
        return report
