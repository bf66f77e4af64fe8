"""Use case: Garmin Connect's side of the sync. The polling schedule, the account passes and the outbox drain; the
per-account sessions (resumed from stored token stores, the writer) are an adapter (syncd.adapters.garmin.sessions)
that the wiring hands in. Every account goes through the one pipeline (syncd.services.sync_pipeline),
which also matches runs with their Strava twins (syncd.services.identity) so a run counts once. Notes are queued
per `[garmin] write_back` (a Strava twin's per `[strava] write_back`).

Faults: 429 (on a read or a write) stops the account for `[garmin] backoff_hours`; 5xx is retried by the client,
then left for the next poll; a rejected token store marks the account "needs_relink". The session is only ever
resumed from the stored token store: never a password login on a schedule.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from syncd.domain.rate_budget import POLL_JITTER, PollPlan, next_poll_at
from syncd.ports import AccountSessions, Clock, Source
from syncd.services.account_sync import PlatformAccounts
from syncd.services.annotating import AnnotationPolicy
from syncd.services.garmin_accounts import PROVIDER
from syncd.services.sync_pipeline import HistoryFetch, SyncReport
from syncd.services.write_back_policy import WriteBackMode

if TYPE_CHECKING:
    from syncd.records import AccountRecord
    from syncd.services.account_sync import PlatformRepositories

GarminSyncReport = SyncReport  # the one pipeline's report (kept for existing imports)
GARMIN_REQUESTS_PER_RUN = 5  # the activity, its details, splits, gear and the shoe's stats


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
    # Runs older than the window: their detail and samples, at most this many a pass per account. Garmin Connect
    # publishes no budget and blocks busy accounts, so a few a pass (0: none; their notes say "no streams yet").
    history_per_pass: int = 5


# ---- a pass over every due account -------------------------------------------------------------------------


class GarminService(PlatformAccounts):
    """Everything Garmin for one process: per-account sessions (from stored token stores), passes, the writer.

    `drain` writes Garmin's queued notes (the outbox claim takes only Garmin's items; Strava drains its own).
    """

    provider = PROVIDER
    options: GarminSyncOptions

    def __init__(
        self,
        repos: PlatformRepositories,
        sessions: AccountSessions,
        *,
        policy: AnnotationPolicy,
        options: GarminSyncOptions,
        clock: Clock,
    ) -> None:
        self.repos = repos
        self.sessions = sessions
        self.writer = sessions.writer  # the outbox drain's reader and writer, over the sessions
        self.policy = policy
        self.options = options
        self.clock = clock

    def grant_revoked(self, account_id: int) -> bool:
        """Whether Garmin Connect refuses the account's stored token store."""
        return self.sessions.grant_revoked(account_id)

    def requests_sent(self) -> int:
        return self.sessions.requests_sent()

    # ---- the account pass (syncd.services.account_sync) ----------------------------------------------------

    def source_for(self, account: AccountRecord) -> Source:
        return self.sessions.source_for(account)

    def next_due(self, account: AccountRecord, now: datetime, plan: PollPlan | None) -> datetime:
        jitter = random.uniform(-POLL_JITTER, POLL_JITTER)  # spread accounts linked together; not security
        return next_poll_at(now, self.options.poll_interval.total_seconds(), frozenset(), jitter)

    def forget(self, account_id: int) -> None:
        self.sessions.forget(account_id)

    def write_back_mode(self) -> WriteBackMode:
        return self.options.write_back

    def history_fetch(self) -> HistoryFetch | None:
        per_pass = self.options.history_per_pass
        if per_pass <= 0:
            return None
        return HistoryFetch(lambda: GARMIN_REQUESTS_PER_RUN * per_pass, GARMIN_REQUESTS_PER_RUN, per_pass)
