"""Build a `garminconnect.Garmin` that talks to `[garmin] api_url` and logs in from a token store only.

garminconnect keeps its API host in private attributes of its inner `Client` (`_connectapi`, and `_di_token_url`
for the token refresh). The only knowledge of that is `route_client()`; tests/unit/test_garmin_client.py fails
loudly when an upgrade moves them. Everything else uses the public API.

A login here never sends a password: `Garmin()` is built without credentials, so a token store Garmin rejects
raises (and the account is marked "needs re-link") instead of falling back to the SSO login, which Garmin blocks
after repeated use.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from garminconnect import Garmin

DEFAULT_API_URL = "https://connectapi.garmin.com"
TOKEN_PATH = "/di-oauth2-service/oauth/token"
TOKEN_KEYS = ("di_token", "di_refresh_token", "di_client_id")


class ClientLayoutError(RuntimeError):
    """The installed garminconnect no longer keeps its host where syncd expects it."""


def client_hosts(garmin: Garmin) -> tuple[str, str]:
    """(API base, DI token URL) the client will use; raises ClientLayoutError if the attributes are gone."""
    inner = garmin.client
    try:
        api, token = inner._connectapi, inner._di_token_url
    except AttributeError:
        raise ClientLayoutError(
            "the installed garminconnect no longer keeps its API host in Client._connectapi/_di_token_url; "
            "syncd cannot point it at [garmin] api_url - pin garminconnect to a version syncd was tested with"
        ) from None
    if not isinstance(api, str) or not isinstance(token, str):
        raise ClientLayoutError("garminconnect's Client._connectapi/_di_token_url are not strings any more")
    return api, token


def route_client(garmin: Garmin, api_url: str) -> None:
    """Point the client's API calls (and, off the default host, its token refresh) at `api_url`.

    With the default `https://connectapi.garmin.com` nothing changes. Any other base (the simulator, a proxy) gets
    the API calls and the DI token refresh at `<api_url>/di-oauth2-service/oauth/token`.
    """
    client_hosts(garmin)  # fails loudly on an incompatible garminconnect
    base = api_url.rstrip("/")
    if base == DEFAULT_API_URL:
        return
    garmin.client._connectapi = base
    garmin.client._di_token_url = base + TOKEN_PATH


def cap_timeout(garmin: Garmin, timeout_s: float) -> None:
    """Wait at most `timeout_s` for each API answer (garminconnect's own default is 15 s and cannot be set)."""
    session = getattr(garmin.client, "_api_session", None)
    if session is None or not callable(getattr(session, "request", None)):
        raise ClientLayoutError(
            "the installed garminconnect no longer sends API calls through Client._api_session; syncd cannot set "
            "[garmin] timeout_s - pin garminconnect to a version syncd was tested with"
        )
    send = session.request

    def request(method: str, url: str, **kwargs: Any) -> Any:
        asked = kwargs.get("timeout")
        kwargs["timeout"] = min(float(asked), timeout_s) if isinstance(asked, int | float) else timeout_s
        return send(method, url, **kwargs)

    session.request = request


def make_garmin(
    api_url: str = DEFAULT_API_URL,
    *,
    retry_attempts: int = 3,
    retry_min_wait: float = 1.0,
    retry_max_wait: float = 10.0,
    timeout_s: float = 15.0,
) -> Garmin:
    """A credential-less client (5xx and network errors retried by garminconnect itself) routed to `api_url`."""
    garmin = Garmin(retry_attempts=retry_attempts, retry_min_wait=retry_min_wait, retry_max_wait=retry_max_wait)
    route_client(garmin, api_url)
    cap_timeout(garmin, timeout_s)
    return garmin


def tokens_json(tokens: Mapping[str, Any]) -> str:
    """The token store as garminconnect's `loads()` reads it (its `garmin_tokens.json` format)."""
    return json.dumps({key: tokens.get(key) for key in TOKEN_KEYS})


def current_tokens(garmin: Garmin) -> dict[str, Any]:
    """The client's tokens now (they change when it refreshes them on its own)."""
    data: dict[str, Any] = json.loads(garmin.client.dumps())
    return {key: data.get(key) for key in TOKEN_KEYS}
