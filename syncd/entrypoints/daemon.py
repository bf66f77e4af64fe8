"""`syncd run`: one long-running process that keeps every linked account in sync, serves the feed, answers Strava's
webhook, sends digests and survives restarts.

APScheduler is only the in-process timer. The schedule itself lives in the database (each account's
`next_due_at`, lease owner and expiry), claimed one account at a time with a lease (`FOR UPDATE SKIP LOCKED` on
PostgreSQL), so any number of `syncd run` processes share the work, none syncs an account another one holds, and a
crashed worker's lease simply expires and is taken over. Jobs: sync (claim due accounts platform by platform, then
drain the write-back outbox), digests, a daily re-scan (re-annotate after a rules change) and the systemd watchdog.

Shutdown (SIGTERM/SIGINT): stop claiming, let the item in hand finish (one account sync or one write-back is
short), release every lease this worker still holds, tell systemd STOPPING=1, exit 0.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor as DeliveryPool
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from apscheduler.executors.pool import ThreadPoolExecutor  # type: ignore[import-untyped]
from apscheduler.schedulers.background import BackgroundScheduler  # type: ignore[import-untyped]

from syncd.config import Settings
from syncd.entrypoints.sdnotify import Notifier
from syncd.logging import get_logger
from syncd.services.account_sync import AccountOutcome
from syncd.services.platforms import Platform, PlatformService, deauthorize, mark_due, release_leases

__all__ = ["Daemon", "DaemonOptions", "Platform", "PlatformService", "mark_due", "platform_services", "release_leases"]

if TYPE_CHECKING:
    from syncd.adapters.db.repository import Store
    from syncd.entrypoints.webhook import WebhookSink
    from syncd.services.notifications import NotifyRepositories

log = get_logger("syncd.daemon")


def platform_services(settings: Settings, store: Store) -> list[Platform]:
    """Every configured platform (built by the composition root, syncd.entrypoints.wiring)."""
    from syncd.entrypoints.wiring import platform_services as build

    return build(settings, store)


def _skip_busy_notice(record: logging.LogRecord) -> bool:
    """Drop APScheduler's warning that a tick found the previous pass still running: with max_instances=1 that is
    the design (a long pass is never doubled), and the warning filled the demo's and operators' logs."""
    return "maximum number of running instances reached" not in record.getMessage()


@dataclass(frozen=True)
class DaemonOptions:
    worker: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")
    tick_s: float = 30.0  # how often to look for due accounts (their own schedule is in the database)
    jitter_s: float = 5.0  # spread workers that started together
    lease_s: float = 900.0  # an account sync held longer than this is presumed dead and taken over
    digest_every_s: float = 300.0
    rescan_every_s: float = 86_400.0
    rescan_first_after_s: float = 120.0
    webhook_recheck_s: float = 5.0  # after Strava validated our callback: ask for the new subscription's id
    webhook_check_every_s: float = 86_400.0  # ask Strava whether our push subscription exists (first at start)
    webhook_retry_s: float = 3_600.0  # after a failed check (polling stays normal meanwhile)
    serve_web: bool = True


@dataclass
class AccountHealth:
    last_success: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None


@dataclass
class PassSummary:
    """What the last sync pass did (for STATUS= lines, /healthz and the demo)."""

    finished_at: datetime | None = None
    accounts: int = 0
    failed: int = 0
    written: int = 0
    passes: int = 0


class Daemon:
    """The scheduler, the web server and the shutdown path around the platform services."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        platforms: list[Platform],
        *,
        options: DaemonOptions | None = None,
        notifier: Notifier | None = None,
        digests: Callable[[datetime], Any] | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.platforms = platforms
        self.options = options or DaemonOptions()
        self.notifier = notifier or Notifier()
        self._digests = digests
        self.health: dict[int, AccountHealth] = {}
        self.last_pass = PassSummary()
        self.started_at = datetime.now(UTC)
        self.heartbeat = time.monotonic()
        self.web_url: str | None = None
        self._stopping = threading.Event()
        self._stopped = threading.Event()
        self._wake = threading.Event()
        self._pass_done = threading.Condition()
        self._sync_started: float | None = None
        # This app's push subscription ids as Strava listed them (None: not asked yet, or asking failed); webhook
        # events naming another id are refused.
        self.subscription_ids: frozenset[int] | None = None
        # the webhook's sink while the web server runs: it holds the events coalesced while the ids were unknown
        self._webhook_sink: WebhookSink | None = None
        self._webhook_check_due = 0.0  # monotonic time of the next push-subscription check (0: at the first pass)
        self.webhook_used: bool | None = None  # None: not decided yet (no Strava platform or no check so far)
        self._pass_lock = threading.Lock()
        self._push: Any = None  # the push-notification sender, built on first use (imports Apprise)
        self._deliveries = DeliveryPool(max_workers=4, thread_name_prefix="notify-delivery")
        self._busy_targets: set[tuple[int, str]] = set()  # targets a delivery thread is sending to now
        self._lock = threading.Lock()
        self._stack = contextlib.ExitStack()
        logging.getLogger("apscheduler.scheduler").addFilter(_skip_busy_notice)
        self._scheduler = BackgroundScheduler(
            timezone=UTC,
            executors={"default": ThreadPoolExecutor(max_workers=4)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 60},
        )

    @property
    def worker(self) -> str:
        return self.options.worker

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    # ---- lifecycle ------------------------------------------------------------------------------------------

    def start(self) -> None:
        """Serve the web app, schedule the jobs (the first sync at once), then READY=1."""
        now = datetime.now(UTC)
        # a restart under the same name after a crash
        taken_back = release_leases(self.store.account_leases, self.worker)
        if taken_back:
            log.info("leases_taken_back", worker=self.worker, released=taken_back)
        take_over_dead(self.store)
        if self.options.serve_web:
            self.web_url = self._stack.enter_context(self._serve())
        add = self._scheduler.add_job
        jitter = self.options.jitter_s
        add(self._sync_job, "interval", id="sync", seconds=self.options.tick_s, jitter=jitter, next_run_time=now)
        if self._digests is not None or self.settings.email.host:
            first_digest = now + timedelta(seconds=5)
            add(
                self._digest_job,
                "interval",
                id="digests",
                seconds=self.options.digest_every_s,
                next_run_time=first_digest,
            )
        first_rescan = now + timedelta(seconds=self.options.rescan_first_after_s)
        add(self._rescan_job, "interval", id="rescan", seconds=self.options.rescan_every_s, next_run_time=first_rescan)
        ping = min(self.notifier.watchdog_interval_s or 10.0, 10.0)
        add(self._watchdog_job, "interval", id="watchdog", seconds=ping, next_run_time=now)
        self._scheduler.start()
        where = f"serving {self.web_url}" if self.web_url else "no web server"
        self.notifier.ready(f"syncd running ({where}; {len(self.platforms)} platform(s))")
        log.info("daemon_started", worker=self.worker, web=self.web_url, platforms=[p.name for p in self.platforms])

    def request_stop(self) -> None:
        """From a signal handler: stop taking work; `run_until_stopped` then shuts down."""
        self._stopping.set()
        self._wake.set()

    def run_until_stopped(self, *, deadline: float | None = None) -> None:
        """Block until request_stop() (or `deadline`, a monotonic time), then shut down cleanly."""
        while not self._stopping.wait(0.5):
            if deadline is not None and time.monotonic() >= deadline:
                break
        self.stop()

    def stop(self) -> None:
        if self._stopped.is_set():
            return
        self._stopping.set()
        self.notifier.stopping("finishing the item in hand and releasing leases")
        log.info("daemon_stopping", worker=self.worker)
        with contextlib.suppress(Exception):
            self._scheduler.shutdown(wait=True)  # running jobs finish their current item and return
        self._stack.close()
        self._deliveries.shutdown(wait=True)  # a delivery in flight ends within its targets' time-outs
        released = release_leases(self.store.account_leases, self.worker)
        self._stopped.set()
        log.info("daemon_stopped", worker=self.worker, released=released)

    def wake(self) -> None:
        """Run the sync job now (a webhook marked an account due); a pass already running loops once more."""
        self._wake.set()
        if not self.stopping:
            with contextlib.suppress(Exception):  # shutting down: the account stays due for the next start
                self._scheduler.add_job(self._sync_job)

    def wait_for_pass(self, passes: int, timeout: float) -> bool:
        """Block until `passes` sync passes have finished (demo `--once`, tests)."""
        end = time.monotonic() + timeout
        with self._pass_done:
            while self.last_pass.passes < passes:
                left = end - time.monotonic()
                if left <= 0 or self._stopped.is_set():
                    return False
                self._pass_done.wait(min(left, 0.5))
        return True

    @contextlib.contextmanager
    def _serve(self) -> Iterator[str]:
        from starlette.applications import Starlette

        from syncd.entrypoints.health import health_routes
        from syncd.entrypoints.web.app import routes
        from syncd.entrypoints.web.bodies import body_limit
        from syncd.entrypoints.web.checkin import checkin_routes
        from syncd.entrypoints.web.serve import serve_in_thread
        from syncd.entrypoints.web.unsubscribe import unsubscribe_routes
        from syncd.entrypoints.webhook import WebhookSink, webhook_routes

        sink = self._webhook_sink = WebhookSink(
            self.store,
            on_due=self.wake,
            on_deauthorized=self.deauthorize,
            subscriptions=lambda: self.subscription_ids,
            on_validated=self._subscription_changing,
        )
        app = Starlette(
            routes=[
                *health_routes(self),
                *webhook_routes(self.settings, sink),
                *unsubscribe_routes(self.store),
                *checkin_routes(self._notify_repos, self.settings),
                *routes(self.store, self.settings),
            ],
            middleware=body_limit(),
        )
        with serve_in_thread(app, self.settings.web.host, self.settings.web.port) as url:
            yield url

    # ---- jobs -----------------------------------------------------------------------------------------------

    def _sync_job(self) -> None:
        """One pass at a time per process; a wake during a pass makes that pass loop once more (never lost)."""
        while not self.stopping:
            if not self._pass_lock.acquire(blocking=False):
                return  # a pass is running: it sees the wake flag and goes round again
            try:
                self._sync_started = time.monotonic()
                while not self.stopping:
                    self._wake.clear()
                    self._sync_pass()
                    if not self._wake.is_set():
                        break
            finally:
                self._sync_started = None
                self._pass_lock.release()
            if not self._wake.is_set():  # re-checked after the release: a wake in between is not lost
                return

    def _sync_pass(self) -> None:
        summary = PassSummary(passes=self.last_pass.passes + 1)
        if time.monotonic() >= self._webhook_check_due:
            self._check_webhook()
        take_over_dead(self.store)  # a worker on this host killed mid-pass: its accounts are due to us now
        for platform in self.platforms:
            seen: set[int] = set()
            while not self.stopping:  # one account per claim: a stop never strands claimed-but-untouched accounts
                try:
                    report = platform.service.sync_due(self.worker, limit=1, lease_s=self.options.lease_s)
                except Exception as exc:  # a database hiccup: log, try again next tick
                    log.error("sync_pass_failed", platform=platform.name, error=f"{type(exc).__name__}: {exc}")
                    break
                outcomes = report.accounts
                for outcome in outcomes:
                    self._record(outcome)
                    summary.accounts += 1
                    summary.failed += bool(outcome.error)
                ids = {int(o.account_id) for o in outcomes}
                if not ids or ids <= seen:  # nothing due, or an account due again at once: next tick
                    break
                seen |= ids
        for platform in self.platforms:
            if self.stopping:
                break
            try:
                written = platform.service.drain(self.worker)
                summary.written += written.written
            except Exception as exc:
                log.error("writeback_pass_failed", platform=platform.name, error=f"{type(exc).__name__}: {exc}")
        if not self.stopping:
            self._notify_pass()
        summary.finished_at = datetime.now(UTC)
        with self._pass_done:
            self.last_pass = summary
            self._pass_done.notify_all()
        if summary.accounts or summary.written:
            self.notifier.status(
                f"last sync {summary.finished_at:%H:%M:%S} UTC: {summary.accounts} account(s), "
                f"{summary.failed} failed, {summary.written} note(s) written"
            )

    @property
    def _notify_repos(self) -> NotifyRepositories:
        from syncd.entrypoints.wiring import notify_repositories

        return notify_repositories(self.store)

    def _notify_pass(self) -> None:
        """Queue push notifications for this pass's flagged notes (the check-in and digest text too), then hand each
        target's due messages to the delivery threads: a slow or unreachable target holds up neither the next sync
        pass nor the other targets (a target still sending is left out of the next claim)."""
        from syncd.services.notifications import claim_groups, queue_new, wants_notifications

        try:
            if not wants_notifications(self._notify_repos, self.settings):
                return
            now = datetime.now(UTC)
            queue_new(self._notify_repos, self.settings, now)
            with self._lock:
                busy = set(self._busy_targets)
            groups = claim_groups(self._notify_repos, now, self.worker, busy=busy)
        except Exception as exc:
            log.error("notify_pass_failed", error=f"{type(exc).__name__}: {exc}")
            return
        for key, items in groups.items():
            with self._lock:
                self._busy_targets.add(key)
            try:
                self._deliveries.submit(self._deliver, key, items, now)
            except RuntimeError:  # shutting down: the leases expire and the rows go out after the next start
                with self._lock:
                    self._busy_targets.discard(key)

    def _deliver(self, key: tuple[int, str], items: list[Any], now: datetime) -> None:
        """Send one target's messages, then whatever was queued for it meanwhile (a pass that found it busy left
        its new messages for this thread), until none is due."""
        from syncd.entrypoints.wiring import push_sender
        from syncd.services.notifications import claim_groups, deliver_group

        try:
            if self._push is None:
                self._push = push_sender(self.settings)
            while items and not self.stopping:
                report = deliver_group(self._notify_repos, self.settings, self._push, key, items, self.worker, now=now)
                if report.failed:
                    break  # backing off: the retry is due later, a pass claims it then
                now = datetime.now(UTC)
                items = claim_groups(self._notify_repos, now, self.worker, only=key).get(key, [])
        except Exception as exc:  # building the sender or the database: logged; the lease expires and it is retried
            log.error("notify_delivery_failed", target=key[1], error=f"{type(exc).__name__}: {exc}")
        finally:
            with self._lock:
                self._busy_targets.discard(key)

    def _subscription_changing(self) -> None:
        """Strava checked our callback: a new subscription is on its way. Accept events until its id is known
        (asked again on the first tick a few seconds later), instead of refusing them until the daily check."""
        self.subscription_ids = None
        self._webhook_check_due = time.monotonic() + self.options.webhook_recheck_s
        recheck = threading.Timer(self.options.webhook_recheck_s, self.wake)  # a pass asks Strava then
        recheck.daemon = True
        recheck.start()

    def _check_webhook(self) -> None:
        """With `[strava] webhook_verify_token` set, ask Strava (as `syncd webhook list` does) whether this app has a
        push subscription: if so, polling drops to a daily safety re-scan; otherwise, or when the check fails,
        polling stays normal. Runs before the first sync pass and then daily (hourly after a failure)."""
        now = time.monotonic()
        self._webhook_check_due = now + self.options.webhook_check_every_s
        push = next((p.push for p in self.platforms if p.push is not None), None)
        if push is None:
            return
        used, reason = False, ""
        if not self.settings.strava.webhook_verify_token:
            reason = "[strava] webhook_verify_token is not set"
        else:
            try:
                self.subscription_ids = push.push_subscription_ids()
                used = bool(self.subscription_ids)
                reason = "" if used else "Strava has no push subscription for this app (`syncd webhook subscribe`)"
            except Exception as exc:
                self._webhook_check_due = now + self.options.webhook_retry_s
                reason = f"checking the push subscription failed ({type(exc).__name__}); will retry"
        push.use_webhook(used)
        if used and self._webhook_sink is not None and self.subscription_ids:
            self._webhook_sink.release(self.subscription_ids)  # events held while the ids were unknown: sync now
        if used:
            log.info("strava_webhook_polling", polling="daily safety re-scan", reason="push subscription exists")
        elif self.webhook_used is not False or reason.startswith("checking"):  # one line per change or failure
            log.info("strava_webhook_not_used", polling="normal", reason=reason)
        self.webhook_used = used

    def _record(self, outcome: AccountOutcome) -> None:
        account_id = int(outcome.account_id)
        with self._lock:
            health = self.health.setdefault(account_id, AccountHealth())
            now = datetime.now(UTC)
            if outcome.error:
                health.last_error, health.last_error_at = str(outcome.error), now
            else:
                health.last_success = now

    def _digest_job(self) -> None:
        now = datetime.now(UTC)
        try:
            if self._digests is not None:
                self._digests(now)
            else:
                from syncd.entrypoints.wiring import digest_repositories, mailer_from_settings, trend_chart
                from syncd.services.digests import send_due_digests

                report = send_due_digests(
                    digest_repositories(self.store),
                    self.settings,
                    now,
                    connect=mailer_from_settings,
                    chart=trend_chart(),
                    worker=self.worker,
                )
                if report.sent or report.failed:
                    log.info("digests_sent", sent=len(report.sent), failed=len(report.failed))
        except Exception as exc:
            log.error("digest_job_failed", error=f"{type(exc).__name__}: {exc}")

    def _rescan_job(self) -> None:
        """Daily: re-read the last few days' run descriptions for #back tags (one read per run), then re-run the
        rules where their version changed (an upgrade, a threshold edit, a diary entry that changes a run's mode).

        Weekly findings need no re-run: they are reported on the first run of the following week."""
        from syncd.entrypoints.wiring import annotation_policy, batch_repositories
        from syncd.services.annotating import daily_rescan
        from syncd.services.pain_diary import refresh_recent_tags
        from syncd.services.write_back_policy import own_platform

        try:
            policy = annotation_policy(self.settings)
            now = datetime.now(UTC)
            # descriptions of the last days' runs: a #back tag added (or removed) there fires no webhook
            readers = {p.name: w for p in self.platforms if (w := p.service.description_reader()) is not None}
            tags = refresh_recent_tags(self.store.pain_diary, self.store, readers, now=now, advice=self.settings.advice)
            if tags:
                log.info("pain_tags_refreshed", changed=tags)
            rescan = daily_rescan(batch_repositories(self.store), policy, now=now, write_back_providers=own_platform)
            report = rescan.reannotated
            if report.changed:
                log.info(
                    "rescan_done", examined=report.examined, changed=report.changed, queued=report.queued_writebacks
                )
                self.wake()
        except Exception as exc:
            log.error("rescan_failed", error=f"{type(exc).__name__}: {exc}")
        self._prune_notifications()

    def _prune_notifications(self) -> None:
        """Daily: sent and given-up push messages older than a month go (nothing needs them after a week)."""
        from syncd.services.notifications import prune

        try:
            removed = prune(self._notify_repos, datetime.now(UTC))
            if removed:
                log.info("notifications_pruned", removed=removed)
        except Exception as exc:
            log.error("notifications_prune_failed", error=f"{type(exc).__name__}: {exc}")

    def _watchdog_job(self) -> None:
        """WATCHDOG=1 only while the scheduler runs jobs and no sync is stuck past its lease."""
        started = self._sync_started
        if started is not None and time.monotonic() - started > self.options.lease_s:
            log.error("sync_stuck", seconds=round(time.monotonic() - started))
            return  # no ping: systemd restarts us, the lease expires, another worker (or we) take over
        self.heartbeat = time.monotonic()
        self.notifier.watchdog()

    # ---- webhook consequences -------------------------------------------------------------------------------

    def deauthorize(self, provider: str, external_id: str) -> None:
        """The athlete revoked our access: after checking with the platform, delete their data from it."""
        try:
            self._scheduler.add_job(self._deauthorize_job, args=(provider, external_id))
        except Exception as exc:  # shutting down: the event is lost, the next poll finds the revoked grant anyway
            log.warning("deauthorization_not_scheduled", error=f"{type(exc).__name__}: {exc}")

    def _deauthorize_job(self, provider: str, external_id: str) -> None:
        platform = next((p for p in self.platforms if p.name == provider), None)
        if platform is not None:
            from syncd.entrypoints.wiring import link_repositories

            deauthorize(link_repositories(self.store), platform, external_id)


def take_over_dead(store: Store) -> None:
    """Release the leases of workers that died on this host (kill -9, OOM): their work is not waited out."""
    try:
        taken = store.account_leases.take_over_dead_workers()
    except Exception as exc:  # a database hiccup: the leases expire on their own
        log.warning("dead_worker_check_failed", error=f"{type(exc).__name__}: {exc}")
        return
    for worker, released in taken.items():
        log.info("dead_worker_leases_taken_over", dead_worker=worker, released=released)
