"""Build a stravalib `Client` that talks to any base URL (http on loopback too) and does no rate limiting.

stravalib 2.x hard-codes `https://www.strava.com/...` and, by default, sleeps the thread in its limiter. Instead of
patching it we give it a `requests.Session` whose transport adapter rewrites those URLs to the configured bases
and applies a timeout, and we switch its limiter off (`rate_limit_requests=False`): syncd keeps its own budget in
the database. The only knowledge of stravalib internals is `stravalib_origin()`, checked by a unit test.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import requests
from requests.adapters import HTTPAdapter

if TYPE_CHECKING:  # stravalib (with pydantic and pint) takes ~1 s to import: only when a client is built
    from stravalib import Client

DEFAULT_TIMEOUT_S = 30.0
ResponseHook = Callable[[requests.Response], None]


def stravalib_origin() -> tuple[str, str]:
    """(api base, oauth base) that stravalib builds its URLs from; a stravalib upgrade that moves them breaks the
    routing, and tests/unit/test_strava_mapping.py fails loudly on it."""
    from stravalib.protocol import ApiV3

    server = ApiV3.server
    return f"https://{server}{ApiV3.api_base}", f"https://{server}/oauth"


class _RoutingAdapter(HTTPAdapter):
    """Sends stravalib's www.strava.com requests to our configured bases, with a default timeout."""

    def __init__(self, api_url: str, oauth_url: str, timeout_s: float) -> None:
        super().__init__(max_retries=0)
        api_from, oauth_from = stravalib_origin()
        self._routes = ((api_from, api_url.rstrip("/")), (oauth_from, oauth_url.rstrip("/")))
        self._timeout_s = timeout_s

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        url = request.url or ""
        for prefix, target in self._routes:
            if url.startswith(prefix):
                request.url = target + url[len(prefix) :]
                break
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self._timeout_s
        return super().send(request, *args, **kwargs)


class _QuietCredentialWarnings(logging.Filter):
    """stravalib warns on every Client() that STRAVA_CLIENT_ID is not in the environment: syncd refreshes tokens
    itself, so those lines are noise in our logs."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = str(record.msg)
        return "STRAVA_CLIENT_ID" not in message and "SILENCE_TOKEN_WARNINGS" not in message


_QUIET = _QuietCredentialWarnings()


def make_session(
    api_url: str, oauth_url: str, *, timeout_s: float = DEFAULT_TIMEOUT_S, on_response: ResponseHook | None = None
) -> requests.Session:
    session = requests.Session()
    adapter = _RoutingAdapter(api_url, oauth_url, timeout_s)
    session.mount("https://www.strava.com/", adapter)
    session.mount("http://", HTTPAdapter(max_retries=0))
    session.mount("https://", HTTPAdapter(max_retries=0))
    if on_response is not None:

        def hook(response: requests.Response, *_args: Any, **_kwargs: Any) -> requests.Response:
            on_response(response)
            return response

        session.hooks["response"].append(hook)
    return session


def make_client(
    api_url: str,
    oauth_url: str,
    *,
    access_token: str | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    on_response: ResponseHook | None = None,
) -> Client:
    """The real stravalib Client, routed and without its sleeping limiter."""
    from stravalib import Client

    root = logging.getLogger()
    if _QUIET not in root.filters:
        root.addFilter(_QUIET)
    session = make_session(api_url, oauth_url, timeout_s=timeout_s, on_response=on_response)
    return Client(access_token=access_token, rate_limit_requests=False, requests_session=session)


def authorize_url(client: Client, oauth_url: str, **params: Any) -> str:
    """Strava's authorize URL for the configured OAuth base (stravalib always writes www.strava.com)."""
    url: str = client.authorization_url(**params)
    origin = stravalib_origin()[1]
    return oauth_url.rstrip("/") + url[len(origin) :] if url.startswith(origin) else url
