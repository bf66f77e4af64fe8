"""After `syncd run` is killed mid-sync, `syncd sync --once` says why an account is not synced (issue 17 item 9):
a lease held by a worker elsewhere (another host, or a custom name) is named with its holder and expiry time; a
dead worker of this host is recognised and its account synced at once."""

from __future__ import annotations

import json
import signal
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from syncd.domain.description import START_MARKER
from syncd.testing.seed import seed_synthetic
from syncd.testing.strava_server import StravaSimulator
from tests.e2e.conftest import SYNCD
from tests.e2e.daemon_proc import DaemonProcess, strava_env, wait_for

pytestmark = [pytest.mark.crash, pytest.mark.slow]


@pytest.fixture
def sim() -> Iterator[StravaSimulator]:
    with StravaSimulator() as server:
        yield server
        server.release.set()


def _killed_mid_sync(sim: StravaSimulator, env: dict[str, str], tmp_path: Path, *worker: str) -> None:
    athlete = sim.add_athlete()
    seed_synthetic(sim, athlete.id, count=2, end=datetime.now(UTC) - timedelta(hours=1), run_share=1.0, seed=5)
    tokens = sim.issue_tokens(athlete.id)
    token_file = tmp_path / "tokens.json"
    token_file.write_text(json.dumps({k: tokens[k] for k in ("access_token", "refresh_token", "expires_at")}))
    linked = subprocess.run(
        [str(SYNCD), "link", "strava", "--token-file", str(token_file)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert linked.returncode == 0, linked.stderr
    sim.hold_at = sim.api_requests + 1  # the daemon's first sync request hangs: the account lease is in hand
    daemon = DaemonProcess(SYNCD, env, "--no-web", *worker)
    try:
        wait_for(sim.held.is_set, 60, "the daemon's sync to hang")
        daemon.proc.send_signal(signal.SIGKILL)
    finally:
        daemon.kill()
    sim.release.set()
    sim.hold_at = None


def _sync_once(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SYNCD), "sync", "--once"], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_sync_names_the_lease_of_a_killed_worker_elsewhere(
    sim: StravaSimulator, syncd_env: dict[str, str], tmp_path: Path
) -> None:
    env = {**syncd_env, **strava_env(sim)}
    _killed_mid_sync(sim, env, tmp_path, "--worker", "otherhost:4711")
    killed_at = datetime.now(UTC)

    result = _sync_once(env)

    assert result.returncode == 0, result.stderr
    line = next(x for x in result.stdout.splitlines() if "not synced now" in x)
    assert line.startswith("strava:1001: not synced now: held by otherhost:4711 until "), result.stdout
    until = line.split(" until ")[1][:5]  # local HH:MM: the daemon's 15-minute lease from when it claimed
    expected = (killed_at + timedelta(minutes=15)).astimezone()
    assert until in {(expected + timedelta(minutes=d)).strftime("%H:%M") for d in (-1, 0)}, line
    assert "no Strava account due" not in result.stdout
    assert sim.count("PUT") == 0  # nothing was synced under another worker's lease


def test_a_dead_worker_of_this_host_is_taken_over_at_once(
    sim: StravaSimulator, syncd_env: dict[str, str], tmp_path: Path
) -> None:
    env = {**syncd_env, **strava_env(sim)}
    _killed_mid_sync(sim, env, tmp_path)  # default name host:pid, and that pid is gone

    result = _sync_once(env)

    assert result.returncode == 0, result.stderr
    assert "not synced now" not in result.stdout and "strava:1001: 2 new" in result.stdout, result.stdout
    assert all(START_MARKER in (sim.description(i) or "") for i in sim.athletes[1001].activities)
