"""Faults through the real stravalib client and the simulated Strava: revoked access, 403 inactive, 429, 5xx,
timeouts, connection resets, malformed payloads, token rotation, a crash between PUT and record, and no token in
any log line."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from syncd.adapters.db import Store
from syncd.domain.description import START_MARKER
from syncd.ports import RemoteDescription
from syncd.services.writeback import DrainRepositories, drain_outbox
from syncd.testing import strava_harness as harness
from syncd.testing.seed import seed_recordings, seed_synthetic
from syncd.testing.strava_server import StravaSimulator
from tests.integration.conftest import FakeClock

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real"


@pytest.fixture
def sim(clock: FakeClock) -> Iterator[StravaSimulator]:
    with StravaSimulator(clock=clock.now) as server:
        yield server


def _athlete(sim: StravaSimulator, clock: FakeClock, runs: int = 3, seed: int = 1) -> int:
    a = sim.add_athlete()
    seed_synthetic(sim, a.id, count=runs, end=clock.now() - timedelta(hours=2), run_share=1.0, seed=seed)
    return a.id


def test_revoked_account_needs_relink_and_others_go_on(store: Store, sim: StravaSimulator, clock: FakeClock) -> None:
    revoked, fine = _athlete(sim, clock), _athlete(sim, clock, seed=2)
    bad = harness.link(store, sim, revoked, clock=clock)
    good = harness.link(store, sim, fine, clock=clock)
    sim.revoke(revoked)

    report = harness.service(store, sim, clock=clock).run_once("w1")

    by_id = {o.account_id: o for o in report.accounts}
    assert by_id[bad.account_id].error is not None and "syncd link strava" in by_id[bad.account_id].error
    assert by_id[good.account_id].error is None
    accounts = {a.id: a for a in store.list_accounts()}
    assert accounts[bad.account_id].state == "needs_relink"
    assert "syncd link strava" in (accounts[bad.account_id].state_message or "")
    assert accounts[good.account_id].state == "ok"
    assert all(START_MARKER in (sim.description(i) or "") for i in sim.athletes[fine].activities)
    # a needs_relink account is not polled again
    clock.advance(harness.seconds_until_due(store, clock.now()))  # the adaptive schedule's next poll
    again = harness.service(store, sim, clock=clock).run_once("w1")
    assert [o.account_id for o in again.accounts] == [good.account_id]


def test_tokens_are_refreshed_before_expiry_and_rotated_refresh_tokens_saved(
    store: Store, sim: StravaSimulator, clock: FakeClock
) -> None:
    athlete = _athlete(sim, clock)
    linked = harness.link(store, sim, athlete, clock=clock)
    first = store.get_account_tokens(linked.account_id)
    assert first is not None
    clock.advance(6 * 3600 - 120)  # two minutes before expiry: refresh now, not halfway through the sync

    report = harness.service(store, sim, clock=clock).run_once("w1")

    assert report.accounts[0].error is None
    saved = store.get_account_tokens(linked.account_id)
    assert saved is not None
    assert saved["refresh_token"] != first["refresh_token"] and saved["access_token"] != first["access_token"]
    assert sim.count("POST", "/oauth/token") == 1
    assert not any(r.status == 401 for r in sim.requests)


def test_401_mid_sync_forces_one_refresh_and_carries_on(store: Store, sim: StravaSimulator, clock: FakeClock) -> None:
    athlete = _athlete(sim, clock)
    linked = harness.link(store, sim, athlete, clock=clock)
    sim.expire_access_tokens()  # Strava dropped the token early
    report = harness.service(store, sim, clock=clock).run_once("w1")
    assert report.accounts[0].error is None
    assert sim.count("POST", "/oauth/token") == 1
    assert store.list_accounts()[0].state == "ok" and linked.account_id == store.list_accounts()[0].id


def test_application_inactive_is_explained_not_retried(store: Store, sim: StravaSimulator, clock: FakeClock) -> None:
    athlete = _athlete(sim, clock)
    harness.link(store, sim, athlete, clock=clock)
    sim.inactive = True
    sim.reset_log()

    report = harness.service(store, sim, clock=clock).run_once("w1")

    error = report.accounts[0].error or ""
    assert "subscription" in error and "10 athletes" in error
    assert sim.count() == 1
    [account] = store.list_accounts()
    assert account.state_message == error
    assert account.next_due_at >= clock.now() + timedelta(hours=5)


def test_429_stops_until_the_window_resets_newest_first(store: Store, clock: FakeClock) -> None:
    with StravaSimulator(clock=clock.now, read_short_limit=8) as sim:
        athlete = _athlete(sim, clock, runs=5)
        harness.link(store, sim, athlete, clock=clock)  # 1 read (GET athlete)
        service = harness.service(store, sim, clock=clock, write_reserve=0)

        report = service.run_once("w1")

        sync = report.accounts[0].report
        assert sync is not None and sync.resume_at is not None
        assert sync.resume_at == clock.now().replace(minute=15, second=0, microsecond=0)
        assert sync.detailed == 3 and sync.pending == 2  # 1 (link) + 1 (list) + 3 x 2 = 8
        newest = max(sim.athletes[athlete].activities, key=lambda i: sim.athletes[athlete].activities[i]["start_date"])
        assert store.find_activity_id("strava", str(newest)) is not None
        assert START_MARKER in (sim.description(newest) or "")
        [account] = store.list_accounts()
        assert account.next_due_at == sync.resume_at
        assert not any(r.status == 429 for r in sim.requests)  # our budget stopped us first

        clock.advance(15 * 60)
        done = service.run_once("w1").accounts[0].report
        assert done is not None and done.detailed == 2 and done.pending == 0
        assert all(START_MARKER in (sim.description(i) or "") for i in sim.athletes[athlete].activities)


def test_a_real_429_backs_off_to_the_window_reset(store: Store, sim: StravaSimulator, clock: FakeClock) -> None:
    athlete = _athlete(sim, clock)
    harness.link(store, sim, athlete, clock=clock)
    sim.inject("GET", r"/athlete/activities$", 429, body={"message": "Rate Limit Exceeded", "errors": []})
    report = harness.service(store, sim, clock=clock).run_once("w1")
    sync = report.accounts[0].report
    assert sync is not None and sync.stopped and "429" in sync.stopped
    assert sync.resume_at == clock.now().replace(minute=15, second=0, microsecond=0)
    assert sim.count("GET", r"/athlete/activities$") == 1


@pytest.mark.parametrize("fault", [500, 503, "reset", "slow"])
def test_transient_faults_are_retried(store: Store, sim: StravaSimulator, clock: FakeClock, fault: int | str) -> None:
    athlete = _athlete(sim, clock, runs=2)
    harness.link(store, sim, athlete, clock=clock)
    sim.inject("GET", r"/activities/\d+$", fault, times=2, delay_s=2.0 if fault == "slow" else 0.0)
    service = harness.service(store, sim, clock=clock, timeout_s=0.5)
    report = service.run_once("w1")
    sync = report.accounts[0].report
    assert sync is not None and sync.detailed == 2 and not sync.skipped
    assert sum(api.stats.retries for api in service.sessions._apis.values()) == 2


def test_malformed_payloads_are_skipped_with_their_id(store: Store, sim: StravaSimulator, clock: FakeClock) -> None:
    athlete = _athlete(sim, clock, runs=2)
    now = clock.now()
    start = (now - timedelta(hours=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    sim.add_activity(athlete, {"id": 901, "name": "no date", "sport_type": "Run", "type": "Run"})
    sim.add_activity(athlete, {"id": 902, "start_date": start, "sport_type": "Quidditch", "type": None})
    sim.add_activity(
        athlete, {"id": 903, "start_date": start, "sport_type": "Run", "distance": None}, {"time": {"data": []}}
    )
    sim.add_activity(
        athlete, {"id": 904, "start_date": start, "sport_type": "Run", "distance": 5000, "moving_time": 1500}
    )
    harness.link(store, sim, athlete, clock=clock)

    report = harness.service(store, sim, clock=clock).run_once("w1")

    sync = report.accounts[0].report
    assert sync is not None
    assert [i for i, _ in sync.skipped] == ["901"]
    assert store.find_activity_id("strava", "902") is not None  # unknown sport: stored as OTHER
    no_streams = store.find_activity_id("strava", "903")
    assert no_streams is not None and store.get_activity(no_streams).activity.streams is None
    assert store.find_activity_id("strava", "904") is not None  # manual entry: streams 404
    assert sync.detailed == 4  # the two good runs + 903 + 904


class _Crash(BaseException):
    """The process dies (kill -9) right after the PUT, before anything is recorded."""


class _CrashAfterWrite:
    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.max_length = 10_000

    def read_description(self, athlete_id: int, external_id: str) -> RemoteDescription:
        return self.inner.read_description(athlete_id, external_id)  # type: ignore[attr-defined, no-any-return]

    def write_description(self, athlete_id: int, external_id: str, text: str) -> None:
        self.inner.write_description(athlete_id, external_id, text)  # type: ignore[attr-defined]
        raise _Crash


def test_crash_between_put_and_record_never_writes_a_second_block(
    store: Store, sim: StravaSimulator, clock: FakeClock
) -> None:
    athlete = sim.add_athlete()
    [run] = seed_recordings(sim, athlete.id, [REAL / "run.fit"], end=clock.now() - timedelta(hours=1))
    sim.update_activity(run, description="Hill reps with Sam.")
    harness.link(store, sim, athlete.id, clock=clock)
    service = harness.service(store, sim, clock=clock)
    service.sync_due("w1")

    with pytest.raises(_Crash):
        drain_outbox(
            DrainRepositories(store, store.outbox_log, store, store),
            {"strava": _CrashAfterWrite(service.writer)},
            worker="w1",
            now=clock.now,
            lease_s=60,
        )
    written = sim.description(run)
    assert written is not None and written.count(START_MARKER) == 1
    clock.advance(120)  # the lease expires; another worker takes the item over
    sim.reset_log()

    report = harness.service(store, sim, clock=clock).drain("w2")

    assert [o.status for o in report.outcomes] == ["unchanged"]
    assert sim.count("PUT") == 0
    assert sim.description(run) == written
    assert store.counts()["writeback_outbox"] == 1


def test_tokens_never_reach_the_logs(
    store: Store,
    sim: StravaSimulator,
    clock: FakeClock,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)  # stravalib, requests and urllib3 at their chattiest
    athlete = _athlete(sim, clock)
    revoked = _athlete(sim, clock, seed=5)
    linked = harness.link(store, sim, athlete, clock=clock)
    lost = harness.link(store, sim, revoked, clock=clock)
    before = [store.get_account_tokens(linked.account_id), store.get_account_tokens(lost.account_id)]
    sim.revoke(revoked)
    sim.inject("GET", r"/activities/\d+$", 500, times=1)
    clock.advance(6 * 3600)  # everything expires: refresh (rotating) during the sync
    report = harness.service(store, sim, clock=clock).run_once("w1")
    after = store.get_account_tokens(linked.account_id)

    out, err = capfd.readouterr()
    logs = "\n".join([out, err, caplog.text, *(str(o.error) for o in report.accounts)])
    assert "tokens_refreshed" in logs and "account_needs_relink" in logs and "strava_retry" in logs
    assert "/oauth/token" in caplog.text  # the token calls were logged (by stravalib) ...
    secrets = [sim.client_secret]
    for tokens in [*before, after]:
        assert tokens is not None
        secrets += [str(tokens["access_token"]), str(tokens["refresh_token"])]
    for secret in secrets:
        assert secret not in logs  # ... but never a token or the client secret
