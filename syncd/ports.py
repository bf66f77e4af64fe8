"""Protocols the services and rules depend on; adapters implement them, tests use in-memory fakes."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from syncd.domain.model import Activity, FloatArray, Gear, Streams
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


@dataclass(frozen=True)
class SourceSummary:
    """One listed activity: its id on the source, the model read from the listing, and the listing payload."""

    external_id: str
    activity: Activity
    payload: Mapping[str, Any]


@dataclass(frozen=True)
class FetchedActivity:
    """Everything a source knows about one activity: the model with streams and laps, what to keep raw, the shoe."""

    activity: Activity
    raw: Mapping[str, Any]
    gear: Gear | None = None


class Source(Protocol):
    """One account's activities on one source (Strava, Garmin Connect, a watched folder), for the sync pipeline.

    Errors: `syncd.adapters.platform_errors.PlatformError` (what to do is in its attributes) and
    `syncd.adapters.payload.PayloadError` (a payload of the wrong shape); nothing else is expected.
    """

    provider: str  # the `source` stored with each activity ("strava", "garmin", "file")

    def list_pages(self, after: datetime) -> Iterator[Sequence[Mapping[str, Any]]]:
        """Summaries of activities started after `after`, oldest first, page by page (one request each)."""
        ...

    def read_summary(self, payload: Mapping[str, Any]) -> SourceSummary:
        """The listing payload read into the model (no streams); PayloadError when it cannot be."""
        ...

    def is_changed(self, payload: Mapping[str, Any], stored_raw: Mapping[str, Any]) -> bool:
        """Whether the listed summary differs from the stored one in something that matters (sport, gear, ...)."""
        ...

    def has_detail(self, stored_raw: Mapping[str, Any]) -> bool:
        """Whether the stored raw data already holds the detail (description, laps, streams were fetched)."""
        ...

    def summary_record(
        self, payload: Mapping[str, Any], stored_raw: Mapping[str, Any]
    ) -> tuple[Activity, Mapping[str, Any]]:
        """What to store for a new or changed summary, keeping the detail fetched earlier."""
        ...

    def fetch(self, summary: SourceSummary, known_streams: Streams | None) -> FetchedActivity:
        """The detail (and streams unless `known_streams` already has them) and the shoe, for one activity."""
        ...
