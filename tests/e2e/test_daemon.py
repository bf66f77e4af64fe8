"""`syncd run` as a real process against the simulated Strava: sync, healthz, SIGTERM, kill -9, webhook, demo."""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from syncd.domain.description import START_MARKER
from syncd.testing.seed import detail_payload, seed_synthetic, streams_payload, synthetic_run
from syncd.testing.strava_server import StravaSimulator
from tests.e2e.conftest import SYNCD, RunSyncd
from tests.e2e.daemon_proc import VERIFY_TOKEN, DaemonProcess, strava_env, wait_for


@pytest.fixture
def sim() -> Iterator[StravaSimulator]:
    with StravaSimulator() as server:
        end = datetime.now(UTC) - timedelta(hours=2)
        for seed in (1, 2):
            athlete = server.add_athlete(firstname="Eve", lastname=f"Hills{seed}")
            seed_synthetic(server, athlete.id, count=6, end=end, run_share=0.6, seed=seed)
        yield server


@pytest.fixture
def env(sim: StravaSimulator, syncd_env: dict[str, str]) -> dict[str, str]:
    return {**syncd_env, **strava_env(sim)}


def _link_all(run_syncd: RunSyncd, sim: StravaSimulator, env: dict[str, str], tmp_path: Path) -> None:
    for athlete_id in sim.athletes:
        tokens = sim.issue_tokens(athlete_id)
        path = tmp_path / f"tokens-{athlete_id}.json"
        path.write_text(json.dumps({k: tokens[k] for k in ("access_token", "refresh_token", "expires_at")}))
        linked = run_syncd("link", "strava", "--token-file", path, env=env)
        assert linked.returncode == 0, linked.stderr


def _runs(sim: StravaSimulator) -> list[int]:
    return [i for a in sim.athletes.values() for i, d in a.activities.items() if d["sport_type"] == "Run"]


def _all_noted(sim: StravaSimulator) -> bool:
    return all(START_MARKER in (sim.description(i) or "") for i in _runs(sim))


def _assert_one_block_each(sim: StravaSimulator) -> None:
    for activity_id in _runs(sim):
        assert (sim.description(activity_id) or "").count(START_MARKER) == 1, activity_id


def _db(env: dict[str, str]) -> sa.Engine:
    return sa.create_engine(f"sqlite:///{Path(env['XDG_STATE_HOME']) / 'syncd' / 'syncd.sqlite3'}")


def _leases_and_outbox(env: dict[str, str]) -> tuple[list[object], list[str]]:
    engine = _db(env)
    with engine.connect() as conn:
        leases = list(conn.execute(sa.text("SELECT lease_owner FROM accounts WHERE lease_owner IS NOT NULL")).scalars())
        statuses = list(conn.execute(sa.text("SELECT status FROM writeback_outbox")).scalars())
    engine.dispose()
    return leases, statuses


def _new_run(sim: StravaSimulator, athlete_id: int, minutes_ago: int, seed: int) -> int:
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=minutes_ago)
    run = synthetic_run(start, minutes=35, pace_s_per_km=320, seed=seed)
    streams = streams_payload(run.streams) if run.streams is not None else None
    return sim.add_activity(athlete_id, detail_payload(run, start=start), streams)


