"""`syncd run` as a real process: idle RSS and CPU with 10 linked accounts, webhook-to-written-note latency.

Run: `.venv/bin/python -m bench.daemon_bench` (60 s idle window) or `--idle-seconds 300` (the issue's 5 minutes).
Targets (issue 5): idle < 150 MB RSS and < 1 % CPU; latency reported as p50/p95 over `--events` webhook events.
The daemon runs with its defaults (30 s tick) against the simulated Strava on loopback, SQLite in a temp directory.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from syncd.domain.description import START_MARKER
from syncd.testing.seed import detail_payload, seed_synthetic, streams_payload, synthetic_run
from syncd.testing.strava_server import StravaSimulator
from tests.e2e.daemon_proc import DaemonProcess, strava_env, wait_for

SYNCD = Path(sys.executable).with_name("syncd")
TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=10)
    parser.add_argument("--idle-seconds", type=float, default=60.0)
    parser.add_argument("--events", type=int, default=20)
    args = parser.parse_args()

    big = 10**9  # limits out of the way: the budget's behaviour is covered by tests, here it would only pace
    with (
        tempfile.TemporaryDirectory() as tmp,
        StravaSimulator(short_limit=big, daily_limit=big, read_short_limit=big, read_daily_limit=big) as sim,
    ):
        root = Path(tmp)
        end = datetime.now(UTC) - timedelta(hours=3)
        for seed in range(1, args.accounts + 1):
            athlete = sim.add_athlete(firstname="Bench", lastname=f"Runner{seed}")
            seed_synthetic(sim, athlete.id, count=10, end=end, run_share=0.6, seed=seed)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SYNCD_", "XDG_"))}
        env.update(HOME=str(root), XDG_CONFIG_HOME=str(root / "config"), XDG_STATE_HOME=str(root / "state"))
        env.update(strava_env(sim))
        for athlete_id in sim.athletes:
            tokens = sim.issue_tokens(athlete_id)
            path = root / f"tokens-{athlete_id}.json"
            path.write_text(json.dumps({k: tokens[k] for k in ("access_token", "refresh_token", "expires_at")}))
            subprocess.run([str(SYNCD), "link", "strava", "--token-file", str(path)], env=env, check=True,
                           capture_output=True)  # fmt: skip
        runs = [i for a in sim.athletes.values() for i, d in a.activities.items() if d["sport_type"] == "Run"]

        daemon = DaemonProcess(SYNCD, env, "--tick", "30")  # the default tick (the helper's --tick 1 is overridden)
        try:
            began = time.monotonic()
            wait_for(lambda: all(START_MARKER in (sim.description(i) or "") for i in runs), 300, "the first pass")
            first_pass = time.monotonic() - began
            time.sleep(5)  # let the first pass's garbage settle
            pid = daemon.proc.pid
            cpu0, t0, peak = _cpu_s(pid), time.monotonic(), 0.0
            while time.monotonic() - t0 < args.idle_seconds:
                peak = max(peak, _rss_mb(pid))
                time.sleep(1)
            cpu_pct = 100 * (_cpu_s(pid) - cpu0) / (time.monotonic() - t0)
            rss = _rss_mb(pid)

            owner = next(iter(sim.athletes))
            latencies = []
            for index in range(args.events):
                start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=90 - index)
                run = synthetic_run(start, minutes=40, pace_s_per_km=320, seed=5000 + index)
                streams = streams_payload(run.streams) if run.streams is not None else None
                activity_id = sim.add_activity(owner, detail_payload(run, start=start), streams)
                sent = time.monotonic()
                sim.send_event(
                    object_type="activity",
                    aspect_type="create",
                    object_id=activity_id,
                    owner_id=owner,
                    callback_url=f"{daemon.url}/webhook/strava",
                )
                wait_for(lambda a=activity_id: START_MARKER in (sim.description(a) or ""), 30, "the note")
                latencies.append(time.monotonic() - sent)
        finally:
            daemon.terminate()
        latencies.sort()
        p95 = latencies[max(round(0.95 * len(latencies)) - 1, 0)]
        print(f"first pass: {args.accounts} accounts, {len(runs)} runs annotated and written in {first_pass:.1f} s")
        print(
            f"idle over {args.idle_seconds:.0f} s with {args.accounts} linked accounts: RSS {rss:.1f} MB "
            f"(peak {peak:.1f} MB), CPU {cpu_pct:.2f} %"
        )
        print(
            f"webhook -> written note ({args.events} events): p50 {statistics.median(latencies) * 1000:.0f} ms, "
            f"p95 {p95 * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms"
        )


if __name__ == "__main__":
    main()
