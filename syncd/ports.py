"""Protocols the services and rules depend on; adapters implement them, tests use in-memory fakes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from syncd.domain.model import FloatArray
from syncd.domain.surface import SurfaceBreakdown


class SurfaceMap(Protocol):
    def classify(self, lat: FloatArray, lon: FloatArray) -> SurfaceBreakdown | None:
        """Metres per surface class along the track, or None when the map has no data for this area."""
        ...


class Clock(Protocol):
    def now(self) -> datetime:
        """Aware UTC now."""
        ...


@dataclass(frozen=True)
class RemoteDescription:
    """An activity's description as the platform has it right now, and whether only the athlete can see it."""

    text: str | None
    private: bool


class DescriptionWriter(Protocol):
    """One platform's side of the write-back outbox (Strava, Garmin): read fresh, write the merged text."""

    max_length: int | None

    def read_description(self, athlete_id: int, external_id: str) -> RemoteDescription:
        """The current description (never a cached copy: the athlete may have edited it a minute ago)."""
        ...

    def write_description(self, athlete_id: int, external_id: str, text: str) -> None:
        """Replace the whole description with `text`."""
        ...


class ActivitySource(Protocol):
    """A platform's activity API for one athlete, as raw JSON (adapters map it into the model)."""

    def list_activities(
        self, *, after: int | None, before: int | None = None, page: int = 1, per_page: int = 100
    ) -> list[dict[str, Any]]:
        """Summaries started after/before the given epoch seconds, one page."""
        ...

    def activity(self, activity_id: str) -> dict[str, Any]:
        """The detailed representation (description, gear, laps, workout type)."""
        ...

    def streams(self, activity_id: str) -> Any:
        """Sample streams keyed by type."""
        ...
