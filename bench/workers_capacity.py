"""How many athletes and runs a day one Strava application serves at Strava's default limits, from request costs
measured at the simulated Strava (issue 17, "Benchmark"; throughput of 1, 2 and 4 workers: bench/workers_bench.py).

Run: `.venv/bin/python -m bench.workers_capacity` (10 athletes, a few seconds) or `--athletes 50 --runs-per-week 4`.

One StravaService in-process (the code every `syncd run` worker runs) on SQLite, against the simulated Strava over
loopback, with a clock it controls: after the first sync, a pass in which nothing is new gives the cost of an idle
poll, and a pass after one new run per athlete gives the cost of a new run (list, detail, streams, the read before
the write-back if any, the PUT), both counted by the simulator. Strava's default limits (100 reads/200 requests per
15 minutes, 1,000/2,000 a day) and syncd's defaults (polling at most 25 % of the daily reads, a write reserve of 20
per window) then bound the athletes: an idle athlete-day costs its polls (the plan's interval, or one daily re-scan
with the webhook), a run costs what was measured.
"""

from __future__ import annotations

import argparse
import tempfile
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from syncd.adapters.crypto import SecretBox
from syncd.adapters.db import Store
from syncd.domain.rate_budget import (
    DEFAULT_DAILY_LIMIT,
    DEFAULT_READ_DAILY_LIMIT,
    DEFAULT_READ_SHORT_LIMIT,
    DEFAULT_SHORT_LIMIT,
    plan_polling,
)
from syncd.testing import strava_harness as harness
from syncd.testing.seed import seed_synthetic
from syncd.testing.strava_server import StravaSimulator

BIG = 10**9  # the measurement must not be paced by the limits it is about
POLL_SHARE_PCT = 25.0  # [strava] poll_share_pct default
WRITE_RESERVE = 20  # [strava] write_reserve default


class _Clock:
    def __init__(self) -> None:
        self.value = datetime.now(UTC)

    def now(self) -> datetime:
        return self.value


@dataclass(frozen=True)
class Costs:
    idle_poll_reads: float  # per athlete, a poll that finds nothing new
    run_reads: float  # per new run, on top of the poll that found it
    run_writes: float


def measure(athletes: int, tmp: Path) -> Costs:
    clock = _Clock()
    limits = {"short_limit": BIG, "daily_limit": BIG, "read_short_limit": BIG, "read_daily_limit": BIG}
    with (
        StravaSimulator(**limits) as sim,
        Store.open(f"sqlite:///{tmp / 'capacity.sqlite3'}", secret_box=SecretBox(SecretBox.generate_key())) as store,
    ):
        for seed in range(1, athletes + 1):
            athlete = sim.add_athlete(firstname="Bench", lastname=f"Member{seed}")
            seed_synthetic(sim, athlete.id, count=3, end=clock.now() - timedelta(days=2), run_share=1.0, seed=seed)
            harness.link(store, sim, athlete.id, clock=clock)
        service = harness.service(store, sim, clock=clock)

        def api() -> tuple[int, int]:
            requests = [r for r in sim.requests if r.path.startswith("/api/v3/")]
            return sum(r.method == "GET" for r in requests), sum(r.method != "GET" for r in requests)

        # The first sync (backfill) may take several passes; the first pass that finds nothing is the idle poll.
        for _ in range(10):
            clock.value += timedelta(hours=3)  # every account due again (the plan's interval is shorter here)
            sim.reset_log()
            idle = service.run_once("bench")
            busy_pass = any(o.report and o.report.detailed for o in idle.accounts)
            if not busy_pass and idle.writeback is not None and not idle.writeback.outcomes:
                break
        else:
            raise AssertionError("the first sync never settled")
        assert len(idle.accounts) == athletes, "not every account was due for the idle pass"
        idle_reads, idle_writes = api()
        for seed, athlete_id in enumerate(list(sim.athletes), start=1):  # one new run each, just uploaded
            end = datetime.now(UTC) - timedelta(minutes=40)
            seed_synthetic(sim, athlete_id, count=1, end=end, run_share=1.0, seed=1000 + seed)
        clock.value += timedelta(hours=3)
        sim.reset_log()
        busy = service.run_once("bench")
        reads, writes = api()
        assert busy.writeback is not None and busy.writeback.written == athletes, "not every new run was noted"
        return Costs(
            idle_poll_reads=(idle_reads + idle_writes) / athletes,
            run_reads=(reads - idle_reads) / athletes,
            run_writes=(writes - idle_writes) / athletes,
        )


