"""Strava sync against the simulated server: API requests per annotated run, wall time, peak RSS.

Run: `.venv/bin/python -m bench.strava_bench` (both scenarios) or `--athletes 1 --activities 1000`.
Scenarios (issue 4): 1 athlete x 1,000 activities (60% runs) and 100 athletes x 50. Phases: first sync (+ write-back),
an empty poll of every athlete, one new run per athlete (steady state: detail + streams + PUT), and re-annotation
after a rule change (no API call). SQLite in a temporary directory; rate limits of the simulator set high so the
budget does not stop the run (its behaviour is covered by tests).
"""

from __future__ import annotations

import argparse
import logging
import resource
import tempfile
import time
from datetime import UTC, datetime, timedelta

from syncd.adapters.crypto import SecretBox
from syncd.adapters.db import Store
from syncd.domain.thresholds import Thresholds
from syncd.entrypoints.wiring import batch_repositories
from syncd.logging import configure_logging
from syncd.services.annotating import AnnotationPolicy, reannotate
from syncd.testing import strava_harness as harness
from syncd.testing.seed import seed_synthetic
from syncd.testing.strava_server import StravaSimulator

BIG = 10**9


class Clock:
    def __init__(self) -> None:
        self.current = datetime.now(UTC).replace(microsecond=0)

    def now(self) -> datetime:
        return self.current


def scenario(athletes: int, activities: int) -> None:
    clock = Clock()
    with (
        tempfile.TemporaryDirectory() as tmp,
        StravaSimulator(
            clock=clock.now, short_limit=BIG, daily_limit=BIG, read_short_limit=BIG, read_daily_limit=BIG
        ) as sim,
    ):
        store = Store.open(
            f"sqlite:///{tmp}/bench.sqlite3", secret_box=SecretBox(SecretBox.generate_key()), clock=clock
        )
        ids = []
        for index in range(athletes):
            athlete = sim.add_athlete()
            seed_synthetic(
                sim, athlete.id, count=activities, end=clock.now() - timedelta(hours=1), run_share=0.6, seed=index + 1
            )
            harness.link(store, sim, athlete.id, clock=clock)
            ids.append(athlete.id)
        service = harness.service(store, sim, clock=clock)
        print(f"\n{athletes} athlete(s) x {activities} activities ({sim.count()} requests to link)")

        def phase(name: str, action: str = "sync") -> None:
            sim.reset_log()
            begin = time.perf_counter()
            annotated = written = 0
            if action == "reannotate":
                report = reannotate(
                    batch_repositories(store),
                    AnnotationPolicy(thresholds=Thresholds(downhill_grade_pct=4.5)),
                    now=clock.now(),
                )
                annotated = report.changed
            else:
                passes = service.sync_due("bench", limit=athletes + 10)
                annotated = sum(o.report.annotated for o in passes.accounts if o.report)
                written = service.drain("bench", limit=100_000).written
            wall = time.perf_counter() - begin
            reads, writes, lists = sim.count("GET"), sim.count("PUT"), sim.count("GET", r"/athlete/activities$")
            per_run = f"{(reads - lists + writes) / annotated:.2f}" if annotated else "-"
            print(
                f"  {name:<34} requests {reads + writes:>6} (lists {lists:>4}, other reads {reads - lists:>6}, "
                f"PUT {writes:>5})  annotated {annotated:>5}  notes {written:>5}  per annotated run beyond the "
                f"list {per_run:>5}  wall {wall:6.2f} s"
            )

        phase("first sync + write-back")
        poll_gap = timedelta(days=1)  # every athlete is due again, whatever the polling plan
        clock.current += poll_gap
        phase("empty poll of every athlete")
        for index, athlete_id in enumerate(ids):
            seed_synthetic(
                sim, athlete_id, count=1, end=clock.now() - timedelta(minutes=5), run_share=1.0, seed=10_000 + index
            )
        clock.current += poll_gap
        phase("one new run per athlete")
        phase("re-annotation after a rule change", "reannotate")
        store.close()
    print(f"  peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--athletes", type=int)
    parser.add_argument("--activities", type=int)
    args = parser.parse_args()
    configure_logging("console", level=logging.WARNING)
    if args.athletes and args.activities:
        scenario(args.athletes, args.activities)
    else:
        scenario(1, 1000)
        scenario(100, 50)


if __name__ == "__main__":
    main()
