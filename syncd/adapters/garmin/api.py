"""One athlete's Garmin Connect, through the real garminconnect client, with tokens that are saved whenever the
client refreshes them.

Calls return Garmin's raw JSON; syncd.adapters.garmin.mapping turns it into the model. Every failure becomes a
`GarminError` (syncd.adapters.garmin.errors): 429 -> rate limited for `backoff` (hours), 401 -> unauthorized,
404 -> gone, 5xx -> transient (reads are retried a few times by garminconnect first).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any, TypeVar

from garminconnect import Garmin

from syncd.adapters.clock import SystemClock
from syncd.adapters.garmin.client import current_tokens, make_garmin, tokens_json
from syncd.adapters.garmin.errors import (
    RELINK_MESSAGE,
    GarminBadResponseError,
    GarminRateLimitedError,
    GarminUnauthorizedError,
    classify,
)
from syncd.logging import get_logger, register_secret
from syncd.ports import Clock

T = TypeVar("T")
DEFAULT_BACKOFF = timedelta(hours=6)
log = get_logger("syncd.garmin")


@dataclass(frozen=True)
class GarminEndpoint:
    """Where Garmin Connect is and how patient to be with it."""

    api_url: str
    backoff: timedelta = DEFAULT_BACKOFF
    retry_attempts: int = 3
    retry_min_wait: float = 1.0
    retry_max_wait: float = 10.0
    timeout_s: float = 15.0  # per HTTP request


@dataclass(frozen=True)
class GarminProfile:
    profile_id: str
    display_name: str
    full_name: str


def validate_tokens(tokens: Mapping[str, Any], where: str) -> dict[str, Any]:
    """The garminconnect token store fields, or GarminUnauthorizedError naming what is wrong."""
    access = tokens.get("di_token")
    if not isinstance(access, str) or not access:
        raise GarminUnauthorizedError(
            f"{where} has no di_token; it must be a garminconnect token store (garmin_tokens.json) - "
            "create one with `syncd link garmin` (interactive)"
        )
    refresh = tokens.get("di_refresh_token")
    client_id = tokens.get("di_client_id")
    register_secret(access)
    if isinstance(refresh, str) and refresh:
        register_secret(refresh)
    return {
        "di_token": access,
        "di_refresh_token": refresh if isinstance(refresh, str) and refresh else None,
        "di_client_id": client_id if isinstance(client_id, str) and client_id else None,
    }


class GarminApi:
    """Logged in from tokens (never a password); `on_tokens` gets every refreshed token store to save it."""

    def __init__(
        self,
        garmin: Garmin,
        endpoint: GarminEndpoint,
        *,
        tokens: Mapping[str, Any] | None = None,
        on_tokens: Callable[[dict[str, Any]], None] | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.garmin = garmin
        self.endpoint = endpoint
        self._on_tokens = on_tokens
        self._clock: Clock = clock or SystemClock()
        self._saved = dict(tokens) if tokens is not None else current_tokens(garmin)
        self._blocked: GarminRateLimitedError | None = None
        self.requests = 0

    @classmethod
    def login(
        cls,
        endpoint: GarminEndpoint,
        tokens: Mapping[str, Any],
        *,
        on_tokens: Callable[[dict[str, Any]], None] | None = None,
        clock: Clock | None = None,
    ) -> GarminApi:
        """Resume the session from a token store (refreshing it first if it is about to expire)."""
        clean = validate_tokens(tokens, "the Garmin token store")
        garmin = make_garmin(
            endpoint.api_url,
            retry_attempts=endpoint.retry_attempts,
            retry_min_wait=endpoint.retry_min_wait,
            retry_max_wait=endpoint.retry_max_wait,
            timeout_s=endpoint.timeout_s,
        )
        api = cls(garmin, endpoint, tokens=clean, on_tokens=on_tokens, clock=clock)
        api._call("login", lambda: garmin.login(tokenstore=tokens_json(clean)))
        if not garmin.display_name:
            raise GarminUnauthorizedError(f"login: Garmin Connect did not return a profile; {RELINK_MESSAGE}")
        return api

    # ---- plumbing -------------------------------------------------------------------------------------------

    def _call(self, what: str, fn: Callable[[], T]) -> T:
        if self._blocked is not None and self._clock.now() < self._blocked.resume_at:
            raise self._blocked  # still backing off: asking again now is what gets accounts blocked
        self.requests += 1
        try:
            return fn()
        except Exception as exc:
            error = classify(exc, what, now=self._clock.now(), backoff=self.endpoint.backoff)
            if isinstance(error, GarminRateLimitedError):
                self._blocked = error
            raise error from None
        finally:
            self._save_if_refreshed()

    def _save_if_refreshed(self) -> None:
        """garminconnect refreshes the DI token by itself; a new token store is saved at once."""
        now = current_tokens(self.garmin)
        if now != self._saved and now.get("di_token"):
            register_secret(str(now["di_token"]))
            if now.get("di_refresh_token"):
                register_secret(str(now["di_refresh_token"]))
            self._saved = now
            if self._on_tokens is not None:
                self._on_tokens(dict(now))
            log.info("garmin_tokens_refreshed")

    @property
    def tokens(self) -> dict[str, Any]:
        return dict(self._saved)

    # ---- reads ----------------------------------------------------------------------------------------------

    def profile(self) -> GarminProfile:
        g = self.garmin
        ident = g.profile_id if g.profile_id is not None else g.display_name
        return GarminProfile(profile_id=str(ident), display_name=str(g.display_name), full_name=str(g.full_name or ""))

    def activities_by_date(self, start: date, end: date | None = None) -> list[dict[str, Any]]:
        """Summaries started on `start`..`end` (local dates, inclusive), oldest first."""
        result = self._call(
            "list activities",
            lambda: self.garmin.get_activities_by_date(
                start.isoformat(), end.isoformat() if end else None, sortorder="asc"
            ),
        )
        if not isinstance(result, list):
            raise GarminBadResponseError("list activities: Garmin Connect did not answer with a list")
        return [item for item in result if isinstance(item, dict)]

    def activity(self, activity_id: str) -> dict[str, Any]:
        return self._object(f"activity {activity_id}", lambda: self.garmin.get_activity(activity_id))

    def details(self, activity_id: str, *, max_chart: int = 10_000) -> dict[str, Any]:
        """`metricDescriptors` + `activityDetailMetrics` (samples; Garmin thins them to `max_chart`)."""
        return self._object(
            f"details of {activity_id}",
            lambda: self.garmin.get_activity_details(activity_id, maxchart=max_chart, maxpoly=0),
        )

    def splits(self, activity_id: str) -> dict[str, Any]:
        """The laps (`lapDTOs`)."""
        return self._object(f"splits of {activity_id}", lambda: self.garmin.get_activity_splits(activity_id))

    def activity_gear(self, activity_id: str) -> list[dict[str, Any]]:
        result = self._call(f"gear of {activity_id}", lambda: self.garmin.get_activity_gear(activity_id))
        return [g for g in result if isinstance(g, dict)] if isinstance(result, list) else []

    def gear_stats(self, uuid: str) -> dict[str, Any]:
        return self._object(f"gear stats {uuid}", lambda: self.garmin.get_gear_stats(uuid))

    def _object(self, what: str, fn: Callable[[], Any]) -> dict[str, Any]:
        result = self._call(what, fn)
        if not isinstance(result, dict):
            raise GarminBadResponseError(f"{what}: Garmin Connect did not answer with a JSON object")
        return result

    # ---- writes ---------------------------------------------------------------------------------------------

    def set_description(self, activity_id: str, text: str) -> None:
        """Replace the whole description (Garmin has no append: read and merge first)."""
        self._call(
            f"update description of {activity_id}",
            lambda: self.garmin.set_activity_description(activity_id, text),
        )


def token_store_file(path: Path) -> Path:
    """The `garmin_tokens.json` of a garminconnect token store given as the file or its directory (ValueError
    when neither)."""
    from garminconnect.client import token_file_path

    return Path(token_file_path(str(path)))
