"""Strava's per-account sessions for one process: an API per account (its tokens refreshed near expiry and saved at
once, the rate budget shared by all workers), the description writer over them, and the link flows (OAuth code or
existing tokens). The platform service (syncd.services.strava_sync) sees them through syncd.ports.AccountSessions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from syncd.adapters.clock import SystemClock
from syncd.adapters.strava.api import Budget, Endpoint, StravaApi, exchange_code, refresh_tokens
from syncd.adapters.strava.errors import UnauthorizedError
from syncd.adapters.strava.source import StravaSource
from syncd.adapters.strava.writer import StravaDescriptionWriter
from syncd.logging import get_logger
from syncd.services.accounts import (
    PROVIDER,
    REFRESH_MARGIN_S,
    LinkedAccount,
    account_of,
    save_link,
    validate_tokens,
)

if TYPE_CHECKING:
    from stravalib.model import Subscription

    from syncd.ports import AccountLinks, Clock, Source
    from syncd.records import AccountRecord
    from syncd.services.accounts import LinkRepositories

log = get_logger("syncd.strava_sync")


class StravaSessions:
    """Per-account StravaApis (tokens, shared budget) and the writer over them; implements AccountSessions."""

    def __init__(
        self,
        store: AccountLinks,
        endpoint: Endpoint,
        *,
        budget: Budget | None,
        clock: Clock | None = None,
        write_reserve: int = 20,
        per_page: int = 200,
        sleep: Callable[[float], None] | None = None,
        backoff_s: float = 1.0,
    ) -> None:
        self.store = store
        self.endpoint = endpoint
        self.budget = budget
        self.clock: Clock = clock or SystemClock()
        self.write_reserve = write_reserve
        self.per_page = per_page
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

    def api_for_athlete(self, athlete_id: int) -> StravaApi:
        account = account_of(self.store.list_accounts(), PROVIDER, athlete_id)
        if account is not None:
            return self.api_for_account(account.id)
        raise UnauthorizedError(f"athlete {athlete_id} has no linked Strava account; run `syncd link strava`")

    def source_for(self, account: AccountRecord) -> Source:
        def remember(detail: Mapping[str, Any]) -> None:
            self.writer.remember(account.athlete_id, detail)

        return StravaSource(self.api_for_account(account.id), per_page=self.per_page, on_detail=remember)

    def requests_sent(self) -> int:
        return sum(api.stats.reads + api.stats.writes for api in self._apis.values())

    def grant_revoked(self, account_id: int) -> bool:
        """Whether Strava refuses the account's tokens (even after a refresh): the athlete revoked access."""
        try:
            self.api_for_account(account_id).athlete()
        except UnauthorizedError:
            return True
        return False

    def forget(self, account_id: int) -> None:
        self._apis.pop(account_id, None)

    def push_subscriptions(self) -> list[Subscription]:
        """This app's Strava push subscriptions (what `syncd webhook list` shows); raises on any failure."""
        from syncd.adapters.strava.client import make_client

        endpoint = self.endpoint
        client = make_client(endpoint.api_url, endpoint.oauth_url, timeout_s=endpoint.timeout_s)
        return list(client.list_subscriptions(endpoint.client_id, endpoint.client_secret))

    def push_subscription_ids(self) -> frozenset[int]:
        return frozenset(int(sub.id) for sub in self.push_subscriptions() if sub.id is not None)


# ---- linking and tokens ----------------------------------------------------------------------------------


def link_with_code(store: LinkRepositories, endpoint: Endpoint, code: str) -> LinkedAccount:
    tokens, athlete = exchange_code(endpoint, code)
    tokens = validate_tokens(tokens, "Strava's token answer")
    if not athlete:
        api = StravaApi(endpoint, _StaticTokens(tokens["access_token"]))
        athlete = api.athlete()
    return save_link(store, athlete, tokens)


def link_with_tokens(
    store: LinkRepositories, endpoint: Endpoint, tokens: Mapping[str, Any], *, clock: Clock | None = None
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
        store: AccountLinks,
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
