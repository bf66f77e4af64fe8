"""Short commands on an existing database (issue 32), this tree side by side with a baseline commit.

Run: `.venv/bin/python -m bench.cli_bench --baseline aae9fc2 [--runs 9]`

Each tree gets its own state directory with a database made by its own code (an import of the real fixtures and
a pain entry), then `syncd status`, `syncd pain --list`, `syncd athlete show` and `python -c pass` (the floor) run
as fresh processes, alternating between the trees, so both see the same load, with bytecode caches (written by the
warm-up runs) as an installed syncd has them. Prints the median wall time and user+system CPU of each, and the
baseline/this-tree ratio of the medians. With `--callgrind`, also the instructions each command executes under
valgrind (exact whatever the machine's load; the 0.25 s target is about 0.96 G at the quiet machine's 0.47 s per
1.80 G).
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.wait_bench import ROOT, baseline_tree

SYNCD = Path(sys.executable).with_name("syncd")
FIXTURES = ROOT / "tests" / "fixtures" / "real"
COMMANDS: dict[str, list[str]] = {
    "syncd status": [str(SYNCD), "status"],
    "syncd pain --list": [str(SYNCD), "pain", "--list"],
    "syncd athlete show": [str(SYNCD), "athlete", "show"],
    "python -c pass": [sys.executable, "-c", "pass"],
}


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    subprocess.run(command, env=env, check=True, capture_output=True, cwd="/")
    wall = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def instructions(command: list[str], env: dict[str, str]) -> int:
    """Instructions the command executes (valgrind's callgrind), so two trees compare exactly on a busy machine."""
    done = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *command],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        cwd="/",
    )
    found = re.search(r"Collected : (\d+)", done.stderr)
    if found is None:
        raise SystemExit(f"valgrind printed no instruction count for {command[-1]}: {done.stderr[-300:]}")
    return int(found.group(1))


def environment(tree: Path, home: Path) -> dict[str, str]:
    # PYTHONDONTWRITEBYTECODE would make every run compile syncd's modules again: an installed syncd has its caches
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SYNCD_", "XDG_", "PYTHONDONTWRITEBYTECODE"))}
    env.update(PYTHONPATH=str(tree), HOME=str(home), XDG_STATE_HOME=str(home / "state"))
    env["XDG_CONFIG_HOME"] = str(home / "config")
    return env


def prepare(env: dict[str, str]) -> None:
    files = sorted(p for p in FIXTURES.iterdir() if p.suffix in (".fit", ".gpx", ".tcx"))
    subprocess.run([str(SYNCD), "import", *map(str, files), "--quiet"], env=env, check=True, capture_output=True)
    subprocess.run([str(SYNCD), "pain", "local", "2026-11-28", "3"], env=env, check=True, capture_output=True)
    for command in COMMANDS.values():  # the first run may migrate the schema; measured runs only read it
        subprocess.run(command, env=env, check=True, capture_output=True, cwd="/")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", required=True, help="git revision to compare with (e.g. aae9fc2)")
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--callgrind", action="store_true", help="also count instructions (needs valgrind)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        trees = {"baseline": baseline_tree(args.baseline, tmp / "baseline"), "this tree": ROOT}
        envs = {name: environment(tree, tmp / name.replace(" ", "_")) for name, tree in trees.items()}
        for env in envs.values():
            prepare(env)
        samples: dict[tuple[str, str], list[tuple[float, float]]] = {}
        for _ in range(args.runs):
            for label, command in COMMANDS.items():
                for name, env in envs.items():
                    samples.setdefault((label, name), []).append(timed(command, env))
        print(f"median of {args.runs} runs, alternating baseline ({args.baseline}) and this tree; seconds")
        for label in COMMANDS:
            cells = []
            walls = []
            for name in envs:
                values = samples[(label, name)]
                wall = statistics.median(v[0] for v in values)
                cpu = statistics.median(v[1] for v in values)
                walls.append(wall)
                cells.append(f"{name}: wall {wall:5.3f} cpu {cpu:5.3f}")
            print(f"  {label:22s} {'   '.join(cells)}   ({walls[0] / walls[1]:.2f}x)")
        if args.callgrind:
            print("instructions (valgrind --tool=callgrind), G")
            for label, command in COMMANDS.items():
                counts = [instructions(command, env) / 1e9 for env in envs.values()]
                cells = [f"{name}: {count:6.3f} G" for name, count in zip(envs, counts, strict=True)]
                print(f"  {label:22s} {'   '.join(cells)}   ({counts[0] / counts[1]:.2f}x)")


if __name__ == "__main__":
    main()
