"""Two `syncd run` processes on one PostgreSQL database: every account synced, none by both (leases)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from syncd.domain.description import START_MARKER
from syncd.testing.seed import seed_synthetic
from syncd.testing.strava_server import StravaSimulator
from tests.e2e.conftest import SYNCD, RunSyncd
from tests.e2e.daemon_proc import DaemonProcess, strava_env, wait_for
from tests.pg import fresh_database

ATHLETES = 6


@pytest.fixture
def pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this test (dropped afterwards)."""
    with fresh_database("syncd_daemon") as url:
        yield url


@pytest.mark.postgres
def test_two_daemons_share_accounts_without_doubling(
    run_syncd: RunSyncd, syncd_env: dict[str, str], pg_database: str, tmp_path: Path
) -> None:
    with StravaSimulator() as sim:
        end = datetime.now(UTC) - timedelta(hours=2)
        for seed in range(1, ATHLETES + 1):
            athlete = sim.add_athlete(firstname="Club", lastname=f"Member{seed}")
            seed_synthetic(sim, athlete.id, count=3, end=end, run_share=1.0, seed=seed)
        sim.inject("GET", r"/streams$", "slow", times=1000, delay_s=0.3)  # syncs overlap in time
        env = {**syncd_env, **strava_env(sim), "SYNCD_DATABASE_URL": pg_database}
        for athlete_id in sim.athletes:
            tokens = sim.issue_tokens(athlete_id)
            path = tmp_path / f"tokens-{athlete_id}.json"
            path.write_text(json.dumps({k: tokens[k] for k in ("access_token", "refresh_token", "expires_at")}))
            linked = run_syncd("link", "strava", "--token-file", path, env=env)
            assert linked.returncode == 0, linked.stderr
        runs = [i for a in sim.athletes.values() for i in a.activities]
        sim.reset_log()

        workers = [DaemonProcess(SYNCD, env, "--worker", name) for name in ("w1", "w2")]
        try:
            wait_for(lambda: all(START_MARKER in (sim.description(i) or "") for i in runs), 120, "every note")
            for worker in workers:
                assert worker.terminate() == 0, worker.output()
        finally:
            for worker in workers:
                if worker.proc.poll() is None:
                    worker.kill()

        # Each account was listed exactly once: no account was synced by both workers (or twice by one).
        lists = Counter(r.athlete_id for r in sim.requests if r.path.endswith("/athlete/activities"))
        assert lists == dict.fromkeys(sim.athletes, 1)
        puts = Counter(r.path for r in sim.requests if r.method == "PUT")
        assert len(puts) == len(runs) and set(puts.values()) == {1}
        share = {f"w{n}": len(w.events("strava_synced")) for n, w in enumerate(workers, 1)}
        assert sum(share.values()) == ATHLETES
        print(f"\naccounts synced per worker: {share}")
