"""The platform error seam now lives in `syncd.platform_errors` (the ports and services use it without an adapter);
this module keeps the old import path working for the adapters and existing callers."""

from syncd.platform_errors import (
    PlatformAppInactiveError,
    PlatformBadResponseError,
    PlatformError,
    PlatformGoneError,
    PlatformRateLimitedError,
    PlatformTransientError,
    PlatformUnauthorizedError,
)

__all__ = [
    "PlatformAppInactiveError",
    "PlatformBadResponseError",
    "PlatformError",
    "PlatformGoneError",
    "PlatformRateLimitedError",
    "PlatformTransientError",
    "PlatformUnauthorizedError",
]
