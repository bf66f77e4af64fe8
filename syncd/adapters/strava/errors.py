"""What can go wrong talking to Strava, sorted by what syncd should do about it.

Every message is one line naming the problem and the fix, and never carries a token (they travel in headers and
form bodies, which we never format into a message).
"""

from __future__ import annotations

import requests

from syncd.platform_errors import (
    PlatformAppInactiveError,
    PlatformBadResponseError,
    PlatformError,
    PlatformGoneError,
    PlatformRateLimitedError,
    PlatformTransientError,
    PlatformUnauthorizedError,
)


class StravaError(PlatformError):
    """Base class of every Strava failure (what to do is in the PlatformError attributes)."""


class UnauthorizedError(StravaError, PlatformUnauthorizedError):
    """401 even with a fresh token: the athlete revoked access or the token is gone. Needs `syncd link strava`."""


class AppInactiveError(StravaError, PlatformAppInactiveError):
    """403 "Application Inactive": since 2026 a standard-tier app needs its owner's Strava subscription."""


class ForbiddenError(StravaError, PlatformBadResponseError):
    """Another 403 (e.g. a missing scope such as activity:write): reported, retried with backoff."""


class GoneError(StravaError, PlatformGoneError):
    """404: the activity (or gear) is gone or private to us."""


class RateLimitedError(StravaError, PlatformRateLimitedError):
    """429 or our own budget is used up; nothing should be requested before `resume_at`."""


class TransientError(StravaError, PlatformTransientError):
    """5xx, timeouts, connection resets: retry with jittered backoff."""


class BadResponseError(StravaError, PlatformBadResponseError):
    """A 4xx we did not expect, or a body that is not what the API documents."""


INACTIVE_MESSAGE = (
    "Strava says the API application is inactive (403 Application Inactive): since 2026 a standard-tier app "
    "needs an active Strava subscription on the account that owns it and serves at most 10 athletes; subscribe, "
    "reactivate it at https://www.strava.com/settings/api, then run `syncd sync` again"
)
RELINK_MESSAGE = (
    "Strava refused the account's tokens (401 after a refresh): access was revoked or expired; "
    "run `syncd link strava` again for this athlete"
)


def classify(exc: BaseException, what: str) -> StravaError:
    """Turn a requests/stravalib exception into one of ours; `what` names the call for the message."""
    if isinstance(exc, StravaError):
        return exc
    from stravalib import exc as strava_exc  # imported by then: the call that failed went through stravalib

    if isinstance(exc, strava_exc.ApplicationInactive):
        return AppInactiveError(INACTIVE_MESSAGE)
    if isinstance(exc, strava_exc.AccessUnauthorized):
        return UnauthorizedError(f"{what}: 401 Unauthorized; {RELINK_MESSAGE}")
    if isinstance(exc, strava_exc.ObjectNotFound):
        return GoneError(f"{what}: 404 not found on Strava (deleted or not visible to syncd)")
    if isinstance(exc, strava_exc.Fault):
        status = exc.response.status_code if exc.response is not None else 0
        if status >= 500:
            return TransientError(f"{what}: Strava server error {status}; will retry with backoff")
        if status == 403:
            return ForbiddenError(
                f"{what}: 403 Forbidden; check the app's scopes (read_all, activity:read_all, activity:write) and "
                "re-link with `syncd link strava`"
            )
        return BadResponseError(f"{what}: Strava answered {status}; this request is skipped")
    if isinstance(exc, requests.Timeout):
        return TransientError(f"{what}: Strava did not answer in time; will retry with backoff")
    if isinstance(exc, requests.ConnectionError):
        return TransientError(
            f"{what}: connection to Strava failed ({type(exc).__name__}); check the network or api_url"
        )
    if isinstance(exc, (ValueError, KeyError, TypeError)):
        return BadResponseError(
            f"{what}: Strava's answer was not valid JSON of the documented shape ({type(exc).__name__})"
        )
    if isinstance(exc, requests.RequestException):
        return TransientError(f"{what}: request failed ({type(exc).__name__}); will retry")
    raise exc
