"""Store.history counts a run synced from two platforms once (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from syncd.adapters.db import Store
from syncd.adapters.db.identity import set_group
from syncd.domain.model import Activity, Source, Sport
from syncd.services.identity import Linked, link_twin
from tests.history import history as history_in

START = datetime(2026, 11, 20, 6, 30, tzinfo=UTC)


def _run(source: Source, ext: str, start: datetime, distance: float) -> Activity:
    return Activity(
        source=source,
        external_id=ext,
        sport=Sport.RUN,
        sport_original="running",
        start_utc=start,
        distance_m=distance,
        moving_s=3000.0,
    )


def test_twins_count_once_and_never_as_their_own_history(store: Store) -> None:
    athlete = store.ensure_athlete("strava:1")
    garmin = store.upsert_activity(athlete, _run(Source.GARMIN, "g1", START, 10_000.0), {}).activity_id
    strava = store.upsert_activity(athlete, _run(Source.STRAVA, "s1", START + timedelta(seconds=50), 10_080.0), {})
    other = store.upsert_activity(athlete, _run(Source.STRAVA, "s2", START - timedelta(days=1), 5_000.0), {})
    window = (START - timedelta(days=3), START + timedelta(days=1))
    assert len(history_in(store, athlete, *window)) == 3

    linked = _link(store, garmin)

    assert linked is not None and set(linked.activity_ids) == {garmin, strava.activity_id}
    assert [h.key for h in history_in(store, athlete, *window)] == [("strava", "s2"), ("garmin", "g1")]
    assert [h.key for h in history_in(store, athlete, *window, exclude_id=strava.activity_id)] == [("strava", "s2")]
    assert [h.key for h in history_in(store, athlete, *window, exclude_id=other.activity_id)] == [("garmin", "g1")]
    # linking again changes nothing; a third copy from the same platform is not taken into the group
    assert _link(store, strava.activity_id) == linked
    third = store.upsert_activity(athlete, _run(Source.GARMIN, "g2", START + timedelta(seconds=10), 10_010.0), {})
    assert _link(store, third.activity_id) is None
    set_group(store.engine, [garmin, strava.activity_id], None)
    assert len(history_in(store, athlete, *window)) == 4


def _link(store: Store, activity_id: int) -> Linked | None:
    """`link_twin` in a unit of work of its own, committed."""
    with store.unit_of_work() as uow:
        linked = link_twin(uow, activity_id)
        uow.commit()
    return linked
