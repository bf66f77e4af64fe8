"""Descriptions the sync fetched moments ago, reused by the write-back as "fresh" to save one request per note.

Older than `fresh_s`, an entry is not trusted (the athlete may have edited the text since) and is read again.
Each entry is used once, and the cache is pruned so a long-running daemon never grows it without bound.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from syncd.ports import RemoteDescription

_PRUNE_AT = 1000


class RecentDescriptions:
    def __init__(self, *, fresh_s: float = 120.0, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._fresh_s = fresh_s
        self._monotonic = monotonic
        self._seen: dict[tuple[int, str], tuple[RemoteDescription, float]] = {}

    def remember(self, athlete_id: int, external_id: str, remote: RemoteDescription) -> None:
        now = self._monotonic()
        if len(self._seen) > _PRUNE_AT:
            self._seen = {k: v for k, v in self._seen.items() if now - v[1] <= self._fresh_s}
        self._seen[(athlete_id, external_id)] = (remote, now)

    def take(self, athlete_id: int, external_id: str) -> RemoteDescription | None:
        """The remembered description if still fresh (forgotten either way)."""
        seen = self._seen.pop((athlete_id, external_id), None)
        if seen is not None and self._monotonic() - seen[1] <= self._fresh_s:
            return seen[0]
        return None
