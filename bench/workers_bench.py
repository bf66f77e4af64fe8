"""Annotated runs per minute for 1, 2 and 4 `syncd run` workers on PostgreSQL, and what one Strava app serves.

Run: `.venv/bin/python -m bench.workers_bench` (defaults: 60 athletes x 3 runs, workers 1 2 4) or e.g.
`--athletes 200 --runs 2 --workers 1 2 4`. The simulated Strava's limits are raised out of the way (the pacing
is the budget's job, covered by tests); each round gets a fresh PostgreSQL database (127.0.0.1:5432, or
SYNCD_TEST_PG_URL). Throughput counts from the workers' start to the moment every run carries its note.

The second part turns the measured requests per annotated run into what one Strava application serves a day
with Strava's default limits (200/15 min and 2,000/day overall; 100/15 min and 1,000/day for reads), with the
webhook (polling only a daily safety re-scan) and without it (polling at the default 25 % of the read budget).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from syncd.adapters.crypto import SecretBox
from syncd.adapters.db import Store
from syncd.domain.rate_budget import (
    DEFAULT_DAILY_LIMIT,
    DEFAULT_READ_DAILY_LIMIT,
    DEFAULT_READ_SHORT_LIMIT,
    DEFAULT_SHORT_LIMIT,
)
from syncd.testing import strava_harness as harness
from syncd.testing.invariants import check_notes
from syncd.testing.seed import seed_synthetic
from syncd.testing.strava_server import StravaSimulator
from tests.e2e.daemon_proc import DaemonProcess, strava_env, wait_for
from tests.pg import fresh_database

SYNCD = Path(sys.executable).with_name("syncd")
BIG = 10**9


def round_trip(workers: int, athletes: int, runs: int) -> tuple[float, int, int, int]:
    """(seconds to converge, annotated runs, API requests, writes) for one fresh world."""
    key = SecretBox.generate_key()
    with (
        fresh_database("syncd_bench") as url,
        tempfile.TemporaryDirectory() as tmp,
        StravaSimulator(short_limit=BIG, daily_limit=BIG, read_short_limit=BIG, read_daily_limit=BIG) as sim,
    ):
        store = Store.open(url, secret_box=SecretBox(key))
        end = datetime.now(UTC) - timedelta(hours=1)
        for index in range(athletes):
            athlete = sim.add_athlete(firstname="Bench", lastname=f"W{index}")
            seed_synthetic(sim, athlete.id, count=runs, end=end, run_share=1.0, seed=index + 1)
            harness.link(store, sim, athlete.id)
        sim.reset_log()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SYNCD_", "XDG_"))}
        env.update(
            strava_env(sim),
            HOME=tmp,
            SYNCD_CONFIG=str(Path(tmp) / "config.toml"),
            SYNCD_STATE_DIR=str(Path(tmp) / "state"),
            SYNCD_DATABASE_URL=url,
            SYNCD_DATABASE_ENCRYPTION_KEY=key.decode() if isinstance(key, bytes) else str(key),
        )
        (Path(tmp) / "config.toml").write_text("")
        began = time.monotonic()
        procs = [DaemonProcess(SYNCD, env, "--no-web") for _ in range(workers)]
        try:
            wait_for(lambda: check_notes(store, sim, {}, now=datetime.now(UTC)).converged, 1800, "every note")
            elapsed = time.monotonic() - began
        finally:
            for proc in procs:
                proc.kill()
        check = check_notes(store, sim, {}, now=datetime.now(UTC))
        requests, writes = sim.count(), sim.count("PUT")
        store.close()
    return elapsed, check.noted, requests, writes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--athletes", type=int, default=60)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    args = parser.parse_args()
    per_run: list[float] = []
    print(f"{args.athletes} athletes x {args.runs} runs, simulated Strava limits raised, PostgreSQL")
    for workers in args.workers:
        elapsed, noted, requests, writes = round_trip(workers, args.athletes, args.runs)
        per_run.append(requests / max(noted, 1))
        print(
            f"  {workers} worker(s): {noted} runs annotated and written in {elapsed:6.1f} s = "
            f"{noted / elapsed * 60:6.0f} runs/min ({requests} requests, {writes} writes, "
            f"{requests / max(noted, 1):.2f} requests per run incl. one list per athlete)"
        )
    # What one app serves a day with Strava's default limits, from the measured cost per run.
    reads_per_run = 2.0  # detail + streams; the write-back reuses the just-fetched description
    writes_per_run = 1.0
    print("one Strava application with the default limits:")
    polls = 0.25 * DEFAULT_READ_DAILY_LIMIT  # list reads a day for polling at the default 25 % share
    for runs_per_day in (1.0, 2.0):
        with_webhook = min(
            DEFAULT_READ_DAILY_LIMIT / (1 + reads_per_run * runs_per_day),
            DEFAULT_DAILY_LIMIT / (1 + (reads_per_run + writes_per_run) * runs_per_day),
        )
        runs_polling = (DEFAULT_READ_DAILY_LIMIT - polls) / reads_per_run
        print(
            f"  {runs_per_day:.0f} run(s)/athlete/day: webhook on -> about {with_webhook:.0f} athletes, "
            f"{with_webhook * runs_per_day:.0f} runs/day; polling only -> at most {runs_polling:.0f} runs/day, "
            f"about {runs_polling / runs_per_day:.0f} athletes"
        )
    for athletes in (10, 50, 200):
        print(f"  polling only, {athletes} athletes: each polled every {max(15.0, 1440 * athletes / polls):.0f} min")
    print(
        f"  15-minute windows: {DEFAULT_READ_SHORT_LIMIT} reads / {DEFAULT_SHORT_LIMIT} requests = at most "
        f"{DEFAULT_READ_SHORT_LIMIT // 2} new runs per 15 minutes at 2 reads each (a burst beyond waits for the "
        "next window, newest first)"
    )
    print(f"  measured requests per annotated run above: {', '.join(f'{x:.2f}' for x in per_run)}")


if __name__ == "__main__":
    main()
