"""One rule for what is annotated (issue 27): every activity a sync stores gets its annotation in that pass,
whatever its sport and age; a ride, a yoga or a strength session inside the window from its summary alone (no
detail fetched, one row with no flags and no note). So `reannotate` right after a sync re-runs nothing, and the
JSON API says "annotated" of the rides as of the runs. A run whose sport changes to a ride loses its flags in the
next sync, and its note on the platform goes with it. The real stravalib client on the simulated Strava, the real
store on SQLite and PostgreSQL, real HTTP."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import requests

from syncd.adapters.db import Store
from syncd.config import Settings
from syncd.domain.description import START_MARKER
from syncd.domain.model import Sport
from syncd.entrypoints.web.app import create_app
from syncd.entrypoints.web.serve import serve_in_thread
from syncd.entrypoints.wiring import batch_repositories
from syncd.services.annotating import AnnotationPolicy, reannotate
from syncd.testing import strava_harness as harness
from syncd.testing.seed import detail_payload, streams_payload, synthetic_run, synthetic_session
from syncd.testing.strava_server import StravaSimulator
from tests.integration.conftest import FakeClock

RUN_DAYS = (40, 26, 22, 19, 15, 12, 8, 5, 3)  # the first before the 30-day window
SESSIONS = {45: Sport.RIDE, 24: Sport.RIDE, 17: Sport.YOGA, 10: Sport.STRENGTH, 6: Sport.RIDE, 2: Sport.YOGA}


@pytest.fixture
def sim(clock: FakeClock) -> Iterator[StravaSimulator]:
    with StravaSimulator(clock=clock.now) as server:
        yield server


def _add_run(sim: StravaSimulator, athlete: int, clock: FakeClock, days_ago: float, minutes: float) -> int:
    start = clock.now() - timedelta(days=days_ago, hours=2)
    run = synthetic_run(start, minutes=minutes, pace_s_per_km=330, seed=int(days_ago * 10))
    assert run.streams is not None
    return sim.add_activity(athlete, detail_payload(run, start=start), streams_payload(run.streams))


def _athlete(sim: StravaSimulator, clock: FakeClock) -> tuple[int, dict[int, int], dict[int, int]]:
    """Runs and cross-training in and before the window: (athlete, run ids by day, session ids by day)."""
    athlete = sim.add_athlete(firstname="Cross", lastname="Trainer").id
    runs = {days: _add_run(sim, athlete, clock, days, 30) for days in RUN_DAYS}
    sessions = {}
    for days, sport in SESSIONS.items():
        start = clock.now() - timedelta(days=days, hours=5)
        sessions[days] = sim.add_activity(athlete, detail_payload(synthetic_session(start, sport, 50), start=start))
    return athlete, runs, sessions


def _stored(store: Store, sim_id: int) -> int:
    found = store.find_activity_id("strava", str(sim_id))
    assert found is not None
    return found


def _fetched_ids(sim: StravaSimulator, since: int = 0) -> set[int]:
    """The activities whose detail or streams were asked of the simulator (never a listing), from request `since`."""
    paths = (r.path for r in sim.requests[since:] if r.method == "GET")
    found = (re.fullmatch(r"/api/v3/activities/(\d+)(/streams)?", path) for path in paths)
    return {int(m.group(1)) for m in found if m is not None}


def _annotation_rows(store: Store, activity_id: int) -> int:
    import sqlalchemy as sa

    from syncd.adapters.db.models import ANNOTATIONS

    with store.engine.connect() as conn:
        stmt = sa.select(sa.func.count()).select_from(ANNOTATIONS).where(ANNOTATIONS.c.activity_id == activity_id)
        return int(conn.execute(stmt).scalar_one())


def test_one_sync_annotates_every_sport_and_leaves_reannotate_nothing(
    store: Store, sim: StravaSimulator, clock: FakeClock, tmp_path: Path
) -> None:
    athlete, runs, sessions = _athlete(sim, clock)
    linked = harness.link(store, sim, athlete, clock=clock)
    service = harness.service(store, sim, clock=clock)
    service.run_once("w1")

    # no detail or streams asked for a non-run: the listing is all its annotation reads
    assert _fetched_ids(sim).isdisjoint(sessions.values())
    every = list(store.iter_activities(athlete_id=linked.athlete_id))
    assert len(every) == len(RUN_DAYS) + len(SESSIONS)
    for days, sim_id in sessions.items():
        activity_id = _stored(store, sim_id)
        latest = store.latest_annotation(activity_id)
        assert latest is not None, f"the {SESSIONS[days].value} of {days} days ago has no annotation"
        assert (tuple(latest.flags), latest.note, latest.platform_note) == ((), None, None)
        assert _annotation_rows(store, activity_id) == 1
        assert store.outbox_log.platform_writes(activity_id) == []
    assert all(store.latest_annotation(_stored(store, i)) is not None for i in runs.values())

    # nothing left for `syncd reannotate` (nor the daily re-scan) to do
    report = reannotate(batch_repositories(store), AnnotationPolicy(), now=clock.now())
    assert (report.examined, report.rerun, report.changed) == (len(every), 0, 0)

    # the JSON API says the same of every activity the sync stored: annotated, none pending
    with serve_in_thread(create_app(store, Settings(state_dir=tmp_path, config_path=None))) as base:
        listed = requests.get(f"{base}/api/activities", params={"per_page": 50}, timeout=30).json()["items"]
        pending = requests.get(f"{base}/api/activities", params={"annotated": "0"}, timeout=30).json()["items"]
    assert len(listed) == len(every) and all(item["annotated"] for item in listed)
    assert pending == []


def test_a_run_turned_into_a_ride_loses_its_flags_in_the_next_sync(
    store: Store, sim: StravaSimulator, clock: FakeClock
) -> None:
    athlete = sim.add_athlete(firstname="Ride", lastname="Not Run").id
    for days in (34, 30, 26, 22, 19, 15, 12, 8, 5, 3):  # 30 days of recording before the long run
        _add_run(sim, athlete, clock, days, 30)
    long_one = _add_run(sim, athlete, clock, 1, 60)  # twice the longest of the month: a long-run spike
    sim.update_activity(long_one, description="Legs heavy, good views")
    linked = harness.link(store, sim, athlete, clock=clock)
    service = harness.service(store, sim, clock=clock)
    service.run_once("w1")
    activity_id = _stored(store, long_one)
    flagged = store.latest_annotation(activity_id)
    assert flagged is not None and flagged.flags, "the long run must be flagged for this test to mean anything"
    assert START_MARKER in (sim.description(long_one) or "")

    # the runner says it was a ride; the next poll lists the change
    clock.advance(harness.seconds_until_due(store, clock.now()))
    sim.update_activity(long_one, sport_type="Ride", type="Ride", name="Evening Ride")
    asked = len(sim.requests)
    service.run_once("w1")

    stored = store.get_activity(activity_id, with_streams=False).activity
    latest = store.latest_annotation(activity_id)
    assert stored.sport is Sport.RIDE
    assert latest is not None and (tuple(latest.flags), latest.note) == ((), None)
    # its note on Strava goes with it (syncd's block removed, the runner's text byte for byte); the only requests
    # for the ride are the write-back's read and write of its description: no detail or streams for the sync
    assert sim.description(long_one) == "Legs heavy, good views"
    path = f"/api/v3/activities/{long_one}"
    assert [(r.method, r.path) for r in sim.requests[asked:] if r.path.startswith(path)] == [
        ("GET", path),
        ("PUT", path),
    ]
    report = reannotate(batch_repositories(store), AnnotationPolicy(), now=clock.now())
    assert report.rerun == 0
    assert store.annotation_batches.marked_stale_ids(linked.athlete_id) == []