def test_run_syncs_serves_health_and_stops_on_sigterm_mid_sync(
    run_syncd: RunSyncd, sim: StravaSimulator, env: dict[str, str], tmp_path: Path
) -> None:
    _link_all(run_syncd, sim, env, tmp_path)
    sim.inject("GET", r"/streams$", "slow", times=100, delay_s=0.4)  # each run's detail takes a while
    daemon = DaemonProcess(SYNCD, env)
    try:
        daemon.wait_healthy()
        wait_for(lambda: sim.count("GET", r"/streams$") >= 2, 60, "the first account's sync to be under way")
        assert daemon.terminate() == 0, daemon.output()
    finally:
        if daemon.proc.poll() is None:
            daemon.kill()
    assert daemon.events("daemon_stopped"), daemon.output()
    leases, statuses = _leases_and_outbox(env)
    assert leases == []  # the account in hand finished; nothing stays claimed
    assert sim.count("PUT") == 0 and "pending" in statuses  # stopped before writing: the notes wait in the outbox

    again = DaemonProcess(SYNCD, env)  # the rest of the work: the other account and the queued notes
    try:
        again.wait_healthy()
        wait_for(lambda: _all_noted(sim), 90, "every run's note to be written")
        health = again.healthz() or {}
        assert health["status"] == "ok" and len(health["accounts"]) == 2
        feed = requests.get(f"{again.url}/api/activities", timeout=5)
        assert feed.status_code == 200 and feed.json()
        assert again.terminate() == 0, again.output()
    finally:
        if again.proc.poll() is None:
            again.kill()
    _assert_one_block_each(sim)
    assert sim.count("PUT") == len(_runs(sim))  # no note lost, none written twice
    leases, statuses = _leases_and_outbox(env)
    assert leases == [] and set(statuses) == {"done"}
    for line in daemon.lines + again.lines:
        assert sim.client_secret not in line and "sim-access-" not in line and "sim-refresh-" not in line


def test_kill_9_mid_write_then_restart_writes_no_second_block(
    run_syncd: RunSyncd, sim: StravaSimulator, env: dict[str, str], tmp_path: Path
) -> None:
    _link_all(run_syncd, sim, env, tmp_path)
    sim.inject("PUT", r"/activities/\d+$", "slow", times=1, delay_s=5.0)  # applied at once, answered late
    first = DaemonProcess(SYNCD, env, "--worker", "w1")
    try:
        wait_for(lambda: sim.count("PUT") >= 1, 90, "the first write-back to be sent")
    finally:
        first.kill()  # SIGKILL while the PUT is outstanding: its outbox item stays claimed by w1
    _leases, statuses = _leases_and_outbox(env)
    assert "claimed" in statuses

    second = DaemonProcess(SYNCD, env, "--worker", "w1")  # same worker name: takes its own leases back at once
    try:
        wait_for(lambda: _all_noted(sim), 90, "every run's note after the restart")
        wait_for(lambda: set(_leases_and_outbox(env)[1]) == {"done"}, 30, "the outbox to drain")
        assert second.terminate() == 0, second.output()
    finally:
        if second.proc.poll() is None:
            second.kill()
    _assert_one_block_each(sim)
    assert sim.count("PUT") == len(_runs(sim))  # the interrupted write was found done, not written again


