"""`syncd link strava`, `accounts`, `sync` and `status` as a user runs them, against the simulated Strava."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from syncd.adapters.db import Store
from syncd.domain.description import START_MARKER
from syncd.testing.seed import seed_synthetic
from syncd.testing.strava_server import StravaSimulator
from tests.e2e.conftest import SYNCD, RunSyncd


@pytest.fixture
def sim() -> Iterator[StravaSimulator]:
    with StravaSimulator() as server:
        athlete = server.add_athlete(firstname="Eve", lastname="Hills")
        seed_synthetic(server, athlete.id, count=6, end=datetime.now(UTC) - timedelta(hours=1), run_share=0.5)
        yield server


@pytest.fixture
def strava_env(sim: StravaSimulator) -> dict[str, str]:
    return {
        "SYNCD_STRAVA_CLIENT_ID": str(sim.client_id),
        "SYNCD_STRAVA_CLIENT_SECRET": sim.client_secret,
        "SYNCD_STRAVA_API_URL": sim.api_url,
        "SYNCD_STRAVA_OAUTH_URL": sim.oauth_url,
        "SYNCD_STRAVA_WRITE_BACK": "all",
    }


def _runs(sim: StravaSimulator) -> list[int]:
    [athlete] = sim.athletes.values()
    return [i for i, d in athlete.activities.items() if d["sport_type"] == "Run"]


def test_link_sync_status_unlink(
    run_syncd: RunSyncd, sim: StravaSimulator, strava_env: dict[str, str], tmp_path: Path
) -> None:
    tokens = sim.issue_tokens(1001)
    token_file = tmp_path / "tokens.json"
    token_file.write_text(json.dumps({k: tokens[k] for k in ("access_token", "refresh_token", "expires_at")}))

    linked = run_syncd("link", "strava", "--token-file", token_file, env=strava_env)
    assert linked.returncode == 0, linked.stderr
    assert "linked Strava athlete 1001 (Eve Hills) as account 1" in linked.stdout

    listed = run_syncd("accounts", env=strava_env)
    assert listed.returncode == 0 and "strava" in listed.stdout and "1001" in listed.stdout and "ok" in listed.stdout

    dry = run_syncd("sync", "--once", "--dry-run", env=strava_env)
    assert dry.returncode == 0, dry.stderr
    assert f"+{START_MARKER}" in dry.stdout and "nothing was written" in dry.stdout
    assert sim.count("PUT") == 0

    real = run_syncd("sync", "--once", env=strava_env)
    assert real.returncode == 0, real.stdout + real.stderr
    assert f"wrote {len(_runs(sim))} note(s)" in real.stdout
    assert all(START_MARKER in (sim.description(i) or "") for i in _runs(sim))

    status = run_syncd("status", "--json", env=strava_env)
    assert status.returncode == 0, status.stderr
    strava = json.loads(status.stdout)["strava"]
    # adaptive polling: a handful of polls around the athlete's usual hours plus the daily safety poll, not 96
    assert 1 <= strava["projected_daily_reads"] <= 12 and strava["projected_daily_reads_with_webhook"] == 1

    for output in (linked, listed, dry, real, status):
        for secret in (tokens["access_token"], tokens["refresh_token"], sim.client_secret):
            assert secret not in output.stdout + output.stderr

    unlinked = run_syncd("accounts", "--unlink", "1", env=strava_env)
    assert unlinked.returncode == 0 and f"deleted {len(sim.athletes[1001].activities)} synced" in unlinked.stdout
    assert "no linked accounts" in run_syncd("accounts", env=strava_env).stdout


def test_interactive_link_catches_the_redirect(
    syncd_env: dict[str, str], sim: StravaSimulator, strava_env: dict[str, str]
) -> None:
    proc = subprocess.Popen(
        [str(SYNCD), "link", "strava", "--port", "0", "--timeout", "60"],
        env={**syncd_env, **strava_env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = ""
        for _ in range(5):
            line = proc.stdout.readline()
            if line.startswith(sim.oauth_url):
                url = line.strip()
                break
        assert url, "no authorize URL printed"
        assert "scope=read_all%2Cactivity%3Aread_all%2Cactivity%3Awrite" in url
        answer = requests.get(url, timeout=30)  # the simulated Strava approves and redirects to our callback
        assert answer.status_code == 200 and "linked" in answer.text
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "linked Strava athlete 1001" in out


def test_missing_app_credentials_and_bad_token_file(run_syncd: RunSyncd, tmp_path: Path) -> None:
    missing = run_syncd("link", "strava", "--token-file", tmp_path / "nope.json")
    assert missing.returncode == 2 and "client_id and client_secret are required" in missing.stderr
    bad = tmp_path / "bad.json"
    bad.write_text('{"access_token": "x"}')
    env = {"SYNCD_STRAVA_CLIENT_ID": "1", "SYNCD_STRAVA_CLIENT_SECRET": "s" * 20}
    result = run_syncd("link", "strava", "--token-file", bad, env=env)
    assert result.returncode == 1
    assert "lacks refresh_token, expires_at" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_sync_syncs_now_says_what_it_did_and_names_a_held_lease(
    run_syncd: RunSyncd, sim: StravaSimulator, strava_env: dict[str, str], tmp_path: Path, syncd_env: dict[str, str]
) -> None:
    tokens = sim.issue_tokens(1001)
    token_file = tmp_path / "tokens.json"
    token_file.write_text(json.dumps({k: tokens[k] for k in ("access_token", "refresh_token", "expires_at")}))
    assert run_syncd("link", "strava", "--token-file", token_file, env=strava_env).returncode == 0
    first = run_syncd("sync", "--once", env=strava_env)
    assert first.returncode == 0, first.stderr
    runs = len(_runs(sim))
    # every activity stored is annotated (issue 27: the non-runs too, from their summaries); only runs get a note
    assert runs < 6, "a non-run among the six is what the annotated count checks"
    assert f"strava:1001: 6 new, 0 updated, 6 annotated, {runs} note(s) queued (6 listed)" in first.stdout
    seed_synthetic(sim, 1001, count=1, end=datetime.now(UTC) - timedelta(minutes=30), run_share=1.0, seed=7)
    reads = sim.count("GET")
    second = run_syncd("sync", "--once", env=strava_env)  # right after the first: not due, synced all the same
    assert second.returncode == 0, second.stderr
    assert sim.count("GET") > reads
    assert "strava:1001: 1 new, 0 updated, 1 annotated, 1 note(s) queued" in second.stdout

    accounts = run_syncd("accounts", "--json", env=strava_env)
    [row] = json.loads(accounts.stdout)["accounts"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", row["next_due"]), row
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", row["last_sync"]), row
    table = run_syncd("accounts", env=strava_env).stdout
    header = ["id", "account", "athlete", "state", "last", "sync", "next", "sync", "write-back"]
    assert table.splitlines()[0].split() == header
    status = run_syncd("status", env=strava_env).stdout
    assert "datetime.datetime(" not in status and "strava:1001" in status and "next sync" in status

    # A killed `syncd run` left its lease: sync says who holds the account and until when, instead of nothing.
    state = Path(syncd_env["XDG_STATE_HOME"]) / "syncd"
    with Store.open(f"sqlite:///{state / 'syncd.sqlite3'}") as store:
        store.make_accounts_due(datetime.now(UTC))
        claimed = store.claim_accounts("otherhost:4242", now=datetime.now(UTC), lease_s=900, limit=5)
        assert [a.external_id for a in claimed] == ["1001"]
    held = run_syncd("sync", "--once", env=strava_env)
    assert "strava:1001: not synced now: held by otherhost:4242 until" in held.stdout
    assert "being synced by otherhost:4242" in run_syncd("status", env=strava_env).stdout


def test_link_timeout_tells_a_headless_server_what_to_do(run_syncd: RunSyncd, strava_env: dict[str, str]) -> None:
    result = run_syncd("link", "strava", "--port", "0", "--timeout", "1", env=strava_env)
    assert result.returncode == 1
    assert "--code" in result.stderr and "--token-file" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
