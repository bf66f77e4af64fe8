"""ActivityRepository and AthleteRepository: the same answers from the in-memory fake, SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from syncd.adapters.db import NotFoundError
from syncd.domain.model import Gear, Source
from syncd.records import SyncFailure, UpsertResult
from tests.contract.conftest import Stores
from tests.contract.helpers import T0, run

THROUGH_UNIT_OF_WORK = True  # each test also on the repositories the store's unit of work hands out


def test_identical_content_writes_nothing(store: Stores, athlete: int) -> None:
    first = store.upsert_activity(athlete, run("1"), {"id": 1})
    assert first.created and first.changed
    assert store.upsert_activity(athlete, run("1"), {"id": 1}) == UpsertResult(first.activity_id, False, False)
    changed = store.upsert_activity(athlete, run("1", name="Hills"), {"id": 1})
    assert changed == UpsertResult(first.activity_id, False, True)
    assert store.get_activity(first.activity_id).activity.name == "Hills"


def test_raw_payload_is_stored_as_given_and_a_new_raw_is_a_change(store: Stores, athlete: int) -> None:
    raw = {"id": 1, "nested": {"a": [1, 2]}, "name": "Run"}
    activity_id = store.upsert_activity(athlete, run("1"), raw).activity_id
    assert store.get_activity(activity_id).raw == raw
    assert store.upsert_activity(athlete, run("1"), {**raw, "kudos": 3}).changed
    assert store.get_activity(activity_id).raw == {**raw, "kudos": 3}


def test_streams_none_keeps_the_stored_streams(store: Stores, athlete: int) -> None:
    activity_id = store.upsert_activity(athlete, run("1"), {}).activity_id
    store.upsert_activity(athlete, run("1", name="Renamed", streams=None), {})
    stored = store.get_activity(activity_id)
    assert stored.activity.name == "Renamed" and stored.activity.streams is not None
    assert len(stored.activity.streams) == 300
    assert store.get_activity(activity_id, with_streams=False).activity.streams is None


def test_needs_annotation_is_set_by_an_upsert_and_kept_by_the_next(store: Stores, athlete: int) -> None:
    activity_id = store.upsert_activity(athlete, run("1"), {}, needs_annotation=True).activity_id
    store.upsert_activity(athlete, run("1", name="Other"), {})
    assert store.get_activity(activity_id).needs_annotation
    store.save_annotation(activity_id, "v1", (), "note")
    assert not store.get_activity(activity_id).needs_annotation


def test_stored_content_clears_the_sync_failure_but_identical_content_too(store: Stores, athlete: int) -> None:
    activity_id = store.upsert_activity(athlete, run("1"), {}).activity_id
    failure = SyncFailure(2, T0 + timedelta(hours=1), "bad payload")
    store.record_sync_failure(activity_id, failure)
    assert store.get_activity(activity_id).sync_failure == failure
    again = store.upsert_activity(athlete, run("1"), {})
    assert again.changed and store.get_activity(activity_id).sync_failure is None


def test_input_warnings_per_kind(store: Stores, athlete: int) -> None:
    activity_id = store.upsert_activity(athlete, run("1"), {}).activity_id
    store.set_input_warning(activity_id, "hr", "heart rate out of range")
    store.set_input_warning(activity_id, "gps", "track jumps")
    store.set_input_warning(activity_id, "hr", None)
    assert store.get_activity(activity_id).input_warnings == {"gps": "track jumps"}


def test_deleted_activities_leave_listings_and_come_back_on_upsert(store: Stores, athlete: int) -> None:
    ids = [store.upsert_activity(athlete, run(str(i), T0 + timedelta(days=i)), {}).activity_id for i in range(3)]
    assert store.mark_deleted("strava", "1") and not store.mark_deleted("strava", "1")
    assert not store.mark_deleted("strava", "missing")
    assert [s.id for s in store.iter_activities(athlete_id=athlete)] == [ids[0], ids[2]]
    assert store.find_activity_id("strava", "1") == ids[1]  # kept for the audit trail
    assert [r.activity_id for r in store.history_rows(athlete, T0, T0 + timedelta(days=9))] == [ids[0], ids[2]]
    back = store.upsert_activity(athlete, run("1", T0 + timedelta(days=1)), {})
    assert back == UpsertResult(ids[1], False, True)
    assert [s.id for s in store.iter_activities(athlete_id=athlete)] == ids


def test_history_rows_in_order_within_the_half_open_span(store: Stores, athlete: int) -> None:
    other = store.ensure_athlete("other")
    late = store.upsert_activity(athlete, run("late", T0 + timedelta(days=2)), {}).activity_id
    early = store.upsert_activity(athlete, run("early", T0), {}).activity_id
    same_start = store.upsert_activity(athlete, run("same", T0), {}).activity_id
    store.upsert_activity(athlete, run("end", T0 + timedelta(days=3)), {})
    store.upsert_activity(other, run("theirs", T0 + timedelta(days=1)), {})
    rows = store.history_rows(athlete, T0, T0 + timedelta(days=3))
    assert [r.activity_id for r in rows] == [early, same_start, late]
    assert rows[0].entry.key == run("early").key and rows[0].logical_group is None
    assert next(s.id for s in store.iter_activities(athlete_id=athlete, since=T0 + timedelta(hours=1))) == late


def test_platform_ids_since(store: Stores, athlete: int) -> None:
    store.upsert_activity(athlete, run("old", T0 - timedelta(days=1)), {})
    store.upsert_activity(athlete, run("b", T0 + timedelta(hours=2)), {})
    store.upsert_activity(athlete, run("a", T0), {})
    store.upsert_activity(athlete, run("g", T0, source=Source.GARMIN), {})
    assert store.platform_ids_since(athlete, "strava", T0) == [("a", T0), ("b", T0 + timedelta(hours=2))]


def test_unknown_ids(store: Stores, athlete: int) -> None:
    assert store.get_athlete(athlete).name == "Ada"
    with pytest.raises(NotFoundError):
        store.get_athlete(athlete + 1000)
    with pytest.raises(NotFoundError):
        store.get_activity(999)
    assert store.find_activity_id("strava", "nope") is None


def test_gear_upsert_and_distance_as_of(store: Stores, athlete: int) -> None:
    store.upsert_gear(athlete, Gear("shoe", "Trail Shoes", 500_000.0, limit_m=600_000.0))
    store.upsert_gear(athlete, Gear("shoe", "Trail Shoes v2", 510_000.0, limit_m=600_000.0))
    assert store.get_gear(athlete, "shoe") == Gear("shoe", "Trail Shoes v2", 510_000.0, limit_m=600_000.0)
    assert store.get_gear(athlete, "none") is None
    for i in range(3):
        store.upsert_activity(athlete, run(str(i), T0 + timedelta(days=i), distance_m=1000.0 * (i + 1)), {})
    store.upsert_activity(athlete, run("x", T0 + timedelta(days=5), gear_id="other"), {})
    assert store.gear_distance_after(athlete, "shoe", T0) == 5000.0  # strictly after
    assert store.gear_distance_after(athlete, "shoe", T0 - timedelta(seconds=1)) == 6000.0
    store.mark_deleted("strava", "2")
    assert store.gear_distance_after(athlete, "shoe", T0) == 2000.0


def test_an_activity_of_an_unknown_athlete_is_refused(store: Stores, athlete: int) -> None:
    with pytest.raises(Exception):  # noqa: B017 - the database's integrity error, whatever its class
        store.upsert_activity(athlete + 1000, run("1"), {})
    assert store.find_activity_id("strava", "1") is None


def test_a_platform_without_limits_keeps_the_athletes_limit(store: Stores, athlete: int) -> None:
    store.upsert_gear(athlete, Gear("b", "Road", 1000.0))
    store.upsert_gear(athlete, Gear("a", "Trail", 2000.0, limit_m=600_000.0))
    assert store.set_gear_limit(athlete, "b", 700_000.0) and not store.set_gear_limit(athlete, "zz", 1.0)
    store.upsert_gear(athlete, Gear("b", "Road", 1500.0))  # Strava: no per-shoe limit
    assert store.list_gear(athlete) == [
        Gear("a", "Trail", 2000.0, limit_m=600_000.0),
        Gear("b", "Road", 1500.0, limit_m=700_000.0),
    ]
    assert store.set_gear_limit(athlete, "b", None) and store.get_gear(athlete, "b") == Gear("b", "Road", 1500.0)
    assert store.list_gear(store.ensure_athlete("other")) == []
