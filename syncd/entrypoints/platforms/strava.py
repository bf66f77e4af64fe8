"""Strava's side of the sync: per-account API sessions (tokens, the shared rate budget), the polling schedule,
the description writer; every account goes through the one pipeline (syncd.services.sync_pipeline).

Per poll the pipeline lists `athlete/activities` after the cursor (one request when nothing is new), stores every
summary raw, fetches the detail and streams of runs inside the annotation window (newest first), annotates and
queues notes. Non-runs never cost more than the list (they count for cross-training).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import structlog

from syncd.adapters.clock import SystemClock
from syncd.adapters.strava.api import Budget, Endpoint, StravaApi, exchange_code, refresh_tokens
from syncd.adapters.strava.errors import UnauthorizedError
from syncd.adapters.strava.source import StravaSource
from syncd.adapters.strava.writer import StravaDescriptionWriter
from syncd.domain.rate_budget import DEFAULT_READ_DAILY_LIMIT, POLL_JITTER, PollPlan, plan_polling
from syncd.ports import Clock, Source
from syncd.services.account_sync import AccountOutcome, PassReport, PlatformAccounts
from syncd.services.accounts import (
    PROVIDER,
    REFRESH_MARGIN_S,
    LinkedAccount,
    save_link,
    validate_tokens,
)
from syncd.services.annotating import AnnotationPolicy
from syncd.services.poll_planning import athlete_schedule
from syncd.services.sync_pipeline import SyncReport
from syncd.services.write_back_policy import WriteBackMode

__all__ = [
    "AccountOutcome",
    "AccountTokens",
    "PassReport",
    "PollSettings",
    "StravaService",
    "SyncOptions",
    "SyncReport",
    "link_with_code",
    "link_with_tokens",
]

if TYPE_CHECKING:
    from stravalib.model import Subscription

    from syncd.ports import AccountLinkStore, PlatformStore
    from syncd.records import AccountRecord

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
    garmin_write_back: WriteBackMode = "off"  # for Garmin twins this account's runs are matched with


# ---- a pass over every due account -------------------------------------------------------------------------


@dataclass(frozen=True)
class PollSettings:
    share_pct: float = 25.0
    min_interval_s: float = 900.0
    webhook: bool = False  # a push subscription exists: polling is only a daily safety re-scan
    jitter: float = POLL_JITTER  # each account's poll is offset by up to this fraction of an hour (spreading)


class StravaService(PlatformAccounts):
    """Everything Strava for one process: per-account APIs (tokens, shared budget), sync passes, the writer."""

    provider = PROVIDER
    options: SyncOptions
    writer: StravaDescriptionWriter

    def __init__(
        self,
        store: PlatformStore,
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
        account = self.account_for_athlete(athlete_id)
        if account is not None:
            return account
        raise UnauthorizedError(f"athlete {athlete_id} has no linked Strava account; run `syncd link strava`")

    def api_for_athlete(self, athlete_id: int) -> StravaApi:
        return self.api_for_account(self._account_of(athlete_id).id)

    def requests_sent(self) -> int:
        return sum(api.stats.reads + api.stats.writes for api in self._apis.values())

    def use_webhook(self, enabled: bool) -> None:
        """Poll daily (a push subscription delivers the changes) or at the normal interval; the daemon decides."""
        self.poll = replace(self.poll, webhook=enabled)

    def grant_revoked(self, account_id: int) -> bool:
        """Whether Strava refuses the account's tokens (even after a refresh): the athlete revoked access."""
        try:
            self.api_for_account(account_id).athlete()
        except UnauthorizedError:
            return True
        return False

    def push_subscriptions(self) -> list[Subscription]:
        """This app's Strava push subscriptions (what `syncd webhook list` shows); raises on any failure."""
        from syncd.adapters.strava.client import make_client

        endpoint = self.endpoint
        client = make_client(endpoint.api_url, endpoint.oauth_url, timeout_s=endpoint.timeout_s)
        return list(client.list_subscriptions(endpoint.client_id, endpoint.client_secret))

    def push_subscription_ids(self) -> frozenset[int]:
        return frozenset(int(sub.id) for sub in self.push_subscriptions() if sub.id is not None)

    def plan(self) -> PollPlan:
        accounts = [a for a in self.store.list_accounts() if a.provider == PROVIDER and a.state == "ok"]
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
        def remember(detail: Mapping[str, Any]) -> None:
            self.writer.remember(account.athlete_id, detail)

        return StravaSource(self.api_for_account(account.id), per_page=self.options.per_page, on_detail=remember)

    def next_due(self, account: AccountRecord, now: datetime, plan: PollPlan | None) -> datetime:
        if plan is None:
            return now + timedelta(seconds=900)
        # Adaptive: around the hours the athlete's activities usually appear, plus a daily safety poll (the only
        # one with the webhook); a few minutes' offset spreads accounts (not security).
        schedule = athlete_schedule(self.store, account.athlete_id, now=now, webhook=self.poll.webhook, plan=plan)
        offset = timedelta(seconds=random.uniform(0, self.poll.jitter * 3600))
        return schedule.next_poll(now, offset=offset)

    def write_back_modes(self) -> dict[str, WriteBackMode]:
        return {"strava": self.options.write_back, "garmin": self.options.garmin_write_back}


