"""Instructions the whole rule set executes per one-hour 1 Hz run, this tree side by side with a baseline (issue 28).

Run: `PYTHONPATH=$PWD .venv/bin/python -m bench.rules_callgrind --baseline a4f6adf [--contexts 30]`

CPU time on the shared machine moves with everyone's load; the instructions `evaluate` executes do not. For each
tree (the baseline checked out with `git worktree add --detach` in a temporary directory, removed afterwards; and
this one) a child runs under `valgrind --tool=callgrind --collect-atstart=no --toggle-collect=functools_reduce
--dump-after=functools_reduce`: it builds `--contexts` synthetic runs (bench.synthetic, 40 history entries each),
warms up on five others (imports, regex compiles), then calls `functools.reduce` once per stage, so callgrind
counts only the stage and writes one dump per call:

- `evaluate`: the engine on fresh contexts, the figure to compare (instructions per run);
- one stage per rule module in the engine's order, then `data_gaps`, on other fresh contexts, each rule counted
  after the ones before it ran on the same contexts, so a stage pays for what it derives first (the speed trace,
  the cleaned altitude) and the stages add up to about `evaluate`.

Both children see the same inputs (each tree's bench.synthetic; the runs are seeded) and run at the same time.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = """
import functools, sys
from bench.synthetic import history_for, one_hour_run
from syncd.domain.rules import RULE_MODULES, RuleContext, evaluate
from syncd.domain.rules.data_gaps import data_gaps
from syncd.domain.thresholds import Thresholds

count = int(sys.argv[1])
thresholds = Thresholds()
inputs = []
for seed in range(count + 5):
    activity = one_hour_run(seed)
    inputs.append((activity, history_for(activity)[:-1]))

def fresh(chosen):
    return [RuleContext(activity=a, history=h, thresholds=thresholds) for a, h in chosen]

for ctx in fresh(inputs[count:]):  # warm-up: imports, compiled patterns, numpy's first calls
    evaluate(ctx)

def counted(work):
    functools.reduce(lambda _a, _b: work(), [0, 0])  # the only calls of reduce: callgrind counts (and dumps) these

def run_all(contexts, stage):
    for ctx in contexts:
        stage(ctx)

contexts = fresh(inputs[:count])
counted(lambda: run_all(contexts, evaluate))
contexts = fresh(inputs[:count])
for module in RULE_MODULES:
    counted(lambda: run_all(contexts, module.evaluate))
counted(lambda: run_all(contexts, lambda ctx: data_gaps(ctx, set())))
print("|".join(["evaluate", *(m.__name__.rsplit(".", 1)[-1] for m in RULE_MODULES), "data_gaps"]))
"""


def measure(tree: Path, contexts: int, out_dir: Path) -> dict[str, int]:
    """Instructions per run for each stage (`evaluate` first), from one callgrind child on `tree`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            f"--callgrind-out-file={out_dir}/cg.out",
            "--collect-atstart=no",
            "--toggle-collect=functools_reduce",
            "--dump-after=functools_reduce",
            sys.executable,
            "-c",
            CHILD,
            str(contexts),
        ],
        cwd=tree,
        env={"PYTHONPATH": f"{tree}{os.pathsep}{ROOT}", "PATH": "/usr/bin:/bin"},
        check=False,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"the callgrind child failed on {tree}: {done.stderr[-800:]}")
    stages = done.stdout.strip().splitlines()[-1].split("|")
    dumps = sorted(out_dir.glob("cg.out.*"), key=lambda p: int(p.name.rsplit(".", 1)[-1]))
    counts = [_collected(dump) for dump in dumps if _collected(dump) > 0]
    if len(counts) != len(stages):
        raise SystemExit(f"{len(counts)} non-empty dumps for {len(stages)} stages in {out_dir}")
    return {stage: count // contexts for stage, count in zip(stages, counts, strict=True)}


def _collected(dump: Path) -> int:
    """The instruction total of one callgrind dump (its `summary:` or `totals:` line)."""
    found = re.search(r"^(?:summary|totals):\s*(\d+)", dump.read_text(errors="replace"), re.M)
    return int(found.group(1)) if found else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", required=True, help="git revision to compare with (e.g. a4f6adf)")
    parser.add_argument("--contexts", type=int, default=30, help="one-hour runs counted per stage")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        old_tree = tmp / "baseline"
        subprocess.run(
            ["git", "worktree", "add", "--detach", str(old_tree), args.baseline],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        try:
            with ThreadPoolExecutor(2) as pool:  # valgrind is single-threaded: both trees at once on two cores
                old_job = pool.submit(measure, old_tree, args.contexts, tmp / "cg-baseline")
                new_job = pool.submit(measure, ROOT, args.contexts, tmp / "cg-this")
                old, new = old_job.result(), new_job.result()
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(old_tree)], cwd=ROOT, check=False)
    print(f"instructions per one-hour 1 Hz run (callgrind, {args.contexts} runs), baseline {args.baseline}")
    for stage in old:
        label = "evaluate (whole rule set)" if stage == "evaluate" else f"  {stage}"
        ratio = f"({old[stage] / new[stage]:.2f}x)" if new.get(stage) else ""
        print(f"{label:28s} baseline {old[stage] / 1e3:9.1f} k   this tree {new.get(stage, 0) / 1e3:9.1f} k   {ratio}")
    print(
        f"{'  sum of the stages':28s} baseline {sum(list(old.values())[1:]) / 1e3:9.1f} k   "
        f"this tree {sum(list(new.values())[1:]) / 1e3:9.1f} k"
    )


if __name__ == "__main__":
    main()
