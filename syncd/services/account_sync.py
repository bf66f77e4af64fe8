"""Use case: a pass over every due account of one platform, each through the one sync pipeline.

The platform service (Strava, Garmin) supplies what differs, through `AccountPlatform`: a `Source` for an account (its
session), when the account is next due, and how to forget a session whose tokens were refused. Everything else
(claims, leases, the cursor, re-link marking, the inactive-app pause, per-account fault isolation) is here once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from syncd.domain.rate_budget import PollPlan
from syncd.logging import get_logger
from syncd.platform_errors import PlatformError
from syncd.ports import Clock, DescriptionWriter, Source
from syncd.services.accounts import account_of, mark_needs_relink
from syncd.services.annotating import AnnotationPolicy
from syncd.services.sync_pipeline import HistoryFetch, PipelineOptions, SyncReport, SyncRepositories, sync_account
from syncd.services.write_back_policy import WriteBackMode, own_platform
from syncd.services.writeback import DrainRepositories, WritebackReport, drain_outbox

if TYPE_CHECKING:
    from syncd.ports import AccountLinks, AccountRepository, AppearanceReads
    from syncd.records import AccountRecord

APP_INACTIVE_PAUSE = timedelta(hours=6)
FAULT_PAUSE = timedelta(minutes=30)
log = get_logger("syncd.account_sync")


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


class AccountPlatform(Protocol):
    """What one platform service tells the account pass (the daemon's `Platform` is syncd.services.platforms)."""

    provider: str

    def source_for(self, account: AccountRecord) -> Source:
        """The account's session as a Source; a PlatformError when it cannot be had (no tokens, refused)."""
        ...

    def next_due(self, account: AccountRecord, now: datetime, plan: PollPlan | None) -> datetime:
        """When a successful sync of this account should run again."""
        ...

    def forget(self, account_id: int) -> None:
        """Drop a cached session (its tokens were refused)."""
        ...


def sync_due(
    store: SyncRepositories,
    accounts: AccountRepository,
    platform: AccountPlatform,
    policy: AnnotationPolicy,
    options: PipelineOptions,
    *,
    clock: Clock,
    worker: str,
    plan: PollPlan | None = None,
    limit: int = 50,
    lease_s: float = 900.0,
) -> PassReport:
    """Sync every due account of the platform once (each fault stays with its account)."""
    report = PassReport(plan=plan)
    claimed = accounts.claim_accounts(worker, now=clock.now(), lease_s=lease_s, limit=limit, provider=platform.provider)
    for account in claimed:
        outcome = sync_one(
            store, accounts, platform, account, policy=policy, options=options, clock=clock, worker=worker, plan=plan
        )
        report.accounts.append(outcome)
    return report


def sync_one(
    store: SyncRepositories,
    accounts: AccountRepository,
    platform: AccountPlatform,
    account: AccountRecord,
    *,
    policy: AnnotationPolicy,
    options: PipelineOptions,
    clock: Clock,
    worker: str,
    plan: PollPlan | None,
) -> AccountOutcome:
    """One account through the pipeline; its lease is always released with the next due time and the cursor."""
    outcome = AccountOutcome(account.id, account.external_id)
    now = clock.now()
    next_due = now + FAULT_PAUSE
    cursor: str | None = None
    try:
        sync = sync_account(store, account, platform.source_for(account), policy, options, now=now)
        outcome.report, cursor = sync, sync.cursor
        next_due = max(sync.resume_at, now) if sync.resume_at is not None else platform.next_due(account, now, plan)
        message = degraded_message(sync)
        if account.state_message != message:
            accounts.set_account_state(account.id, "ok", message)
        _log_synced(platform.provider, account, sync)
    except PlatformError as exc:
        outcome.error = str(exc)
        next_due = _platform_fault(accounts, platform, account, exc, now)
    except Exception as exc:  # one account's fault never stops the others
        outcome.error = f"{type(exc).__name__}: {exc}"
        log.error(f"{platform.provider}_sync_failed", account_id=account.id, error=outcome.error)
    finally:
        accounts.release_account(account.id, worker, next_due_at=next_due, sync_cursor=cursor)
    return outcome


def degraded_message(sync: SyncReport) -> str | None:
    """Why an account that syncs is not whole (`syncd status`/`accounts` show it as degraded); None when it is.
    Runs the database refused are named by id with the kind of refusal, never with their contents."""
    if not sync.unstored:
        return None
    ext_id, why = sync.unstored[0]
    more = f" and {len(sync.unstored) - 1} more" if len(sync.unstored) > 1 else ""
    return f"degraded: {len(sync.unstored)} activity(ies) not stored ({ext_id}{more}): {why}"


def _platform_fault(
    accounts: AccountRepository,
    platform: AccountPlatform,
    account: AccountRecord,
    exc: PlatformError,
    now: datetime,
) -> datetime:
    """What a platform fault outside any one activity means for the account; returns when to try again."""
    if exc.needs_relink:
        platform.forget(account.id)
        mark_needs_relink(accounts, account.id, str(exc))
        return now + FAULT_PAUSE
    if exc.app_inactive:
        accounts.set_account_state(account.id, "ok", str(exc))  # app-wide; not retried in a loop
        log.error(f"{platform.provider}_application_inactive", account_id=account.id, message=str(exc))
        return now + APP_INACTIVE_PAUSE
    if exc.retry_after is not None:  # e.g. the login itself was refused for a while
        return max(exc.retry_after, now)
    log.error(f"{platform.provider}_sync_failed", account_id=account.id, error=str(exc))
    return now + FAULT_PAUSE


def _log_synced(provider: str, account: AccountRecord, sync: SyncReport) -> None:
    log.info(
        f"{provider}_synced",
        account_id=account.id,
        listed=sync.listed,
        detailed=sync.detailed,
        annotated=sync.annotated,
        queued=sync.queued,
        deleted=sync.deleted,
        linked=sync.linked,
        failed=len(sync.failed),
        not_stored=len(sync.unstored),
        stopped=sync.stopped,
    )


@dataclass(frozen=True)
class PlatformRepositories:
    """What a platform's service reads and changes: the sync's repositories, the accounts (claims, leases, state),
    their links (a watched folder's account is made here), the outbox drain's and when the athletes' activities
    appeared (the Strava poll schedule)."""

    sync: SyncRepositories
    accounts: AccountRepository
    links: AccountLinks
    drain: DrainRepositories
    appearances: AppearanceReads


class AccountSyncOptions(Protocol):
    """The options every platform service has (SyncOptions, GarminSyncOptions)."""

    @property
    def annotation_window(self) -> timedelta: ...
    @property
    def rescan(self) -> timedelta: ...
    @property
    def first_history(self) -> timedelta | None: ...
    @property
    def overlap(self) -> timedelta: ...


class PlatformAccounts:
    """What every platform service shares (StravaService, GarminService): a pass over its due accounts through
    the pipeline, draining its own outbox items, both at once for `syncd sync`. Subclasses provide the session
    (`source_for`), the schedule (`next_due`, `plan`), `pipeline_options` and `write_back_mode`."""

    provider: str
    repos: PlatformRepositories
    policy: AnnotationPolicy
    clock: Clock
    writer: DescriptionWriter
    options: AccountSyncOptions

    def source_for(self, account: AccountRecord) -> Source:
        raise NotImplementedError

    def next_due(self, account: AccountRecord, now: datetime, plan: PollPlan | None) -> datetime:
        raise NotImplementedError

    def write_back_mode(self) -> WriteBackMode:
        """This platform's configured `write_back`, which the drain applies under each athlete's own choice."""
        raise NotImplementedError

    def pipeline_options(self) -> PipelineOptions:
        options = self.options
        return PipelineOptions(
            annotation_window=options.annotation_window,
            rescan=options.rescan,
            first_history=options.first_history,
            overlap=options.overlap,
            write_back_providers=own_platform,  # the drain decides whether it is written (write_back_mode)
            history=self.history_fetch(),
        )

    def history_fetch(self) -> HistoryFetch | None:
        """How this platform fetches the streams of runs older than the window (None: it does not)."""
        return None

    def plan(self) -> PollPlan | None:
        return None

    def description_reader(self) -> DescriptionWriter | None:
        return self.writer

    def forget(self, account_id: int) -> None:
        """Drop a cached session (its tokens were refused); nothing by default."""

    def account_for_athlete(self, athlete_id: int) -> AccountRecord | None:
        return account_of(self.repos.accounts.list_accounts(), self.provider, athlete_id)

    def sync_due(self, worker: str, *, limit: int = 50, lease_s: float = 900.0) -> PassReport:
        """Sync every due account of this platform once (each fault stays with its account)."""
        options = self.pipeline_options()
        return sync_due(
            self.repos.sync,
            self.repos.accounts,
            self,
            self.policy,
            options,
            clock=self.clock,
            worker=worker,
            plan=self.plan(),
            limit=limit,
            lease_s=lease_s,
        )

    def drain(self, worker: str, *, dry_run: bool = False, limit: int = 100) -> WritebackReport:
        """Write this platform's queued notes (the outbox claim takes only its items)."""
        return drain_outbox(
            self.repos.drain,
            {self.provider: self.writer},
            worker=worker,
            now=self.clock.now,
            modes={self.provider: self.write_back_mode()},
            dry_run=dry_run,
            limit=limit,
            on_unauthorized=self._write_refused,
        )

    def _write_refused(self, athlete_id: int, provider: str, message: str) -> None:
        account = self.account_for_athlete(athlete_id) if provider == self.provider else None
        if account is not None:
            self.forget(account.id)
            mark_needs_relink(self.repos.accounts, account.id, message)

    def run_once(self, worker: str, *, dry_run: bool = False) -> PassReport:
        report = self.sync_due(worker)
        report.writeback = self.drain(worker, dry_run=dry_run)
        return report
