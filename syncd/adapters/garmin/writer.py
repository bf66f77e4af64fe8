"""Garmin's side of the write-back outbox. `set_activity_description` replaces the whole text, so the outbox
always reads the activity fresh, merges our block and writes the result; a description the sync fetched moments
ago (same pass, at most `fresh_s` old) counts as fresh and saves a request.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from syncd.adapters.garmin.api import GarminApi
from syncd.adapters.garmin.mapping import flatten, is_private
from syncd.adapters.recent_descriptions import RecentDescriptions
from syncd.ports import RemoteDescription

# Garmin documents no limit; longer descriptions are cut in its apps. Our notes are a few hundred characters.
GARMIN_MAX_DESCRIPTION = 10_000


def remote_of(activity: Mapping[str, Any]) -> RemoteDescription:
    text = flatten(activity).get("description")
    return RemoteDescription(text=text if isinstance(text, str) else None, private=is_private(activity))


class GarminDescriptionWriter:
    """A `DescriptionWriter` that gets each athlete's logged-in API from `api_for`."""

    max_length: int | None = GARMIN_MAX_DESCRIPTION

    def __init__(
        self,
        api_for: Callable[[int], GarminApi],
        *,
        fresh_s: float = 120.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._api_for = api_for
        self._recent = RecentDescriptions(fresh_s=fresh_s, monotonic=monotonic)

    def remember(self, athlete_id: int, activity: Mapping[str, Any]) -> None:
        """Keep what a just-fetched activity says (called by the sync)."""
        self._recent.remember(athlete_id, str(activity.get("activityId")), remote_of(activity))

    def read_description(self, athlete_id: int, external_id: str) -> RemoteDescription:
        recent = self._recent.take(athlete_id, external_id)
        return recent if recent is not None else remote_of(self._api_for(athlete_id).activity(external_id))

    def write_description(self, athlete_id: int, external_id: str, text: str) -> None:
        self._api_for(athlete_id).set_description(external_id, text)