def with_write_back(options: SyncOptions, mode: WriteBackMode) -> SyncOptions:
    return replace(options, write_back=mode)


# ---- linking and tokens ----------------------------------------------------------------------------------


def link_with_code(store: AccountLinkStore, endpoint: Endpoint, code: str) -> LinkedAccount:
    tokens, athlete = exchange_code(endpoint, code)
    tokens = validate_tokens(tokens, "Strava's token answer")
    if not athlete:
        api = StravaApi(endpoint, _StaticTokens(tokens["access_token"]))
        athlete = api.athlete()
    return save_link(store, athlete, tokens)


def link_with_tokens(
    store: AccountLinkStore, endpoint: Endpoint, tokens: Mapping[str, Any], *, clock: Clock | None = None
) -> LinkedAccount:
    """Non-interactive link from existing tokens: refresh first if they are (nearly) expired, then ask who it is."""
    clock = clock or SystemClock()
    current = validate_tokens(tokens, "the tokens")
    if current["expires_at"] - clock.now().timestamp() < REFRESH_MARGIN_S:
        current = validate_tokens(refresh_tokens(endpoint, current["refresh_token"]), "Strava's refresh answer")
    athlete = StravaApi(endpoint, _StaticTokens(current["access_token"])).athlete()
    return save_link(store, athlete, current)


class _StaticTokens:
    def __init__(self, token: str) -> None:
        self._token = token

    def access_token(self, *, force_refresh: bool = False) -> str:
        return self._token


class AccountTokens:
    """TokenSource for one stored account: refreshes near expiry (or when forced) and saves every new pair."""

    def __init__(
        self,
        store: AccountLinkStore,
        account_id: int,
        endpoint: Endpoint,
        *,
        clock: Clock | None = None,
        refresh: Callable[[Endpoint, str], dict[str, Any]] = refresh_tokens,
    ) -> None:
        self._store = store
        self._account_id = account_id
        self._endpoint = endpoint
        self._clock: Clock = clock or SystemClock()
        self._refresh = refresh
        self._tokens: dict[str, Any] | None = None
        self.refreshes = 0

    def _load(self) -> dict[str, Any]:
        if self._tokens is None:
            stored = self._store.get_account_tokens(self._account_id)
            if stored is None:
                raise UnauthorizedError(f"account {self._account_id} has no tokens; run `syncd link strava` again")
            self._tokens = validate_tokens(stored, f"stored tokens of account {self._account_id}")
        return self._tokens

    def access_token(self, *, force_refresh: bool = False) -> str:
        tokens = self._load()
        if force_refresh or tokens["expires_at"] - self._clock.now().timestamp() < REFRESH_MARGIN_S:
            fresh = validate_tokens(self._refresh(self._endpoint, tokens["refresh_token"]), "Strava's refresh answer")
            self._store.set_account_tokens(self._account_id, fresh)  # at once: the old refresh token is dead now
            self._tokens = tokens = fresh
            self.refreshes += 1
            log.info("tokens_refreshed", account_id=self._account_id, expires_at=fresh["expires_at"])
        return str(tokens["access_token"])
