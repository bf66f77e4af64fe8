"""Issue 31, end to end: the real stravalib client over loopback against the simulated Strava, on SQLite and
PostgreSQL. A run named "Run \\x00 name" once failed every pass on PostgreSQL (2 of 7 stored, no note written, the
account shown "ok"); now all are stored, every note is written, the NUL is reported, and a run the database still
refuses is skipped, shown on the account as degraded (without its contents), and stored once it can be."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta

import pytest

from syncd.adapters.db import Store
from syncd.domain.description import START_MARKER
from syncd.entrypoints.wiring import status_reads
from syncd.services.status import account_rows
from syncd.testing import strava_harness as harness
from syncd.testing.seed import seed_synthetic
from syncd.testing.strava_server import StravaSimulator
from tests.integration.conftest import FakeClock


@pytest.fixture
def sim(clock: FakeClock) -> Iterator[StravaSimulator]:
    with StravaSimulator(clock=clock.now) as server:
        yield server


def _seven_runs(sim: StravaSimulator, clock: FakeClock) -> tuple[int, list[int]]:
    athlete = sim.add_athlete(firstname="Ada", lastname="Runner").id
    ids = seed_synthetic(sim, athlete, count=7, end=clock.now() - timedelta(hours=2), run_share=1.0, seed=5)
    return athlete, ids


def test_a_nul_in_a_name_no_longer_stops_the_account(store: Store, sim: StravaSimulator, clock: FakeClock) -> None:
    athlete, ids = _seven_runs(sim, clock)
    sim.update_activity(ids[2], name="Run \x00 name", description="felt fine \x00 today")
    linked = harness.link(store, sim, athlete, clock=clock)
    service = harness.service(store, sim, clock=clock)

    report = service.run_once("w1")

    [outcome] = report.accounts
    assert outcome.error is None and outcome.report is not None
    assert outcome.report.unstored == [] and outcome.report.annotated == 7
    assert outcome.report.cleaned == [(str(ids[2]), "name, description")]
    assert report.writeback is not None and report.writeback.written == 7
    stored = {s.activity.external_id: s for s in store.iter_activities(athlete_id=linked.athlete_id)}
    assert len(stored) == 7
    assert stored[str(ids[2])].activity.name == "Run  name"
    assert stored[str(ids[2])].raw["summary"]["name"] == "Run \\u0000 name"
    for activity_id in ids:
        assert START_MARKER in (sim.description(activity_id) or "")
    assert (sim.description(ids[2]) or "").startswith("felt fine \x00 today")  # the runner's text is untouched
    [row] = account_rows(status_reads(store))
    assert (row["state"], row["message"]) == ("ok", None)

    clock.advance(harness.seconds_until_due(store, clock.now()))
    sim.reset_log()
    again = service.run_once("w1")
    [outcome] = again.accounts
    assert outcome.report is not None and (outcome.report.stored, outcome.report.detailed) == (0, 0)
    assert outcome.report.cleaned == []  # reported once, not on every pass
    assert sim.count("GET", r"/activities/\d+$") == 0


def test_a_run_the_database_refuses_is_skipped_shown_and_retried(
    store: Store, sim: StravaSimulator, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    athlete, ids = _seven_runs(sim, clock)
    secret = "Back hurts after the long one"
    bad = ids[4]
    sim.update_activity(bad, name=secret, workout_type=2**70)  # no database keeps this integer
    linked = harness.link(store, sim, athlete, clock=clock)
    service = harness.service(store, sim, clock=clock)
    caplog.set_level(logging.DEBUG)

    report = service.run_once("w1")

    [outcome] = report.accounts
    assert outcome.error is None and outcome.report is not None
    [(ext_id, why)] = outcome.report.unstored
    assert ext_id == str(bad) and "the database refused activity strava:" in why
    assert len(list(store.iter_activities(athlete_id=linked.athlete_id))) == 6
    assert report.writeback is not None and report.writeback.written == 6
    [row] = account_rows(status_reads(store))
    assert row["state"] == "degraded" and str(bad) in row["message"]
    assert secret not in row["message"] and secret not in caplog.text

    sim.update_activity(bad, workout_type=1)  # the platform (or a fixed syncd) sends a value the store keeps
    clock.advance(harness.seconds_until_due(store, clock.now()))
    again = service.run_once("w1")

    [outcome] = again.accounts
    assert outcome.report is not None and outcome.report.unstored == []
    assert len(list(store.iter_activities(athlete_id=linked.athlete_id))) == 7
    assert START_MARKER in (sim.description(bad) or "")
    [row] = account_rows(status_reads(store))
    assert (row["state"], row["message"]) == ("ok", None)
