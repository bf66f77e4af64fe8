"""The athlete's zone from their activities (where the strip's, the digest's and the check-in's days end): the newest
recent activity's zone name, the newest activity's offset; kept until the data changes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from syncd.adapters.db import Store
from syncd.adapters.db.repositories import _ZONE_LOOKBACK
from syncd.domain.model import Activity, Source, Sport

START = datetime(2026, 11, 2, 6, 0, tzinfo=UTC)


def _run(store: Store, athlete: int, day: int, *, zone: str | None, offset: int) -> None:
    activity = Activity(
        Source.FILE, f"r{day}", Sport.RUN, "running", START + timedelta(days=day), utc_offset_s=offset,
        timezone_name=zone,
    )  # fmt: skip
    store.upsert_activity(athlete, activity, {})


def test_the_newest_recent_zone_and_the_newest_offset(store_factory: Callable[[], Store]) -> None:
    store = store_factory()
    athlete = store.ensure_athlete("a")
    reads = store.activity_reads
    assert reads.latest_zone(athlete) == (None, None)
    _run(store, athlete, 0, zone="Europe/Oslo", offset=3600)
    _run(store, athlete, 1, zone=None, offset=7200)
    assert reads.latest_zone(athlete) == ("Europe/Oslo", 7200)  # the zone of an older run, today's offset
    _run(store, athlete, 2, zone="America/New_York", offset=-18000)  # a change reaches the cached answer
    assert reads.latest_zone(athlete) == ("America/New_York", -18000)


def test_a_zone_older_than_the_recent_activities_is_not_used(store_factory: Callable[[], Store]) -> None:
    store = store_factory()
    athlete = store.ensure_athlete("a")
    _run(store, athlete, 0, zone="Europe/Oslo", offset=3600)
    for day in range(1, _ZONE_LOOKBACK + 1):
        _run(store, athlete, day, zone=None, offset=0)
    assert store.activity_reads.latest_zone(athlete) == (None, 0)  # the offset rules, not a zone of long ago
