"""Use case: Strava's side of the sync. The polling schedule within the shared rate budget, the account passes
(every account goes through the one pipeline, syncd.services.sync_pipeline) and the outbox drain; the per-account
sessions (tokens, refresh, the writer) are an adapter (syncd.adapters.strava.sessions) that the wiring hands in.

Per poll the pipeline lists `athlete/activities` after the cursor (one request when nothing is new), stores every
summary raw, fetches the detail and streams of runs inside the annotation window (newest first), annotates and
queues notes. Non-runs never cost more than the list (they count for cross-training).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from syncd.domain.rate_budget import (
    DEFAULT_READ_DAILY_LIMIT,
    POLL_JITTER,
    PollPlan,
    history_reads_left,
    plan_polling,
    sync_daily_reserve,
)
from syncd.ports import AccountSessions, Clock, PushSubscriptions, Source
from syncd.services.account_sync import AccountOutcome, PassReport, PlatformAccounts
from syncd.services.accounts import PROVIDER
from syncd.services.annotating import AnnotationPolicy
from syncd.services.poll_planning import athlete_schedule
from syncd.services.sync_pipeline import HistoryFetch, SyncReport
from syncd.services.write_back_policy import WriteBackMode

__all__ = [
    "AccountOutcome",
    "PassReport",
    "PollSettings",
    "StravaService",
    "SyncOptions",
    "SyncReport",
]

if TYPE_CHECKING:
    from syncd.ports import RateBudgetReading
    from syncd.records import AccountRecord
    from syncd.services.account_sync import PlatformRepositories


class StravaSessionsPort(AccountSessions, PushSubscriptions, Protocol):
    """Strava's sessions: the per-account ones, and the app's push subscriptions."""


STRAVA_READS_PER_RUN = 2  # the detail and the streams


@dataclass(frozen=True)
class SyncOptions:
    annotation_window: timedelta = timedelta(days=30)
    rescan: timedelta = timedelta(days=7)
    # The first sync lists this far back (None: everything). Listing is cheap (200 summaries a request) and gives
    # load, cross-training and the feed the whole history; only runs inside the annotation window cost more.
    first_history: timedelta | None = None
    overlap: timedelta = timedelta(hours=2)
    write_back: WriteBackMode = "off"
    # Runs older than the window: their detail and streams (2 reads each) from the budget left over, at most this
    # many a pass per account (0: they keep their summaries and their notes say "no streams yet").
    history_per_pass: int = 25


# ---- a pass over every due account -------------------------------------------------------------------------


@dataclass(frozen=True)
class PollSettings:
    share_pct: float = 25.0
    min_interval_s: float = 900.0
    webhook: bool = False  # a push subscription exists: polling is only a daily safety re-scan
    jitter: float = POLL_JITTER  # each account's poll is offset by up to this fraction of an hour (spreading)


class StravaService(PlatformAccounts):
    """Everything Strava for one process: sync passes over its accounts through the pipeline, the polling schedule
    within the shared rate budget, the outbox drain; the sessions (adapters/strava/sessions.py) talk to Strava."""

    provider = PROVIDER
    options: SyncOptions

    def __init__(
        self,
        repos: PlatformRepositories,
        sessions: StravaSessionsPort,
        *,
        budget: RateBudgetReading | None,
        policy: AnnotationPolicy,
        options: SyncOptions,
        poll: PollSettings | None = None,
        clock: Clock,
        write_reserve: int = 20,
    ) -> None:
        self.repos = repos
        self.sessions = sessions
        self.writer = sessions.writer  # the outbox drain's reader and writer, over the sessions
        self.budget = budget
        self.policy = policy
        self.options = options
        self.poll = poll or PollSettings()
        self.clock = clock
        self.write_reserve = write_reserve

    def requests_sent(self) -> int:
        return self.sessions.requests_sent()

    def use_webhook(self, enabled: bool) -> None:
        """Poll daily (a push subscription delivers the changes) or at the normal interval; the daemon decides."""
        self.poll = replace(self.poll, webhook=enabled)

    def grant_revoked(self, account_id: int) -> bool:
        """Whether Strava refuses the account's tokens (even after a refresh): the athlete revoked access."""
        return self.sessions.grant_revoked(account_id)

    def push_subscription_ids(self) -> frozenset[int]:
        return self.sessions.push_subscription_ids()

    def plan(self) -> PollPlan:
        accounts = [a for a in self.repos.accounts.list_accounts() if a.provider == PROVIDER and a.state == "ok"]
        # the shared budget knows Strava's real limit
        limit = self.budget.state(self.clock.now()).read_daily_limit if self.budget else DEFAULT_READ_DAILY_LIMIT
        return plan_polling(
            len(accounts),
            read_daily_limit=limit,
            share_pct=self.poll.share_pct,
            min_interval_s=self.poll.min_interval_s,
            webhook=self.poll.webhook,
        )

    # ---- the account pass (syncd.services.account_sync) ----------------------------------------------------

    def source_for(self, account: AccountRecord) -> Source:
        return self.sessions.source_for(account)

    def next_due(self, account: AccountRecord, now: datetime, plan: PollPlan | None) -> datetime:
        if plan is None:
            return now + timedelta(seconds=900)
        # Adaptive: around the hours the athlete's activities usually appear, plus a daily safety poll (the only
        # one with the webhook); a few minutes' offset spreads accounts (not security).
        schedule = athlete_schedule(
            self.repos.sync.athletes,
            self.repos.appearances,
            account.athlete_id,
            now=now,
            webhook=self.poll.webhook,
            plan=plan,
        )
        offset = timedelta(seconds=random.uniform(0, self.poll.jitter * 3600))
        return schedule.next_poll(now, offset=offset)

    def write_back_mode(self) -> WriteBackMode:
        return self.options.write_back

    def history_fetch(self) -> HistoryFetch | None:
        """Older runs' streams only from what the day leaves over: the regular sync's polls, the details of the
        runs they find and the write reserve are kept back (syncd.domain.rate_budget.sync_daily_reserve), and at
        most half of each 15-minute window is used. Without the shared budget nothing is known to be left over."""
        budget = self.budget
        if budget is None or self.options.history_per_pass <= 0:
            return None
        limit = budget.state(self.clock.now()).read_daily_limit
        reserve = sync_daily_reserve(self.plan(), read_daily_limit=limit, write_reserve=self.write_reserve)

        def left() -> int:
            now = self.clock.now()
            return history_reads_left(budget.state(now), now, sync_reserve=reserve)

        return HistoryFetch(left, requests_per_run=STRAVA_READS_PER_RUN, per_pass=self.options.history_per_pass)


def with_write_back(options: SyncOptions, mode: WriteBackMode) -> SyncOptions:
    return replace(options, write_back=mode)
