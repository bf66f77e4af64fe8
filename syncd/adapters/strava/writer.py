"""Strava's side of the write-back outbox: a fresh description in, the merged one out by PUT.

"Fresh" costs a GET per note. When the sync has fetched the same activity's detail moments ago (same pass), that
answer is fresh enough and is reused (`remember`, at most `fresh_s` old): steady state is then detail + streams +
PUT = 3 requests per annotated run. Anything older is read again, since the athlete may have edited it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from syncd.adapters.recent_descriptions import RecentDescriptions
from syncd.adapters.strava.api import StravaApi
from syncd.adapters.strava.mapping import is_private
from syncd.ports import RemoteDescription

# Strava does not document a limit; descriptions far beyond this are rejected or cut in the apps.
STRAVA_MAX_DESCRIPTION = 10_000


class StravaDescriptionWriter:
    """A `DescriptionWriter` that gets each athlete's API (tokens, budget) from `api_for`."""

    max_length: int | None = STRAVA_MAX_DESCRIPTION

    def __init__(
        self,
        api_for: Callable[[int], StravaApi],
        *,
        fresh_s: float = 120.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._api_for = api_for
        self._recent = RecentDescriptions(fresh_s=fresh_s, monotonic=monotonic)

    def remember(self, athlete_id: int, detail: Mapping[str, Any]) -> None:
        """Keep what a just-fetched DetailedActivity says (called by the sync)."""
        self._recent.remember(athlete_id, str(detail.get("id")), _remote_of(detail))

    def read_description(self, athlete_id: int, external_id: str) -> RemoteDescription:
        recent = self._recent.take(athlete_id, external_id)
        if recent is not None:
            return recent
        return _remote_of(self._api_for(athlete_id).activity(external_id, for_writeback=True))

    def write_description(self, athlete_id: int, external_id: str, text: str) -> None:
        self._api_for(athlete_id).update_description(external_id, text)


def _remote_of(detail: Mapping[str, Any]) -> RemoteDescription:
    text = detail.get("description")
    return RemoteDescription(text=text if isinstance(text, str) else None, private=is_private(detail))
