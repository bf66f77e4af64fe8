"""`syncd sync --once` with nothing due: wall time and CPU of the whole command, as cron or a timer runs it.

Run: `.venv/bin/python -m bench.startup_bench [--sizes 1000,100000] [--runs 7]`

A state directory with a SQLite database of N activities (bulk-inserted, as in scale_bench) and Strava configured
but no account due. Each run is a fresh process; the median of `--runs` is printed with the process's user+system
CPU, beside a bare `python -c pass` and `python -c "import syncd.entrypoints.cli"` measured in the same loop (the
floor, and what any command pays before it starts).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.scale_bench import build
from syncd.adapters.db import Store
from syncd.services.annotating import AnnotationPolicy

SYNCD = Path(sys.executable).with_name("syncd")


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    subprocess.run(command, env=env, check=True, capture_output=True)
    wall = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,100000")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    for size in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            state = Path(tmp) / "state"
            env = {
                **os.environ,
                "SYNCD_STATE_DIR": str(state),
                "XDG_CONFIG_HOME": str(Path(tmp) / "config"),
                "SYNCD_STRAVA_CLIENT_ID": "123",
                "SYNCD_STRAVA_CLIENT_SECRET": "bench-secret",
            }
            env.pop("SYNCD_CONFIG", None)
            subprocess.run([str(SYNCD), "sync", "--once"], env=env, check=True, capture_output=True)  # creates it
            database = state / "syncd.sqlite3"  # the default database the first run created
            assert database.is_file(), f"{database} missing: the default database moved; update the bench"
            store = Store.open(f"sqlite:///{database}")
            build(store, size, AnnotationPolicy().version)
            store.close()
            commands = {
                "syncd sync --once": [str(SYNCD), "sync", "--once"],
                "python -c 'import syncd.entrypoints.cli'": [sys.executable, "-c", "import syncd.entrypoints.cli"],
                "python -c pass": [sys.executable, "-c", "pass"],
            }
            samples: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
            for _ in range(args.runs):
                for name, command in commands.items():
                    samples[name].append(timed(command, env))
            print(f"{size:,} activities stored, nothing due, median of {args.runs} runs:")
            for name, values in samples.items():
                wall = statistics.median(v[0] for v in values)
                cpu = statistics.median(v[1] for v in values)
                print(f"  {name:42s} wall {wall:6.3f} s   cpu {cpu:6.3f} s")


if __name__ == "__main__":
    main()
