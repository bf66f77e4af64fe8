"""Annotation throughput of the whole rule set from in-memory streams (1-hour runs at 1 Hz).

Target (issue 3): >= 500 activities/s on one core. Run: `.venv/bin/python -m bench.annotate_bench`.
Also reports the time per rule, so a slow rule is easy to find.
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
    for _ in range(args.rounds):
        contexts = fresh_contexts()
        begin = time.perf_counter()
        for ctx in contexts:
            evaluate(ctx)
        rates.append(len(contexts) / (time.perf_counter() - begin))
    print(
        f"whole rule set: {statistics.median(rates):.0f} activities/s (median of {args.rounds} rounds, "
        f"{args.activities} one-hour 1 Hz runs, 40 history entries each; rounds: "
        + ", ".join(f"{r:.0f}" for r in rates)
        + ")"
    )
    print("per rule, each on fresh contexts (a rule that shares derived data pays for computing it here):")
    for module in RULE_MODULES:
        contexts = fresh_contexts()
        begin = time.perf_counter()
        for ctx in contexts:
            module.evaluate(ctx)
        per = (time.perf_counter() - begin) / len(contexts) * 1e6
        print(f"  {module.__name__.rsplit('.', 1)[-1]:<20} {per:8.1f} µs/activity")


if __name__ == "__main__":
    main()
