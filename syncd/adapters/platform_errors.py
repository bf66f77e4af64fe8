"""Error bases every platform adapter can share, so services (the write-back outbox) react to "rate limited",
"gone" and "needs re-link" the same way whichever platform raised it.

Strava's own errors (syncd.adapters.strava.errors) predate this module; Garmin's subclass these bases. Messages are
one line naming the problem and the fix, and never carry a token.
"""

from __future__ import annotations

from datetime import datetime


class PlatformError(Exception):
    """Base class; `retryable` says whether trying again later can help."""

    retryable = False


class PlatformUnauthorizedError(PlatformError):
    """The platform refused the stored credentials: the account needs `syncd link <platform>` again."""


class PlatformGoneError(PlatformError):
    """The activity (or gear) no longer exists or is not visible to syncd: retrying cannot help."""


class PlatformRateLimitedError(PlatformError):
    """Nothing should be requested from this platform before `resume_at`."""

    retryable = True

    def __init__(self, message: str, resume_at: datetime) -> None:
        super().__init__(message)
        self.resume_at = resume_at


class PlatformTransientError(PlatformError):
    """5xx, timeouts, connection resets that outlived their retries: try again on a later pass."""

    retryable = True


class PlatformBadResponseError(PlatformError):
    """An answer we did not expect (another 4xx, or a body of the wrong shape): this request is skipped."""
