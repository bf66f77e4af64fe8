"""Strava as a `Source` for the sync pipeline: listing pages, detail + streams, the shoe from the detail.

Errors are PlatformErrors (syncd.adapters.strava.errors) and PayloadErrors; a 404 on the streams of an activity
means it was entered by hand (no streams), which is not an error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from syncd.adapters.payload import PayloadError, summary_changed
from syncd.adapters.strava.api import StravaApi
from syncd.adapters.strava.errors import GoneError
from syncd.adapters.strava.mapping import activity_from_payload, activity_id, gear_from_payload, streams_from_payload
from syncd.domain.model import Activity, Gear, Streams
from syncd.logging import get_logger
from syncd.ports import FetchedActivity, SourceSummary

PROVIDER = "strava"
SUMMARY_KEYS = (
    "sport_type",
    "type",
    "gear_id",
    "distance",
    "moving_time",
    "elapsed_time",
    "name",
    "private",
    "visibility",
    "workout_type",
    "start_date",
    "trainer",
)
log = get_logger("syncd.strava_source")


def _detail_of(raw: Mapping[str, Any]) -> dict[str, Any] | None:
    detail = raw.get("detail")
    return detail if isinstance(detail, dict) else None


class StravaSource:
    """One linked Strava account's activities; `on_detail` sees every detail fetched (the writer's cache)."""

    provider = PROVIDER
    deletes_missing = True  # an activity missing from a complete listing was deleted on the platform

    def __init__(
        self, api: StravaApi, *, per_page: int = 200, on_detail: Callable[[Mapping[str, Any]], None] | None = None
    ) -> None:
        self.api = api
        self.per_page = per_page
        self._on_detail = on_detail

    def list_pages(self, after: datetime) -> Iterator[Sequence[Mapping[str, Any]]]:
        page = 1
        while True:
            batch = self.api.list_activities(after=int(after.timestamp()), page=page, per_page=self.per_page)
            yield batch
            if len(batch) < self.per_page:
                return
            page += 1

    def read_summary(self, payload: Mapping[str, Any]) -> SourceSummary:
        return SourceSummary(activity_id(payload), activity_from_payload(payload), payload)

    def is_changed(self, payload: Mapping[str, Any], stored_raw: Mapping[str, Any]) -> bool:
        return summary_changed(SUMMARY_KEYS, payload, stored_raw)

    def has_detail(self, stored_raw: Mapping[str, Any]) -> bool:
        return _detail_of(stored_raw) is not None

    def summary_record(
        self, payload: Mapping[str, Any], stored_raw: Mapping[str, Any]
    ) -> tuple[Activity, Mapping[str, Any]]:
        detail = _detail_of(stored_raw)
        activity = activity_from_payload({**(detail or {}), **payload})
        return activity, {"summary": dict(payload), "detail": detail}

    def fetch(self, summary: SourceSummary, known_streams: Streams | None) -> FetchedActivity:
        ext_id = summary.external_id
        detail = self.api.activity(ext_id)
        streams = known_streams
        if streams is None:
            try:
                streams = streams_from_payload(self.api.streams(ext_id))
            except GoneError:
                streams = None  # manual entries have no streams
        activity = activity_from_payload(detail, streams)
        if self._on_detail is not None:
            self._on_detail(detail)
        raw = {"summary": dict(summary.payload), "detail": detail}
        return FetchedActivity(activity, raw, _shoe(ext_id, detail))


def _shoe(ext_id: str, detail: Mapping[str, Any]) -> Gear | None:
    gear = detail.get("gear")
    if not isinstance(gear, dict) or not gear.get("id"):
        return None
    try:
        item = gear_from_payload(gear)
    except PayloadError as exc:
        log.warning("strava_gear_skipped", activity_id=ext_id, error=str(exc))
        return None
    return item if item.kind == "shoe" else None
