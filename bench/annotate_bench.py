"""Annotation throughput of the whole rule set from in-memory streams (1-hour runs at 1 Hz).

Target (issue 13): >= 1,000 activities/s on one core. Run: `.venv/bin/python -m bench.annotate_bench`.
Also reports the time per rule, so a slow rule is easy to find. Rates use the process's CPU time (one core's
work, not wall time), so a busy shared machine does not halve the figure; wall-clock rates are shown beside.
"""

from __future__ import annotations

import argparse
import statistics
import time

from bench.synthetic import history_for, one_hour_run
from syncd.domain.rules import RULE_MODULES, RuleContext, evaluate
from syncd.domain.thresholds import Thresholds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--activities", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    thresholds = Thresholds()
    inputs = []
    for seed in range(args.activities):
        activity = one_hour_run(seed)
        inputs.append((activity, history_for(activity)[:-1]))

    def fresh_contexts() -> list[RuleContext]:
        # A context memoises what its rules derive, so every round needs new ones to measure real work.
        return [RuleContext(activity=a, history=h, thresholds=thresholds) for a, h in inputs]

    for ctx in fresh_contexts()[:5]:  # warm-up (imports)
        evaluate(ctx)
    rates = []
    walls = []
    for _ in range(args.rounds):
        contexts = fresh_contexts()
        begin, wall = time.process_time(), time.perf_counter()
        for ctx in contexts:
            evaluate(ctx)
        rates.append(len(contexts) / (time.process_time() - begin))
        walls.append(len(contexts) / (time.perf_counter() - wall))
    print(
        f"whole rule set: {statistics.median(rates):.0f} activities/s per core (CPU time; median of {args.rounds} "
        f"rounds, {args.activities} one-hour 1 Hz runs, 40 history entries each; rounds: "
        + ", ".join(f"{r:.0f}" for r in rates)
        + "; wall clock: "
        + ", ".join(f"{r:.0f}" for r in walls)
        + ")"
    )
    print("per rule, each on fresh contexts (a rule that shares derived data pays for computing it here):")
    for module in RULE_MODULES:
        contexts = fresh_contexts()
        begin = time.process_time()
        for ctx in contexts:
            module.evaluate(ctx)
        per = (time.process_time() - begin) / len(contexts) * 1e6
        print(f"  {module.__name__.rsplit('.', 1)[-1]:<20} {per:8.1f} µs/activity")


if __name__ == "__main__":
    main()
