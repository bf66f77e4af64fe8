"""The one error seam between platforms and services: every Strava and Garmin failure is a `PlatformError`.

Each adapter maps its client's exceptions into these classes at its edge (strava/errors.py, garmin/errors.py), so
the services decide by what the error says, never by which platform raised it:

- `retry_after`: nothing should be requested from this platform before then (rate limits, 429);
- `permanent`: trying the same request again cannot help (404 gone);
- `needs_relink`: the stored credentials were refused: the account needs `syncd link <platform>` again;
- `app_inactive`: the platform switched our whole application off (Strava's 403 "Application Inactive");
- `bad_payload`: the answer was not what the API documents (non-JSON 200, wrong shape, an unexpected 4xx):
  the item is deferred with backoff and reported as failed, never silently skipped;
- none of these: transient (5xx, timeouts, resets that outlived their retries): try again on a later pass.

Messages are one line naming the problem and the fix, and never carry a token.
"""

from __future__ import annotations

from datetime import datetime


class PlatformError(Exception):
    """Base class of every platform failure; the class attributes say what the caller should do."""

    retry_after: datetime | None = None
    permanent = False
    needs_relink = False
    app_inactive = False
    bad_payload = False

    @property
    def retryable(self) -> bool:
        """Whether trying again later can help."""
        return not (self.permanent or self.needs_relink or self.app_inactive or self.bad_payload)


class PlatformUnauthorizedError(PlatformError):
    """The platform refused the stored credentials: the account needs `syncd link <platform>` again."""

    needs_relink = True


class PlatformAppInactiveError(PlatformError):
    """The platform switched the whole application off: explain it to the user, do not retry in a loop."""

    app_inactive = True


class PlatformGoneError(PlatformError):
    """The activity (or gear) no longer exists or is not visible to syncd: retrying cannot help."""

    permanent = True


class PlatformRateLimitedError(PlatformError):
    """Nothing should be requested from this platform before `resume_at`."""

    def __init__(self, message: str, resume_at: datetime) -> None:
        super().__init__(message)
        self.resume_at = resume_at
        self.retry_after = resume_at

    @property
    def retryable(self) -> bool:
        return True


class PlatformTransientError(PlatformError):
    """5xx, timeouts, connection resets that outlived their retries: try again on a later pass."""


class PlatformBadResponseError(PlatformError):
    """An answer we did not expect (another 4xx, or a body of the wrong shape): defer the item and report it."""

    bad_payload = True
