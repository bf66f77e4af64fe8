"""Random faults for the simulated platforms (the fault-injection suite), shared by the Strava and Garmin simulators.

A `Chaos` deals faults on a share of API answers. "…_before" kinds never reach the platform (nothing changes);
"…_after" kinds and "truncated" do (a PUT is applied) and only the answer is lost. What a fault looks like on the
wire is decided here once (`before`, `after`, `SimHandler.send`); each simulator only says how its errors read and
how an access token expires early.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

CHAOS_KINDS = (
    "429",
    "500",
    "502",
    "503",
    "html",
    "nonjson",
    "truncated",
    "reset_before",
    "reset_after",
    "timeout_before",
    "timeout_after",
    "token_expiry",
)
AFTER_KINDS = frozenset({"reset_after", "timeout_after", "truncated"})  # the request took effect, the answer is lost
HTML_ERROR_PAGE = (
    b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>"
)
NOT_JSON_PAGE = b"<html><body>Service temporarily unavailable</body></html>"


@dataclass(frozen=True)
class RawBody:
    """An answer that is not JSON (an HTML error page from a proxy, garbage); sent as is."""

    data: bytes
    content_type: str = "text/html; charset=utf-8"


@dataclass(frozen=True)
class Truncated:
    """An answer whose full length is announced but only half the body is sent before the line drops."""

    payload: Any


@dataclass
class Chaos:
    """Random faults on a share of API answers: `rate` of them, kinds dealt evenly.

    `paths` narrows which requests are eligible (None: every API request the simulator offers). Timeouts hold the
    answer `timeout_s` (longer than the client waits). `injected` counts by kind, `considered` the eligible answers.
    """

    rate: float
    seed: int = 0
    kinds: tuple[str, ...] = CHAOS_KINDS
    timeout_s: float = 1.5
    paths: re.Pattern[str] | None = None
    injected: dict[str, int] = field(default_factory=dict)
    considered: int = 0

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._deck: list[str] = []

    def draw(self, path: str, *, eligible: re.Pattern[str] | None = None) -> str | None:
        """The fault for this answer, or None; `eligible` is the simulator's own API path pattern."""
        pattern = self.paths or eligible
        if pattern is not None and not pattern.search(path):
            return None
        self.considered += 1
        # Random, but held to the share: the chance grows with how far the faults so far lag behind `rate`.
        owed = self.rate * self.considered - self.total
        if self._rng.random() >= min(1.0, max(0.0, owed)):
            return None
        if not self._deck:  # a shuffled deck, not independent draws: every kind comes up once per len(kinds) faults
            self._deck = list(self.kinds)
            self._rng.shuffle(self._deck)
        kind = self._deck.pop()
        self.injected[kind] = self.injected.get(kind, 0) + 1
        return kind

    @property
    def total(self) -> int:
        return sum(self.injected.values())

    def summary(self) -> str:
        share = self.total / max(self.considered, 1)
        kinds = dict(sorted(self.injected.items()))
        return f"{self.total} of {self.considered} answers faulty ({share:.0%}), kinds {kinds}"


def before(
    kind: str,
    chaos: Chaos,
    *,
    error: Callable[[int], Any],
    expire_token: Callable[[], tuple[int, Any]],
) -> tuple[int | str, Any, float]:
    """(status or "reset", body, delay) of a fault that never reaches the platform.

    `error(status)` is the platform's JSON error body; `expire_token()` makes the caller's access token expire
    early and returns the platform's 401 answer (the client must refresh and try again).
    """
    if kind in ("429", "500", "502", "503"):
        return int(kind), error(int(kind)), 0.0
    if kind == "html":
        return 502, RawBody(HTML_ERROR_PAGE), 0.0
    if kind == "nonjson":
        return 200, RawBody(NOT_JSON_PAGE), 0.0
    if kind == "reset_before":
        return "reset", None, 0.0
    if kind == "timeout_before":
        return "reset", None, chaos.timeout_s
    if kind == "token_expiry":
        status, body = expire_token()
        return status, body, 0.0
    raise ValueError(f"unknown chaos kind {kind!r} (known: {', '.join(CHAOS_KINDS)})")


def after(kind: str, chaos: Chaos, status: int, payload: Any) -> tuple[int | str, Any, float]:
    """(status or "reset", body, delay) once the platform has done the request and the answer is then lost."""
    if kind == "reset_after":
        return "reset", None, 0.0
    if kind == "timeout_after":
        return status, payload, chaos.timeout_s
    if kind == "truncated":
        return status, Truncated(payload), 0.0
    raise ValueError(f"chaos kind {kind!r} is not one applied after the request (known: {sorted(AFTER_KINDS)})")
