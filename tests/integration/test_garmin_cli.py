"""`syncd link garmin --token-store`, `syncd sync --once` and `syncd status --json` as the real console script,
against the simulated Garmin Connect (no Strava configured: Garmin alone must work)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from syncd.domain.description import START_MARKER
from syncd.testing.garmin_server import GarminSimulator, seed_recordings

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real"
SYNCD = Path(sys.executable).with_name("syncd")


@pytest.fixture
def sim() -> Iterator[GarminSimulator]:
    with GarminSimulator() as server:
        yield server


def _run(env: dict[str, str], *args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SYNCD), *map(str, args)], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_link_sync_and_status_from_the_command_line(sim: GarminSimulator, tmp_path: Path) -> None:
    user = sim.add_user(full_name="Eve Hills")
    [run_id] = seed_recordings(sim, user.profile_id, [REAL / "run.fit"], end=datetime.now(UTC) - timedelta(hours=1))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SYNCD_", "XDG_", "CREDENTIALS_DIRECTORY"))}
    env.pop("STATE_DIRECTORY", None)
    env.update(
        HOME=str(tmp_path / "home"),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_STATE_HOME=str(tmp_path / "state"),
        SYNCD_GARMIN_API_URL=sim.api_url,
        SYNCD_GARMIN_WRITE_BACK="all",
    )
    store_file = tmp_path / "garmin_tokens.json"
    store_file.write_text(json.dumps(sim.issue_tokens(user.profile_id)))

    missing = _run(env, "link", "garmin", "--token-store", tmp_path / "nope.json")
    assert missing.returncode == 1 and missing.stderr.count("\n") == 1 and "cannot read" in missing.stderr

    linked = _run(env, "link", "garmin", "--token-store", store_file)
    assert linked.returncode == 0, linked.stderr
    assert f"linked Garmin account {user.profile_id} (Eve Hills)" in linked.stdout

    synced = _run(env, "sync", "--once")
    assert synced.returncode == 0, synced.stdout + synced.stderr
    assert f"garmin:{user.profile_id}: 1 new, 0 updated, 1 annotated, 1 note(s) queued (1 listed)" in synced.stdout
    assert "wrote 1 note(s)" in synced.stdout
    assert START_MARKER in (sim.description(run_id) or "")
    token = json.loads(store_file.read_text())["di_token"]
    assert token not in synced.stdout + synced.stderr + linked.stdout + linked.stderr

    status = _run(env, "status", "--json")
    assert status.returncode == 0, status.stderr
    garmin = json.loads(status.stdout)["garmin"]
    assert garmin["accounts"] == 1 and garmin["needs_relink"] == [] and garmin["write_back"] == "all"

    sim.reject_tokens()
    rejected = _run(env, "sync", "--once")
    # `syncd sync` syncs now even though the account was just synced: Garmin's refusal is found and named
    assert rejected.returncode == 1 and f"garmin:{user.profile_id}:" in rejected.stdout
    again = _run(env, "sync", "--once")
    assert f"garmin:{user.profile_id}: not synced:" in again.stdout and "`syncd link garmin`" in again.stdout
