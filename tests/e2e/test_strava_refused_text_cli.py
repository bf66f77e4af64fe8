"""Issue 31 as a user meets it, on PostgreSQL: `syncd sync --once` with the real stravalib client against the
simulated Strava, where one run is named "Run \\x00 name" (once: every pass failed with a DataError, 2 of 7 stored,
no note written, the activity's data in the log, `syncd accounts` saying ok) and another carries a number no
database keeps. Now the NUL is reported and stored without it, every other run is stored and gets its note, the
refused run is named without its contents and the account shows degraded until the run can be stored."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from syncd.domain.description import START_MARKER
from syncd.testing.seed import seed_synthetic
from syncd.testing.strava_server import StravaSimulator
from tests.e2e.conftest import RunSyncd
from tests.pg import fresh_database

pytestmark = [pytest.mark.postgres]
SECRET_NAME = "Back hurts after the long one"


@pytest.fixture
def database_url() -> Iterator[str]:
    with fresh_database("syncd_nul") as url:
        yield url


def test_nul_and_refused_runs_on_postgresql(run_syncd: RunSyncd, database_url: str, tmp_path: Path) -> None:
    with StravaSimulator() as sim:
        athlete = sim.add_athlete(firstname="Eve", lastname="Hills").id
        ids = seed_synthetic(sim, athlete, count=7, end=datetime.now(UTC) - timedelta(hours=1), run_share=1.0)
        nul, refused = ids[1], ids[4]
        sim.update_activity(nul, name="Run \x00 name")
        sim.update_activity(refused, name=SECRET_NAME, workout_type=2**70)
        env = {
            "SYNCD_STRAVA_CLIENT_ID": str(sim.client_id),
            "SYNCD_STRAVA_CLIENT_SECRET": sim.client_secret,
            "SYNCD_STRAVA_API_URL": sim.api_url,
            "SYNCD_STRAVA_OAUTH_URL": sim.oauth_url,
            "SYNCD_STRAVA_WRITE_BACK": "all",
            "SYNCD_DATABASE_URL": database_url,
        }
        tokens = sim.issue_tokens(athlete)
        token_file = tmp_path / "tokens.json"
        token_file.write_text(json.dumps({k: tokens[k] for k in ("access_token", "refresh_token", "expires_at")}))
        assert run_syncd("link", "strava", "--token-file", token_file, env=env).returncode == 0

        first = run_syncd("sync", "--once", env=env)

        out = first.stdout + first.stderr
        assert first.returncode == 1 and "Traceback" not in out and "DataError" not in out, out
        assert f"  cleaned {nul}: its name held a character no database keeps" in first.stdout
        assert f"  not stored {refused}: the database refused activity strava:{refused} (" in first.stdout
        assert "wrote 6 note(s)" in first.stdout
        assert SECRET_NAME not in out
        assert all(START_MARKER in (sim.description(i) or "") for i in ids if i != refused)
        accounts = run_syncd("accounts", env=env)
        assert "degraded" in accounts.stdout and f"not stored ({refused})" in accounts.stdout, accounts.stdout
        assert SECRET_NAME not in accounts.stdout

        sim.update_activity(refused, workout_type=1)
        second = run_syncd("sync", "--once", env=env)
        assert second.returncode == 0, second.stdout + second.stderr
        assert START_MARKER in (sim.description(refused) or "")
        status = json.loads(run_syncd("status", "--json", env=env).stdout)
        assert status["rows"]["activities"] == 7
        [account] = status["accounts"]
        assert (account["state"], account["message"]) == ("ok", None)
