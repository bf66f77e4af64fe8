"""TwinRepository: the same answers from the in-memory fake, SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from syncd.domain.model import Source
from syncd.records import TwinFacts
from tests.contract.conftest import Stores
from tests.contract.helpers import T0, run

THROUGH_UNIT_OF_WORK = True  # each test also on the repositories the store's unit of work hands out


def test_twin_facts(store: Stores, athlete: int) -> None:
    activity_id = store.upsert_activity(athlete, run("1", moving_s=None, elapsed_s=2500.0), {}).activity_id
    assert store.twin_facts(activity_id) == TwinFacts(
        activity_id, athlete, "strava", "1", "run", T0, 7200.0, 2500.0, None
    )
    store.mark_deleted("strava", "1")
    assert store.twin_facts(activity_id) is None
    assert store.twin_facts(999) is None


def test_twins_near_in_start_order(store: Stores, athlete: int) -> None:
    late = store.upsert_activity(athlete, run("late", T0 + timedelta(minutes=2)), {}).activity_id
    garmin = store.upsert_activity(athlete, run("g", T0, source=Source.GARMIN), {}).activity_id
    early = store.upsert_activity(athlete, run("early", T0 - timedelta(minutes=2)), {}).activity_id
    store.upsert_activity(athlete, run("far", T0 + timedelta(minutes=3)), {})
    store.upsert_activity(store.ensure_athlete("other"), run("theirs", T0), {})
    near = store.twins_near(athlete, T0, timedelta(minutes=2), ["strava", "garmin"])
    assert [f.id for f in near] == [early, garmin, late]  # the window's edges belong to it
    assert [f.id for f in store.twins_near(athlete, T0, timedelta(minutes=2), ["garmin"])] == [garmin]


def test_linking_twins(store: Stores, athlete: int) -> None:
    strava = store.upsert_activity(athlete, run("s", T0), {}).activity_id
    garmin = store.upsert_activity(athlete, run("g", T0, source=Source.GARMIN), {}).activity_id
    later = store.upsert_activity(athlete, run("s2", T0 + timedelta(days=1)), {}).activity_id
    assert store.alone_since(athlete, "strava", T0) == [strava, later]
    store.set_logical_group([garmin, strava], "grp")
    assert [f.id for f in store.group_members("grp")] == [strava, garmin]
    assert store.alone_since(athlete, "strava", T0) == [later]
    rows = store.history_rows(athlete, T0, T0 + timedelta(days=2))
    assert [(r.activity_id, r.logical_group) for r in rows] == [(strava, "grp"), (garmin, "grp"), (later, None)]
    assert store.gear_distance_after(athlete, "shoe", T0 - timedelta(seconds=1)) == 2 * 7200.0  # twins once
    assert not store.upsert_activity(athlete, run("s", T0), {}).changed  # grouping is not new content
    store.mark_deleted("garmin", "g")
    assert [f.id for f in store.group_members("grp")] == [strava]
    store.set_logical_group([strava], None)
    assert store.group_members("grp") == [] and store.alone_since(athlete, "strava", T0) == [strava, later]