@dataclass(frozen=True)
class Capacity:
    athletes: float
    runs_per_day: float


def with_webhook(costs: Costs, runs_per_athlete_day: float) -> Capacity:
    """Each new run wakes its account (a poll: the list) and costs its own requests; plus one daily re-scan per
    athlete; all within the daily read and overall limits less the write reserve."""
    run_reads = costs.idle_poll_reads + costs.run_reads
    reads = costs.idle_poll_reads + runs_per_athlete_day * run_reads
    total = reads + runs_per_athlete_day * costs.run_writes
    athletes = min((DEFAULT_READ_DAILY_LIMIT - WRITE_RESERVE) / reads, (DEFAULT_DAILY_LIMIT - WRITE_RESERVE) / total)
    return Capacity(athletes, athletes * runs_per_athlete_day)


def polling_runs_per_day(costs: Costs) -> float:
    """Polls take at most POLL_SHARE_PCT of the daily reads whatever the athletes (the interval stretches); the
    runs get the rest."""
    polls = DEFAULT_READ_DAILY_LIMIT * POLL_SHARE_PCT / 100
    reads_left = DEFAULT_READ_DAILY_LIMIT - WRITE_RESERVE - polls
    total_left = DEFAULT_DAILY_LIMIT - WRITE_RESERVE - polls
    return min(reads_left / costs.run_reads, total_left / (costs.run_reads + costs.run_writes))


def polled_athletes(costs: Costs, interval_h: float) -> float:
    """Athletes whose idle polls fit POLL_SHARE_PCT of the daily reads at one poll every `interval_h` (the plan's
    interval for that many athletes, checked against plan_polling)."""
    athletes = DEFAULT_READ_DAILY_LIMIT * POLL_SHARE_PCT / 100 / (24 / interval_h) / costs.idle_poll_reads
    plan = plan_polling(int(athletes), read_daily_limit=DEFAULT_READ_DAILY_LIMIT, share_pct=POLL_SHARE_PCT)
    assert plan.interval_s <= interval_h * 3600 + 1, (athletes, plan)
    return athletes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--athletes", type=int, default=10, help="athletes whose requests are counted")
    parser.add_argument("--runs-per-week", type=float, nargs="+", default=[4.0, 7.0, 14.0])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        costs = measure(args.athletes, Path(tmp))
    print(
        f"measured over {args.athletes} athletes: idle poll {costs.idle_poll_reads:.2f} requests per athlete; "
        f"a new run {costs.run_reads:.2f} reads + {costs.run_writes:.2f} writes on top of its poll"
    )
    print(
        f"Strava default limits {DEFAULT_READ_SHORT_LIMIT}/{DEFAULT_SHORT_LIMIT} per 15 min, "
        f"{DEFAULT_READ_DAILY_LIMIT}/{DEFAULT_DAILY_LIMIT} a day (reads/all), write reserve {WRITE_RESERVE}:"
    )
    # With several workers the note may be written by another worker than the one that fetched the detail: it
    # reads the description first (bench/workers_bench.py measured up to ~0.8 extra reads per run with 4 workers).
    shared = replace(costs, run_reads=costs.run_reads + 1)
    for per_week in args.runs_per_week:
        hook, worst = with_webhook(costs, per_week / 7), with_webhook(shared, per_week / 7)
        print(
            f"  webhook on, {per_week:g} runs/athlete/week: {hook.athletes:.0f} athletes, {hook.runs_per_day:.0f} "
            f"runs/day ({worst.athletes:.0f} athletes if every note costs the extra read)"
        )
    hourly, six_hourly = polled_athletes(costs, 1.0), polled_athletes(costs, 6.0)
    print(
        f"  polling only ({POLL_SHARE_PCT:.0f} % of reads): {hourly:.0f} athletes polled hourly, {six_hourly:.0f} "
        f"every 6 h; runs up to {polling_runs_per_day(costs):.0f}/day"
    )
    burst = (DEFAULT_READ_SHORT_LIMIT - WRITE_RESERVE) / costs.run_reads
    print(f"  a burst: at most {burst:.0f} new runs per 15-minute window (the rest wait for the next, newest first)")


if __name__ == "__main__":
    main()