def test_webhook_subscribe_events_latency_and_bad_requests(
    run_syncd: RunSyncd, sim: StravaSimulator, env: dict[str, str], tmp_path: Path
) -> None:
    _link_all(run_syncd, sim, env, tmp_path)
    daemon = DaemonProcess(SYNCD, env)
    try:
        daemon.wait_healthy()
        wait_for(lambda: _all_noted(sim), 90, "the first pass")
        callback = f"{daemon.url}/webhook/strava"
        subscribed = run_syncd("webhook", "subscribe", "--callback-url", callback, env=env)
        assert subscribed.returncode == 0 and "subscribed: id" in subscribed.stdout, subscribed.stderr
        listed = run_syncd("webhook", "list", env=env)
        assert callback in listed.stdout

        # bad requests: 4xx and nothing changes
        engine = _db(env)
        with engine.connect() as conn:
            due_before = conn.execute(sa.text("SELECT id, next_due_at FROM accounts ORDER BY id")).all()
        requests_before = sim.count()
        wrong = requests.get(
            callback,
            params={"hub.mode": "subscribe", "hub.challenge": "abc", "hub.verify_token": "wrong"},
            timeout=5,
        )
        assert wrong.status_code == 403
        right = requests.get(
            callback, params={"hub.mode": "subscribe", "hub.challenge": "abc", "hub.verify_token": VERIFY_TOKEN}
        )
        assert right.status_code == 200 and right.json() == {"hub.challenge": "abc"}
        owner = next(iter(sim.athletes))
        for body in (
            b"not json",
            b"[]",
            json.dumps({"object_type": "activity", "aspect_type": "create", "object_id": 5}).encode(),
            json.dumps(
                {"object_type": "activity", "aspect_type": "create", "object_id": 5, "owner_id": str(owner)}
            ).encode(),
            json.dumps({"object_type": "club", "aspect_type": "create", "object_id": 5, "owner_id": owner}).encode(),
        ):
            answer = requests.post(callback, data=body, headers={"Content-Type": "application/json"}, timeout=5)
            assert answer.status_code == 400, body
        time.sleep(2.5)  # two ticks: a bad event must not have triggered anything
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT id, next_due_at FROM accounts ORDER BY id")).all() == due_before
        assert sim.count() == requests_before

        # create events: measure webhook-to-written-note latency
        latencies = []
        for index in range(5):
            activity_id = _new_run(sim, owner, minutes_ago=40 - index, seed=900 + index)
            began = time.monotonic()
            assert sim.send_event(object_type="activity", aspect_type="create", object_id=activity_id, owner_id=owner)
            wait_for(lambda a=activity_id: START_MARKER in (sim.description(a) or ""), 30, "the webhook'd note")
            latencies.append(time.monotonic() - began)
        print(
            f"\nwebhook -> written note: p50 {statistics.median(latencies):.3f} s, "
            f"max {max(latencies):.3f} s over {len(latencies)} events"
        )

        # delete event: the activity is marked deleted
        gone = _runs(sim)[0]
        sim.delete_activity(gone)
        sim.send_event(object_type="activity", aspect_type="delete", object_id=gone, owner_id=owner)

        def deleted() -> bool:
            with engine.connect() as conn:
                return bool(
                    conn.execute(
                        sa.text("SELECT deleted FROM activities WHERE source = 'strava' AND external_id = :e"),
                        {"e": str(gone)},
                    ).scalar()
                )

        wait_for(deleted, 30, "the deleted activity to be marked")
        engine.dispose()

        unsubscribed = run_syncd("webhook", "unsubscribe", env=env)
        assert unsubscribed.returncode == 0 and "unsubscribed" in unsubscribed.stdout
        assert not sim.subscriptions
        assert daemon.terminate() == 0, daemon.output()
    finally:
        if daemon.proc.poll() is None:
            daemon.kill()
    _assert_one_block_each(sim)


def test_deauthorization_deletes_data_only_when_strava_confirms(
    run_syncd: RunSyncd, sim: StravaSimulator, env: dict[str, str], tmp_path: Path
) -> None:
    _link_all(run_syncd, sim, env, tmp_path)
    daemon = DaemonProcess(SYNCD, env)
    callback = f"{daemon.url}/webhook/strava"
    sim.add_subscription(callback)  # events name this app's subscription; others are refused unread (issue 17)
    first, second = list(sim.athletes)
    engine = _db(env)

    def strava_rows(athlete_key: str) -> int:
        with engine.connect() as conn:
            return int(
                conn.execute(
                    sa.text(
                        "SELECT count(*) FROM activities a JOIN athletes t ON t.id = a.athlete_id "
                        "WHERE t.key = :k AND a.source = 'strava'"
                    ),
                    {"k": athlete_key},
                ).scalar_one()
            )

    try:
        daemon.wait_healthy()
        wait_for(lambda: _all_noted(sim), 90, "the first pass")
        deauth = {"object_type": "athlete", "aspect_type": "update", "object_id": first, "owner_id": first}
        forged = sim.send_event(**deauth, updates={"authorized": "false"}, callback_url=callback)  # type: ignore[arg-type]
        assert forged == 200
        wait_for(lambda: bool(daemon.events("deauthorization_ignored")), 30, "the forged event to be checked")
        assert strava_rows(f"strava:{first}") > 0

        sim.revoke(first)
        real = sim.send_event(**deauth, updates={"authorized": "false"}, callback_url=callback)  # type: ignore[arg-type]
        assert real == 200
        wait_for(lambda: strava_rows(f"strava:{first}") == 0, 30, "the athlete's Strava data to be deleted")
        with engine.connect() as conn:
            providers = conn.execute(sa.text("SELECT external_id FROM accounts")).scalars().all()
        assert providers == [str(second)] and strava_rows(f"strava:{second}") > 0
        assert daemon.terminate() == 0, daemon.output()
    finally:
        engine.dispose()
        if daemon.proc.poll() is None:
            daemon.kill()


