"""Strava sync end to end: the real stravalib client over loopback HTTP to the simulated Strava, the real store
(SQLite and PostgreSQL), annotation and write-back."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from syncd.adapters.db import Store
from syncd.domain.description import END_MARKER, START_MARKER
from syncd.domain.model import Sport
from syncd.domain.thresholds import Thresholds
from syncd.entrypoints.wiring import batch_repositories
from syncd.services.annotating import AnnotationPolicy, reannotate
from syncd.testing import strava_harness as harness
from syncd.testing.seed import seed_recordings, seed_synthetic
from syncd.testing.strava_server import StravaSimulator
from tests.integration.conftest import FakeClock

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real"
RUNS = [REAL / "run.fit", REAL / "c2eb1b_6.tcx", REAL / "2013-02-06-12-11-14.fit"]


@pytest.fixture
def sim(clock: FakeClock) -> Iterator[StravaSimulator]:
    with StravaSimulator(clock=clock.now) as server:
        yield server


@pytest.fixture
def athlete(sim: StravaSimulator, clock: FakeClock) -> int:
    a = sim.add_athlete(firstname="Ada", lastname="Runner")
    seed_recordings(sim, a.id, RUNS, end=clock.now() - timedelta(hours=3), gear_id="g77")
    sim.add_gear(a.id, "g77", "Asics Novablast", 650_000.0)
    seed_synthetic(sim, a.id, count=8, end=clock.now() - timedelta(days=4), run_share=0.5, seed=3)
    return a.id


def _runs_in_sim(sim: StravaSimulator, athlete_id: int) -> list[int]:
    return [i for i, d in sim.athletes[athlete_id].activities.items() if d["sport_type"] in ("Run", "TrailRun")]


def test_first_sync_pulls_annotates_and_writes_notes_back(
    store: Store, sim: StravaSimulator, athlete: int, clock: FakeClock
) -> None:
    linked = harness.link(store, sim, athlete, clock=clock)
    assert linked.name == "Ada Runner"
    service = harness.service(store, sim, clock=clock)
    sim.reset_log()

    report = service.run_once("w1")

    [outcome] = report.accounts
    assert outcome.error is None and outcome.report is not None
    runs = _runs_in_sim(sim, athlete)
    total = len(sim.athletes[athlete].activities)
    assert outcome.report.listed == total and outcome.report.detailed == len(runs)
    # non-runs cost nothing beyond the list
    assert sim.count("GET", r"/activities/\d+$") == len(runs)
    assert sim.count("GET", r"/streams$") == len(runs)
    assert sim.count("GET", r"/athlete/activities$") == 1
    # steady state per annotated run: detail + streams + PUT
    assert report.writeback is not None and report.writeback.written == len(runs)
    assert sim.count() == 1 + 3 * len(runs)
    for activity_id in runs:
        text = sim.description(activity_id) or ""
        assert text.count(START_MARKER) == 1 and text.count(END_MARKER) == 1
    stored = [s.activity for s in store.iter_activities(athlete_id=linked.athlete_id)]
    assert len(stored) == total
    assert {a.sport for a in stored} >= {Sport.RUN, Sport.RIDE}
    assert all(a.streams is None for a in stored if not a.sport.is_run)
    gear = store.get_gear(linked.athlete_id, "g77")
    assert gear is not None and gear.distance_m == 650_000.0
    # raw payloads are kept
    one = next(store.iter_activities(athlete_id=linked.athlete_id))
    assert "summary" in one.raw


def test_poll_with_nothing_new_is_one_request_and_reannotation_makes_none(
    store: Store, sim: StravaSimulator, athlete: int, clock: FakeClock
) -> None:
    linked = harness.link(store, sim, athlete, clock=clock)
    service = harness.service(store, sim, clock=clock)
    service.run_once("w1")
    clock.advance(harness.seconds_until_due(store, clock.now()))  # the adaptive schedule's next poll
    sim.reset_log()

    report = service.run_once("w1")

    assert report.accounts[0].report is not None and report.accounts[0].report.detailed == 0
    assert sim.count() == 1
    sim.reset_log()
    policy = AnnotationPolicy(thresholds=Thresholds(downhill_grade_pct=4.0))
    rerun = reannotate(batch_repositories(store), policy, now=clock.now(), write_back_providers=lambda _a: ("strava",))
    assert rerun.rerun > 0 and sim.count() == 0
    assert linked.account_id > 0


def test_new_run_edits_and_deletions_are_picked_up(
    store: Store, sim: StravaSimulator, athlete: int, clock: FakeClock
) -> None:
    linked = harness.link(store, sim, athlete, clock=clock)
    service = harness.service(store, sim, clock=clock)
    service.run_once("w1")
    runs = sorted(_runs_in_sim(sim, athlete), key=lambda i: sim.athletes[athlete].activities[i]["start_date"])
    edited, deleted = runs[-1], runs[-2]
    sim.update_activity(edited, sport_type="Ride", type="Ride")
    sim.delete_activity(deleted)
    new_ids = seed_synthetic(sim, athlete, count=1, end=clock.now() + timedelta(minutes=30), run_share=1.0, seed=9)
    clock.advance(harness.seconds_until_due(store, clock.now()))  # the adaptive schedule's next poll
    sim.reset_log()

    report = service.run_once("w1")

    sync = report.accounts[0].report
    assert sync is not None and sync.deleted == 1 and sync.detailed == 1
    assert store.find_activity_id("strava", str(deleted)) is not None
    assert str(deleted) not in {s.activity.external_id for s in store.iter_activities(athlete_id=linked.athlete_id)}
    edited_id = store.find_activity_id("strava", str(edited))
    assert edited_id is not None and store.get_activity(edited_id).activity.sport is Sport.RIDE
    assert START_MARKER in (sim.description(new_ids[0]) or "")


def test_write_back_private_only_touches_only_me_activities(
    store: Store, sim: StravaSimulator, athlete: int, clock: FakeClock
) -> None:
    runs = _runs_in_sim(sim, athlete)
    sim.update_activity(runs[0], private=True, visibility="only_me")
    harness.link(store, sim, athlete, clock=clock)
    harness.service(store, sim, clock=clock, write_back="private").run_once("w1")
    assert START_MARKER in (sim.description(runs[0]) or "")
    assert all(START_MARKER not in (sim.description(r) or "") for r in runs[1:])


def test_athlete_text_is_kept_and_a_deleted_block_is_an_opt_out(
    store: Store, sim: StravaSimulator, athlete: int, clock: FakeClock
) -> None:
    run = _runs_in_sim(sim, athlete)[0]
    sim.update_activity(run, description="Felt great.\nLegs heavy at the end.")
    harness.link(store, sim, athlete, clock=clock)
    service = harness.service(store, sim, clock=clock)
    service.run_once("w1")
    text = sim.description(run) or ""
    assert text.startswith("Felt great.\nLegs heavy at the end.\n\n" + START_MARKER)
    sim.update_activity(run, description="Felt great.")  # the athlete deleted our block
    stored_id = store.find_activity_id("strava", str(run))
    assert stored_id is not None
    store.enqueue_writeback(stored_id, "strava", "A newer note after a rule change.")
    clock.advance(3600)
    report = service.drain("w1")
    assert sim.description(run) == "Felt great."
    assert any(o.status == "opted_out" for o in report.outcomes)


def test_dry_run_shows_diffs_and_writes_nothing(
    store: Store, sim: StravaSimulator, athlete: int, clock: FakeClock
) -> None:
    harness.link(store, sim, athlete, clock=clock)
    report = harness.service(store, sim, clock=clock).run_once("w1", dry_run=True)
    assert report.writeback is not None
    diffs = [o.diff for o in report.writeback.outcomes if o.diff]
    assert diffs and all(f"+{START_MARKER}" in d for d in diffs)
    assert sim.count("PUT") == 0
    assert all(START_MARKER not in (sim.description(r) or "") for r in _runs_in_sim(sim, athlete))


def test_export_import_links_to_strava_ids_so_streams_are_not_refetched(
    store: Store, sim: StravaSimulator, clock: FakeClock
) -> None:
    from dataclasses import replace

    from syncd.adapters.files import load_activities
    from syncd.domain.model import Source

    a = sim.add_athlete()
    [strava_id] = seed_recordings(sim, a.id, [REAL / "run.fit"], end=clock.now() - timedelta(hours=1))
    linked = harness.link(store, sim, a.id, clock=clock)
    parsed = load_activities(REAL / "run.fit")[0]
    twin = replace(parsed.activity, source=Source.FILE, external_id=f"strava-export:{strava_id}")
    store.upsert_activity(linked.athlete_id, twin, parsed.raw)
    sim.reset_log()
    harness.service(store, sim, clock=clock).run_once("w1")
    assert sim.count("GET", r"/streams$") == 0
    stored_id = store.find_activity_id("strava", str(strava_id))
    assert stored_id is not None and store.get_activity(stored_id).activity.streams is not None
    assert [s.activity.source for s in store.iter_activities(athlete_id=linked.athlete_id)] == [Source.STRAVA]


def test_accounts_synced_in_one_pass_get_jittered_next_polls(
    store: Store, sim: StravaSimulator, clock: FakeClock
) -> None:
    for n in range(4):  # no history: the default day's next poll, offset by a few minutes per account
        harness.link(store, sim, sim.add_athlete(firstname=f"Runner{n}").id, clock=clock)
    service = harness.service(store, sim, clock=clock)

    report = service.run_once("w1")

    assert report.plan is not None
    interval = report.plan.interval_s  # four athletes share the budget: stretched past 15 minutes
    assert len(report.accounts) == 4 and all(o.error is None for o in report.accounts)
    due = [a.next_due_at for a in store.list_accounts()]
    assert len(set(due)) == 4  # linked together, polled apart
    assert interval > 900
    for when in due:
        offset = (when - clock.now()).total_seconds()
        assert 0 < offset <= 3 * 3600
