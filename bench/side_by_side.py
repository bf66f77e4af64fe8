"""Run one benchmark module under a baseline commit's code and under this tree's, alternately, in one command.

Run: `.venv/bin/python -m bench.side_by_side --baseline aae9fc2 [--rounds 2] -- MODULE [ARGS...]`

The baseline's `syncd` package is extracted with `git archive REV syncd`; the benchmark module itself always comes
from this tree's bench/ (so both run the same measurement). Rounds alternate baseline, this tree, baseline, ...,
so both see the same load on a shared machine; each output is printed under its label.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.wait_bench import ROOT, baseline_tree


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", required=True, help="git revision to compare with (e.g. aae9fc2)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("module", help="a module of bench/, e.g. xml_bench")
    parser.add_argument("arguments", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tree = baseline_tree(args.baseline, Path(tmp) / "baseline")
        for round_number in range(1, args.rounds + 1):
            for label, path in ((f"baseline {args.baseline}", tree), ("this tree", ROOT)):
                env = {**os.environ, "PYTHONPATH": f"{path}{os.pathsep}{ROOT}"}
                done = subprocess.run(
                    [sys.executable, "-m", f"bench.{args.module}", *args.arguments],
                    cwd=path,
                    env=env,
                    capture_output=True,
                    text=True,
                    check=False,
                )
                print(f"--- {label}, round {round_number}")
                print((done.stdout or done.stderr[-1500:]).rstrip(), flush=True)


if __name__ == "__main__":
    main()
