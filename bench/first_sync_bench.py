"""Memory of a first Strava sync as the history grows: summaries are stored page by page, so the peak stays flat.

Run: `.venv/bin/python -m bench.first_sync_bench [--sizes 1000,4000]`

The simulated Strava (real stravalib over loopback, in its own process) holds N activities (rides and strength
sessions: the list is what is measured, not the detail of recent runs); the first sync lists and stores all of them
into SQLite. Python allocations are traced (tracemalloc) from just before the sync: the peak above that baseline is
what the sync held at once. Before, every summary of the history was held until the listing ended (~1.8 MB per 1,000).
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import tempfile
import time
import tracemalloc
from datetime import timedelta
from multiprocessing.connection import Connection
from pathlib import Path

from syncd.adapters.clock import SystemClock
from syncd.adapters.crypto import SecretBox
from syncd.adapters.db import Store
from syncd.adapters.db.rate_budget import DbRateBudget
from syncd.adapters.strava.api import Endpoint
from syncd.adapters.strava.sessions import StravaSessions, link_with_tokens
from syncd.entrypoints.wiring import link_repositories, platform_repositories
from syncd.logging import configure_logging
from syncd.services.annotating import AnnotationPolicy
from syncd.services.strava_sync import StravaService, SyncOptions
from syncd.testing.seed import now_utc, seed_synthetic
from syncd.testing.strava_server import StravaSimulator

BIG = 10**9


def _serve(size: int, conn: Connection) -> None:
    """Child process: the simulated Strava with `size` activities, until the parent closes the pipe."""
    limits = {"short_limit": BIG, "daily_limit": BIG, "read_short_limit": BIG, "read_daily_limit": BIG}
    with StravaSimulator(**limits) as sim:  # type: ignore[arg-type]
        athlete = sim.add_athlete(firstname="Long", lastname="History").id
        seed_synthetic(sim, athlete, count=size, end=now_utc() - timedelta(days=40), run_share=0.0)
        conn.send((sim.api_url, sim.oauth_url, sim.client_id, sim.client_secret, sim.issue_tokens(athlete)))
        conn.recv()  # blocks until the parent is done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,4000")
    args = parser.parse_args()
    configure_logging("console", level=logging.WARNING)
    context = multiprocessing.get_context("fork")
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        parent, child = context.Pipe()
        server = context.Process(target=_serve, args=(size, child), daemon=True)
        server.start()  # its own process, so only the sync's allocations are traced here
        api_url, oauth_url, client_id, secret, tokens = parent.recv()
        endpoint = Endpoint(api_url, oauth_url, client_id, secret, 30.0)
        with tempfile.TemporaryDirectory() as tmp:
            box = SecretBox(SecretBox.generate_key(), origin="bench")
            store = Store.open(f"sqlite:///{Path(tmp) / 'bench.db'}", secret_box=box)
            link_with_tokens(link_repositories(store), endpoint, tokens)
            budget = DbRateBudget(store.engine, f"strava:{client_id}")
            clock = SystemClock()
            service = StravaService(
                platform_repositories(store),
                StravaSessions(store, endpoint, budget=budget, clock=clock),
                budget=budget,
                policy=AnnotationPolicy(),
                options=SyncOptions(write_back="off"),
                clock=clock,
            )
            tracemalloc.start()
            baseline = tracemalloc.get_traced_memory()[0]
            began = time.perf_counter()
            report = service.sync_due("bench")
            elapsed = time.perf_counter() - began
            peak = tracemalloc.get_traced_memory()[1] - baseline
            tracemalloc.stop()
            sync = report.accounts[0].report
            assert sync is not None and sync.listed == size, report
            store.close()
        parent.send("done")
        server.join(timeout=30)
        rows.append((size, peak / 1e6, elapsed))
        print(f"{size:>6,} summaries: peak {peak / 1e6:6.2f} MB above baseline, {elapsed:6.1f} s", flush=True)
    if len(rows) > 1:
        (n0, p0, _), (n1, p1, _) = rows[0], rows[-1]
        print(f"growth: {(p1 - p0) / ((n1 - n0) / 1000):+.3f} MB per 1,000 more summaries (flat: about 0)")


if __name__ == "__main__":
    main()
