"""Garmin Connect end to end: the real garminconnect client over loopback HTTP to the simulated Garmin Connect,
the real store (SQLite and PostgreSQL), annotation and write-back, faults."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from syncd.adapters.db import Store
from syncd.adapters.garmin.api import GarminEndpoint
from syncd.adapters.garmin.sessions import GarminSessions, link_with_token_store, read_token_store
from syncd.domain.description import END_MARKER, START_MARKER
from syncd.domain.model import Source, Sport
from syncd.entrypoints.wiring import link_repositories, platform_repositories
from syncd.services.accounts import LinkedAccount, LinkError
from syncd.services.annotating import AnnotationPolicy
from syncd.services.garmin_accounts import PROVIDER
from syncd.services.garmin_sync import GarminService, GarminSyncOptions
from syncd.services.write_back_policy import WriteBackMode
from syncd.testing.garmin_server import GarminSimulator, seed_recordings
from syncd.testing.seed import synthetic_session
from tests.history import history as history_in
from tests.integration.conftest import FakeClock

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real"
RUNS = [REAL / "run.fit", REAL / "c2eb1b_6.tcx", REAL / "2013-02-06-12-11-14.fit"]


def endpoint(sim: GarminSimulator) -> GarminEndpoint:
    return GarminEndpoint(sim.api_url, backoff=timedelta(hours=6), retry_min_wait=0.01, retry_max_wait=0.02)


def service(store: Store, sim: GarminSimulator, clock: FakeClock, write_back: WriteBackMode = "all") -> GarminService:
    options = GarminSyncOptions(write_back=write_back)
    return GarminService(
        platform_repositories(store),
        GarminSessions(store, endpoint(sim), clock=clock),
        policy=AnnotationPolicy(),
        options=options,
        clock=clock,
    )


@pytest.fixture
def sim() -> Iterator[GarminSimulator]:
    with GarminSimulator() as server:
        yield server


@pytest.fixture
def user(sim: GarminSimulator, clock: FakeClock) -> int:
    u = sim.add_user(full_name="Ada Runner")
    shoe = sim.add_gear(u.profile_id, "Asics Novablast", 650_000.0, max_m=700_000.0)
    ids = seed_recordings(sim, u.profile_id, RUNS, end=clock.now() - timedelta(hours=3), gear_uuid=shoe)
    sim.set_description(ids[-1], "Felt good, legs heavy")
    sim.add_activity(u.profile_id, synthetic_session(clock.now() - timedelta(days=2), Sport.RIDE, 60.0))
    return u.profile_id


def link(store: Store, sim: GarminSimulator, profile_id: int, **kwargs: int) -> LinkedAccount:
    return link_with_token_store(link_repositories(store), endpoint(sim), sim.issue_tokens(profile_id, **kwargs))


def _runs(sim: GarminSimulator, profile_id: int) -> list[int]:
    return [
        aid
        for aid, a in sim.users[profile_id].activities.items()
        if a["activityTypeDTO"]["typeKey"].endswith("running")
    ]


def test_link_from_a_token_store_saves_it_encrypted(store: Store, sim: GarminSimulator, user: int) -> None:
    linked = link(store, sim, user)
    assert linked.external_id == str(user) and linked.name == "Ada Runner"
    [account] = store.list_accounts()
    assert account.provider == PROVIDER and account.state == "ok" and account.has_tokens
    tokens = store.get_account_tokens(account.id)
    assert tokens is not None and str(tokens["di_token"]).count(".") == 2
    assert store.get_athlete(linked.athlete_id).key == f"garmin:{user}"


def test_a_token_about_to_expire_is_refreshed_and_saved_at_link(
    store: Store, sim: GarminSimulator, user: int, tmp_path: Path
) -> None:
    issued = sim.issue_tokens(user, expires_in_s=60)
    token_file = tmp_path / "garmin_tokens.json"
    token_file.write_text(json.dumps(issued))
    linked = link_with_token_store(
        link_repositories(store), endpoint(sim), read_token_store(tmp_path)
    )  # a directory works too
    saved = store.get_account_tokens(linked.account_id)
    assert saved is not None and saved["di_token"] != issued["di_token"]
    assert sim.count("POST", "/di-oauth2-service/oauth/token") == 1


def test_a_rejected_token_store_cannot_be_linked(store: Store, sim: GarminSimulator, user: int) -> None:
    tokens = sim.issue_tokens(user)
    sim.reject_tokens(user)
    with pytest.raises(LinkError, match="syncd link garmin"):
        link_with_token_store(link_repositories(store), endpoint(sim), tokens)
    assert store.list_accounts() == []


def test_sync_pulls_details_into_streams_laps_gear_and_writes_notes(
    store: Store, sim: GarminSimulator, user: int, clock: FakeClock
) -> None:
    linked = link(store, sim, user)
    svc = service(store, sim, clock)
    sim.reset_log()

    report = svc.run_once("w1")

    [outcome] = report.accounts
    assert outcome.error is None and outcome.report is not None
    runs = _runs(sim, user)
    assert outcome.report.listed == len(runs) + 1 and outcome.report.detailed == len(runs)
    # per run: activity, details, splits, gear (+ the shoe's stats once per pass), then the PUT
    assert sim.count("GET", r"/details$") == len(runs) and sim.count("GET", r"/gear/stats/") == 1
    assert report.writeback is not None and report.writeback.written == len(runs)
    assert sim.count("PUT") == len(runs) and sim.count("GET", r"/activity/\d+$") == len(runs)  # reads reused
    for aid in runs:
        text = sim.description(aid) or ""
        assert text.count(START_MARKER) == 1 and text.count(END_MARKER) == 1
    assert (sim.description(runs[-1]) or "").startswith("Felt good, legs heavy\n\n" + START_MARKER)

    stored = {s.activity.external_id: s for s in store.iter_activities(athlete_id=linked.athlete_id)}
    hilly = stored[str(runs[0])]
    hilly_full = store.get_activity(hilly.id).activity
    assert hilly_full.source is Source.GARMIN and hilly_full.sport is Sport.RUN
    assert hilly_full.streams is not None and hilly_full.streams.has_gps and len(hilly_full.streams) > 1000
    assert hilly_full.streams.altitude_m is not None and hilly_full.streams.heart_rate is not None
    assert hilly_full.laps and hilly_full.gear_id is not None
    assert {"summary", "activity", "splits", "gear"} <= set(hilly.raw)
    gear = store.get_gear(linked.athlete_id, hilly_full.gear_id)
    assert gear is not None and gear.limit_m == 700_000.0 and gear.distance_m == 650_000.0
    ride = [s.activity for s in stored.values() if s.activity.sport is Sport.RIDE]
    assert len(ride) == 1 and ride[0].streams is None  # non-runs cost nothing beyond the list

    # the next pass finds nothing new: one list request (and its empty last page), no writes
    sim.reset_log()
    clock.advance(3600)
    again = svc.run_once("w1")
    assert again.writeback is not None and again.writeback.written == 0
    assert sim.count("PUT") == 0 and sim.count("GET", r"/details$") == 0


def test_write_back_merges_with_what_the_athlete_wrote_since(
    store: Store, sim: GarminSimulator, user: int, clock: FakeClock
) -> None:
    link(store, sim, user)
    svc = service(store, sim, clock)
    svc.run_once("w1")
    aid = _runs(sim, user)[0]
    note = (sim.description(aid) or "").strip()
    sim.set_description(aid, "Hills!\n\n" + note + "\n\nPS: new shoes")
    stored_id = store.find_activity_id(PROVIDER, str(aid))
    assert stored_id is not None
    store.enqueue_writeback(stored_id, PROVIDER, "── syncd back-care note ──\nA newer note.\n── end syncd note ──")

    report = svc.drain("w1")

    assert report.written == 1
    assert sim.description(aid) == (
        "Hills!\n\n── syncd back-care note ──\nA newer note.\n── end syncd note ──\n\nPS: new shoes"
    )


def test_429_on_read_backs_off_for_hours(store: Store, sim: GarminSimulator, user: int, clock: FakeClock) -> None:
    linked = link(store, sim, user)
    svc = service(store, sim, clock)
    sim.inject("GET", r"/activitylist-service/", 429)

    report = svc.run_once("w1")

    [outcome] = report.accounts
    assert outcome.report is not None and outcome.report.stopped and "429" in outcome.report.stopped
    [account] = store.list_accounts()
    assert account.state == "ok" and account.next_due_at >= clock.now() + timedelta(hours=6)
    assert history_in(store, linked.athlete_id, clock.now() - timedelta(days=30), clock.now()) == []
    # nothing is asked of Garmin while backing off, even when the account is forced
    sim.reset_log()
    with pytest.raises(Exception, match="429"):
        svc.sessions.api_for_account(account.id).activities_by_date(clock.now().date())
    assert sim.count() == 0


def test_429_on_write_surfaces_as_a_connection_error_and_backs_off(
    store: Store, sim: GarminSimulator, user: int, clock: FakeClock
) -> None:
    link(store, sim, user)
    svc = service(store, sim, clock)
    svc.sync_due("w1")
    sim.inject("PUT", r"/activity-service/activity/\d+$", 429)

    report = svc.drain("w1")

    assert report.written == 0 and PROVIDER in report.stopped and "429" in report.stopped[PROVIDER]
    assert sim.count("PUT") == 1  # the first refusal stops the platform for this pass
    clock.advance(3600)  # an hour later: still backing off, so no request goes out
    later = svc.drain("w1")
    assert later.written == 0 and sim.count("PUT") == 1
    clock.advance(6 * 3600)
    assert svc.drain("w1").written == len(_runs(sim, user))


def test_server_errors_are_retried_by_the_client(
    store: Store, sim: GarminSimulator, user: int, clock: FakeClock
) -> None:
    link(store, sim, user)
    sim.inject("GET", r"/details$", 503, times=2)
    report = service(store, sim, clock).run_once("w1")
    [outcome] = report.accounts
    assert outcome.report is not None and outcome.report.detailed == len(_runs(sim, user))
    assert outcome.report.skipped == []


def test_a_rejected_token_marks_the_account_for_relink_and_the_others_carry_on(
    store: Store, sim: GarminSimulator, user: int, clock: FakeClock
) -> None:
    link(store, sim, user)
    other = sim.add_user(full_name="Bo Other")
    seed_recordings(sim, other.profile_id, RUNS[:1], end=clock.now() - timedelta(hours=2))
    link_with_token_store(link_repositories(store), endpoint(sim), sim.issue_tokens(other.profile_id), athlete=None)
    sim.reject_tokens(user)
    sim.reset_log()

    report = service(store, sim, clock).run_once("w1")

    by_id = {o.external_id: o for o in report.accounts}
    assert by_id[str(user)].error is not None and "syncd link garmin" in by_id[str(user)].error
    assert by_id[str(other.profile_id)].error is None
    states = {a.external_id: a.state for a in store.list_accounts()}
    assert states == {str(user): "needs_relink", str(other.profile_id): "ok"}
    # the rejected account is not claimed again; no password login is ever attempted (the simulator has none)
    assert service(store, sim, clock).sync_due("w2").accounts == []


def test_the_next_poll_is_jittered_around_the_interval(
    store: Store, sim: GarminSimulator, user: int, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    link(store, sim, user)
    svc = service(store, sim, clock)
    monkeypatch.setattr("syncd.services.garmin_sync.random.uniform", lambda low, high: high)  # the largest spread

    svc.run_once("w1")

    [account] = store.list_accounts()
    interval = svc.options.poll_interval.total_seconds()
    assert (account.next_due_at - clock.now()).total_seconds() == pytest.approx(interval * 1.1)
