"""Garmin Connect as a `Source` for the sync pipeline: the listing by date, and per activity its detail, metrics
(-> streams), splits (-> laps) and gear with gear stats (the shoe's maximum distance, fetched once per pass)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from syncd.adapters.garmin.api import GarminApi
from syncd.adapters.garmin.errors import GarminBadResponseError, GarminGoneError
from syncd.adapters.garmin.mapping import (
    activity_from_payload,
    activity_id,
    gear_from_payload,
    laps_from_payload,
    shoe_of,
    start_of,
    streams_from_details,
)
from syncd.adapters.payload import PayloadError, summary_changed
from syncd.domain.model import Activity, Gear, Streams
from syncd.logging import get_logger
from syncd.ports import FetchedActivity, SourceSummary

PROVIDER = "garmin"
SUMMARY_KEYS = (
    "activityType",
    "activityName",
    "distance",
    "duration",
    "movingDuration",
    "startTimeGMT",
    "privacy",
)  # not the description: our own write-back changes it, and the outbox reads it fresh anyway
log = get_logger("syncd.garmin_source")


def _with_gear(activity: Activity, raw: Mapping[str, Any]) -> Activity:
    gear = raw.get("gear")
    if isinstance(gear, list):
        shoe = shoe_of([g for g in gear if isinstance(g, dict)])
        if shoe is not None:
            return replace(activity, gear_id=str(shoe["uuid"]))
    return activity


class GarminSource:
    """One linked Garmin account's activities; `on_activity` sees every activity fetched (the writer's cache)."""

    provider = PROVIDER
    deletes_missing = True  # an activity missing from a complete listing was deleted on the platform

    def __init__(self, api: GarminApi, *, on_activity: Callable[[Mapping[str, Any]], None] | None = None) -> None:
        self.api = api
        self._on_activity = on_activity
        self._gear_stats: dict[str, Mapping[str, Any]] = {}

    def list_pages(self, after: datetime) -> Iterator[Sequence[Mapping[str, Any]]]:
        # Garmin lists by the athlete's local date; a day earlier covers every offset from UTC
        yield self.api.activities_by_date((after - timedelta(days=1)).date())

    def read_summary(self, payload: Mapping[str, Any]) -> SourceSummary:
        return SourceSummary(activity_id(payload), activity_from_payload(payload), payload)

    def is_changed(self, payload: Mapping[str, Any], stored_raw: Mapping[str, Any]) -> bool:
        return summary_changed(SUMMARY_KEYS, payload, stored_raw)

    def has_detail(self, stored_raw: Mapping[str, Any]) -> bool:
        return isinstance(stored_raw.get("activity"), dict)

    def summary_record(
        self, payload: Mapping[str, Any], stored_raw: Mapping[str, Any]
    ) -> tuple[Activity, Mapping[str, Any]]:
        kept = stored_raw.get("activity")
        description = {"description": kept.get("description")} if isinstance(kept, dict) else {}
        activity = activity_from_payload({**payload, **description})
        return _with_gear(activity, stored_raw), {**stored_raw, "summary": dict(payload)}

    def fetch(self, summary: SourceSummary, known_streams: Streams | None) -> FetchedActivity:
        ext_id = summary.external_id
        activity = self.api.activity(ext_id)
        start, _offset = start_of(activity)
        details = self.api.details(ext_id)
        splits = self.api.splits(ext_id)
        gear_list = self.api.activity_gear(ext_id)
        streams = known_streams if known_streams is not None else streams_from_details(details, start)
        shoe = shoe_of(gear_list)
        gear_id = str(shoe["uuid"]) if shoe is not None else None
        mapped = activity_from_payload(
            activity, streams=streams, laps=laps_from_payload(splits, start), gear_id=gear_id
        )
        if self._on_activity is not None:
            self._on_activity(activity)
        raw = {"summary": dict(summary.payload), "activity": activity, "splits": splits, "gear": gear_list}
        return FetchedActivity(mapped, raw, self._gear(ext_id, shoe))

    def _gear(self, ext_id: str, shoe: Mapping[str, Any] | None) -> Gear | None:
        """The shoe with its stats (fetched once per pass); None when there is none or it cannot be read."""
        if shoe is None:
            return None
        uuid = str(shoe["uuid"])
        try:
            if uuid not in self._gear_stats:
                self._gear_stats[uuid] = self.api.gear_stats(uuid)
            return gear_from_payload(shoe, self._gear_stats[uuid])
        except (PayloadError, GarminGoneError, GarminBadResponseError) as exc:
            log.warning("garmin_gear_skipped", activity_id=ext_id, error=str(exc))
            return None
