"""One athlete's Strava API, through the real stravalib client, inside the shared rate budget.

Every request first takes one unit from the database budget (reads keep a reserve for write-backs), every response
feeds its rate-limit headers back into it. 429 -> RateLimitedError until the window resets (no sleeping in a loop);
5xx/timeouts/resets -> jittered exponential backoff, a few times; 401 -> one forced token refresh, then
UnauthorizedError. Calls return Strava's raw JSON; syncd.adapters.strava.mapping turns it into the model.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import requests

from syncd.adapters.clock import SystemClock
from syncd.adapters.strava.client import DEFAULT_TIMEOUT_S, make_client
from syncd.adapters.strava.errors import BadResponseError, RateLimitedError, StravaError, UnauthorizedError, classify
from syncd.adapters.strava.mapping import STREAM_KEYS
from syncd.domain.rate_budget import (
    BudgetState,
    Decision,
    Kind,
    RateSnapshot,
    next_daily_reset,
    next_short_reset,
    parse_headers,
)
from syncd.logging import get_logger
from syncd.ports import Clock

if TYPE_CHECKING:  # stravalib takes ~1 s to import: loaded by make_client, only when a call is made
    from stravalib import Client

T = TypeVar("T")
log = get_logger("syncd.strava")


class Budget(Protocol):
    def state(self, now: datetime) -> BudgetState:
        """The budget as seen at `now` (its limits are Strava's real ones once a response told them)."""
        ...

    def try_spend(self, kind: Kind, now: datetime, *, write_reserve: int = 0) -> Decision: ...
    def observe(self, snapshot: RateSnapshot, now: datetime) -> None: ...
    def mark_exhausted(self, now: datetime) -> None: ...


class TokenSource(Protocol):
    def access_token(self, *, force_refresh: bool = False) -> str:
        """A valid access token (refreshed and saved when near expiry, or when forced after a 401)."""
        ...


@dataclass(frozen=True)
class Endpoint:
    """Where Strava is and who we are there (client_secret only revealed at the token call)."""

    api_url: str
    oauth_url: str
    client_id: int
    client_secret: str
    timeout_s: float = DEFAULT_TIMEOUT_S


@dataclass
class CallStats:
    """Requests actually sent, by kind (benchmarks and `sync` summaries)."""

    reads: int = 0
    writes: int = 0
    retries: int = 0


class StravaApi:
    """The calls syncd makes for one athlete."""

    def __init__(
        self,
        endpoint: Endpoint,
        tokens: TokenSource,
        *,
        budget: Budget | None = None,
        clock: Clock | None = None,
        write_reserve: int = 0,
        max_attempts: int = 4,
        backoff_s: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.endpoint = endpoint
        self._tokens = tokens
        self._budget = budget
        self._clock: Clock = clock or SystemClock()
        self._write_reserve = write_reserve
        self._max_attempts = max_attempts
        self._backoff_s = backoff_s
        self._sleep = sleep
        self.stats = CallStats()
        self._last_snapshot = RateSnapshot()
        self._client: Client = make_client(
            endpoint.api_url, endpoint.oauth_url, timeout_s=endpoint.timeout_s, on_response=self._on_response
        )

    # ---- calls ----------------------------------------------------------------------------------------------

    def athlete(self) -> dict[str, Any]:
        return self._json_object(self._call("read", "GET athlete", lambda c: c.protocol.get("/athlete")))

    def list_activities(
        self, *, after: int | None, before: int | None = None, page: int = 1, per_page: int = 100
    ) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"page": page, "per_page": per_page}
        if after is not None:
            params["after"] = after
        if before is not None:
            params["before"] = before
        result = self._call("read", "GET athlete/activities", lambda c: c.protocol.get("/athlete/activities", **params))
        if not isinstance(result, list):
            raise BadResponseError("GET athlete/activities: expected a JSON list of activities")
        return [item for item in result if isinstance(item, dict)]

    def activity(self, activity_id: str, *, for_writeback: bool = False) -> dict[str, Any]:
        """The DetailedActivity; `for_writeback`: the read before a write-back, which may use the write reserve."""
        return self._json_object(
            self._call(
                "writeback_read" if for_writeback else "read",
                f"GET activities/{activity_id}",
                lambda c: c.protocol.get("/activities/{id}", id=activity_id, include_all_efforts="false"),
            )
        )

    def streams(self, activity_id: str) -> Any:
        return self._call(
            "read",
            f"GET activities/{activity_id}/streams",
            lambda c: c.protocol.get(
                "/activities/{id}/streams", id=activity_id, keys=",".join(STREAM_KEYS), key_by_type="true"
            ),
        )

    def gear(self, gear_id: str) -> dict[str, Any]:
        return self._json_object(
            self._call("read", f"GET gear/{gear_id}", lambda c: c.protocol.get("/gear/{id}", id=gear_id))
        )

    def update_description(self, activity_id: str, description: str) -> dict[str, Any]:
        return self._json_object(
            self._call(
                "write",
                f"PUT activities/{activity_id}",
                lambda c: c.protocol.put("/activities/{id}", id=activity_id, body={"description": description}),
            )
        )

    # ---- machinery ------------------------------------------------------------------------------------------

    @staticmethod
    def _json_object(value: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise BadResponseError("Strava answered with something other than a JSON object")
        return value

    def _on_response(self, response: requests.Response) -> None:
        if "/oauth/" in (response.url or ""):
            return
        snapshot = parse_headers(response.headers)
        self._last_snapshot = snapshot
        if self._budget is not None:
            self._budget.observe(snapshot, self._clock.now())

    def _spend(self, kind: Kind, what: str) -> None:
        if self._budget is None:
            return
        now = self._clock.now()
        decision = self._budget.try_spend(kind, now, write_reserve=self._write_reserve)
        if not decision.allowed:
            resume = decision.resume_at or next_short_reset(now)
            raise RateLimitedError(f"{what}: {decision.reason}; resuming at {resume:%H:%M} UTC", resume)

    def _rate_limited(self, what: str) -> RateLimitedError:
        now = self._clock.now()
        snap = self._last_snapshot
        daily_over = any(
            usage is not None and limit is not None and usage >= limit
            for usage, limit in ((snap.daily_usage, snap.daily_limit), (snap.read_daily_usage, snap.read_daily_limit))
        )
        if self._budget is not None:
            self._budget.mark_exhausted(now)
        resume = next_daily_reset(now) if daily_over else next_short_reset(now)
        return RateLimitedError(
            f"{what}: Strava answered 429 Too Many Requests; resuming at {resume:%H:%M} UTC", resume
        )

    def _call(self, kind: Kind, what: str, request: Callable[[Client], T]) -> T:
        from stravalib import exc as strava_exc  # already loaded with the client

        refreshed = False
        attempt = 0
        while True:
            attempt += 1
            self._spend(kind, what)
            self._client.access_token = self._tokens.access_token(force_refresh=refreshed)
            try:
                if kind != "write":
                    self.stats.reads += 1
                else:
                    self.stats.writes += 1
                return request(self._client)
            except strava_exc.Fault as exc:
                status = exc.response.status_code if exc.response is not None else 0
                if status == 429:
                    raise self._rate_limited(what) from None
                error = classify(exc, what)
            except (requests.RequestException, ValueError) as exc:
                error = classify(exc, what)
            if isinstance(error, UnauthorizedError) and not refreshed:
                refreshed = True  # maybe revoked, maybe just expired early: one forced refresh decides
                attempt -= 1
                continue
            if not error.retryable or attempt >= self._max_attempts:
                raise error from None
            self.stats.retries += 1
            delay = self._backoff_s * (2 ** (attempt - 1)) * (0.5 + random.random())
            log.warning("strava_retry", call=what, attempt=attempt, delay_s=round(delay, 2), error=str(error))
            self._sleep(delay)


def exchange_code(endpoint: Endpoint, code: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Authorization code -> (tokens, athlete). Tokens are {"access_token", "refresh_token", "expires_at"}."""
    from stravalib import exc as strava_exc

    client = make_client(endpoint.api_url, endpoint.oauth_url, timeout_s=endpoint.timeout_s)
    try:
        tokens, athlete = client.protocol.exchange_code_for_token(
            client_id=endpoint.client_id, client_secret=endpoint.client_secret, code=code, return_athlete=True
        )
    except (strava_exc.Fault, requests.RequestException, KeyError, ValueError) as exc:
        raise _token_error(exc, "exchanging the authorization code") from None
    return dict(tokens), dict(athlete or {})


def refresh_tokens(endpoint: Endpoint, refresh_token: str) -> dict[str, Any]:
    """Exchange a refresh token for new tokens; Strava may rotate the refresh token: save the answer at once."""
    from stravalib import exc as strava_exc

    client = make_client(endpoint.api_url, endpoint.oauth_url, timeout_s=endpoint.timeout_s)
    try:
        tokens = client.protocol.refresh_access_token(
            client_id=endpoint.client_id, client_secret=endpoint.client_secret, refresh_token=refresh_token
        )
    except (strava_exc.Fault, requests.RequestException, KeyError, ValueError) as exc:
        raise _token_error(exc, "refreshing the access token") from None
    return dict(tokens)


def _token_error(exc: BaseException, what: str) -> StravaError:
    from stravalib import exc as strava_exc

    if isinstance(exc, strava_exc.Fault) and exc.response is not None and exc.response.status_code in (400, 401):
        return UnauthorizedError(
            f"{what}: Strava rejected it ({exc.response.status_code}); the grant was revoked or the client id/secret "
            "is wrong; check [strava] client_id/client_secret and run `syncd link strava` again"
        )
    return classify(exc, what)