def test_demo_once_exits_0_and_says_where_to_look(run_syncd: RunSyncd) -> None:
    result = run_syncd("demo", "--once", timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "feed:    http://127.0.0.1:" in result.stdout
    assert START_MARKER in result.stdout
    assert "webhook: a new run was uploaded; its note was written back" in result.stdout
    assert "digest preview:" in result.stdout
    # a tick that finds the first pass still running is the design (max_instances=1), not news for the user
    assert "maximum number of running instances" not in result.stdout + result.stderr


def test_demo_twice_in_one_state_dir_starts_afresh(run_syncd: RunSyncd, tmp_path: Path) -> None:
    """The simulated Strava is new on every run: a second demo in the kept directory once synced nothing and waited
    a silent minute for its webhook note. Now it clears its own directory and shows the whole demo again."""
    state = tmp_path / "demo"
    first = run_syncd("demo", "--once", "--state-dir", str(state), timeout=300)
    assert first.returncode == 0, first.stdout + first.stderr
    second = run_syncd("demo", "--once", "--state-dir", str(state), timeout=300)
    assert second.returncode == 0, second.stdout + second.stderr
    assert f"cleared the previous demo's state in {state}" in second.stdout
    assert "first pass: 1 account synced" in second.stdout
    assert "webhook: a new run was uploaded; its note was written back" in second.stdout


def test_the_kept_demo_state_is_read_with_the_demos_settings(run_syncd: RunSyncd, tmp_path: Path) -> None:
    """Other commands on a kept demo state use its map and maximum heart rate, written beside the database: without
    them the rules' version differed and `reannotate` redid every run's note without its hard-surface flag."""
    state = tmp_path / "demo"
    demo = run_syncd("demo", "--once", "--state-dir", str(state), timeout=300)
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert f"syncd --config {state / 'syncd.toml'} status" in demo.stdout

    engine = sa.create_engine(f"sqlite:///{state / 'syncd.sqlite3'}")
    query = sa.text("SELECT n.activity_id, n.note FROM annotations n JOIN activities a ON a.id = n.activity_id "
                    "WHERE a.sport = 'run' ORDER BY n.activity_id, n.id")  # fmt: skip

    def run_notes() -> dict[int, str]:
        with engine.connect() as conn:
            return {int(activity): str(note) for activity, note in conn.execute(query)}

    try:
        before = run_notes()
        assert sum("Hard surface" in note for note in before.values()) >= 1
        again = run_syncd("--config", state / "syncd.toml", "reannotate", timeout=120)
        assert again.returncode == 0, again.stdout + again.stderr
        assert run_notes() == before
        # the demo's sync annotated every activity it stored, rides, yoga and strength too (issue 27): nothing left
        assert "re-ran 0, changed 0" in again.stdout, again.stdout
        status = run_syncd("--config", state / "syncd.toml", "status", timeout=120)
        assert status.returncode == 0 and "write-back all" in status.stdout, status.stdout + status.stderr
    finally:
        engine.dispose()


def test_demo_refuses_a_state_dir_it_did_not_make(run_syncd: RunSyncd, tmp_path: Path) -> None:
    (tmp_path / "syncd.db").write_bytes(b"someone's real database")
    result = run_syncd("demo", "--once", "--state-dir", str(tmp_path), timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"syncd demo: error: --state-dir {tmp_path} is not empty and was not made by syncd demo; "
        "pass a new or empty directory"
    ]
    assert (tmp_path / "syncd.db").read_bytes() == b"someone's real database"
