"""What can go wrong talking to Garmin Connect, sorted by what syncd should do about it.

garminconnect raises `GarminConnectTooManyRequestsError` for a 429 on reads, but a 429 on a write (PUT) surfaces as
a `GarminConnectConnectionError("API Error 429 …")`; both become `GarminRateLimitedError` with a long back-off,
because Garmin blocks accounts that keep knocking. 401 (after the client's own token refresh) and a token store
that will not load become `GarminUnauthorizedError`: the account needs `syncd link garmin`; we never log in with a
password on a schedule.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta

import requests
from garminconnect import (
    GarminConnectAuthenticationError,
    GarminConnectConnectionError,
    GarminConnectNotFoundError,
    GarminConnectTooManyRequestsError,
)

from syncd.platform_errors import (
    PlatformBadResponseError,
    PlatformError,
    PlatformGoneError,
    PlatformRateLimitedError,
    PlatformTransientError,
    PlatformUnauthorizedError,
)

# garminconnect's own wording: "API Error 503 - …" and "… client error (404): …". Nothing looser: a reset reads
# "ConnectionResetError(104, …)", which is an errno, not an HTTP status.
_STATUS = re.compile(r"(?:\bAPI Error\s*|\bclient error\s*\()([1-5]\d\d)\b", re.IGNORECASE)
RELINK_MESSAGE = (
    "Garmin Connect refused the stored tokens (expired or revoked); run `syncd link garmin` again for this athlete "
    "(syncd never logs in with a password on its own: Garmin blocks accounts that log in repeatedly)"
)


class GarminError(PlatformError):
    """Base class of every Garmin failure."""


class GarminUnauthorizedError(GarminError, PlatformUnauthorizedError):
    pass


class GarminGoneError(GarminError, PlatformGoneError):
    pass


class GarminRateLimitedError(GarminError, PlatformRateLimitedError):
    pass


class GarminTransientError(GarminError, PlatformTransientError):
    pass


class GarminBadResponseError(GarminError, PlatformBadResponseError):
    pass


def status_of(exc: BaseException) -> int | None:
    """The HTTP status behind a garminconnect exception: its `response`, else "API Error NNN" in the message."""
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    if isinstance(status, int):
        return status
    match = _STATUS.search(str(exc))
    return int(match.group(1)) if match else None


def _not_json(exc: BaseException) -> bool:
    """Whether a body that was not JSON (an HTML error page, garbage) is behind `exc` (garminconnect wraps it)."""
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, json.JSONDecodeError):
            return True
        cause = cause.__cause__ or cause.__context__
    return False


def _connection_error(exc: BaseException, what: str, limited: str, resume: datetime) -> GarminError:
    """garminconnect's catch-all error, sorted by the HTTP status it carries (or the cause behind it)."""
    status = status_of(exc)
    if status == 429:
        return GarminRateLimitedError(limited, resume)
    if status == 401:
        return GarminUnauthorizedError(f"{what}: 401 Unauthorized; {RELINK_MESSAGE}")
    if status == 404:
        return GarminGoneError(f"{what}: 404 not found on Garmin Connect (deleted or not visible)")
    if status is not None and status >= 500:
        return GarminTransientError(f"{what}: Garmin Connect server error {status}; will try again later")
    if status == 403:
        return GarminBadResponseError(
            f"{what}: 403 Forbidden from Garmin Connect (the activity is not this account's, or Garmin is "
            "blocking this network); check the account in Garmin Connect"
        )
    if status is not None:
        return GarminBadResponseError(f"{what}: Garmin Connect answered {status}; this request is skipped")
    if _not_json(exc):
        return GarminBadResponseError(
            f"{what}: Garmin Connect's answer was not JSON (an error page from a proxy, or a broken answer)"
        )
    return GarminTransientError(f"{what}: connection to Garmin Connect failed; check the network or api_url")


def classify(exc: BaseException, what: str, *, now: datetime, backoff: timedelta) -> GarminError:
    """Turn a garminconnect/requests exception into one of ours; `what` names the call for the message."""
    if isinstance(exc, GarminError):
        return exc
    resume = now + backoff
    hours = backoff.total_seconds() / 3600
    limited = (
        f"{what}: Garmin Connect answered 429 Too Many Requests; syncd waits {hours:g} h before asking again "
        f"(until {resume:%Y-%m-%d %H:%M} UTC; [garmin] backoff_hours)"
    )
    if isinstance(exc, GarminConnectTooManyRequestsError):
        return GarminRateLimitedError(limited, resume)
    if isinstance(exc, GarminConnectAuthenticationError):
        return GarminUnauthorizedError(f"{what}: {RELINK_MESSAGE}")
    if isinstance(exc, GarminConnectNotFoundError):
        return GarminGoneError(f"{what}: 404 not found on Garmin Connect (deleted or not visible to this account)")
    if isinstance(exc, GarminConnectConnectionError):
        return _connection_error(exc, what, limited, resume)
    if isinstance(exc, (requests.Timeout, TimeoutError)):
        return GarminTransientError(f"{what}: Garmin Connect did not answer in time; will try again later")
    if isinstance(exc, (requests.ConnectionError, ConnectionError)):
        return GarminTransientError(f"{what}: connection to Garmin Connect failed; check the network or api_url")
    if isinstance(exc, (ValueError, KeyError, TypeError)):
        return GarminBadResponseError(
            f"{what}: Garmin Connect's answer was not of the expected shape ({type(exc).__name__})"
        )
    raise exc
