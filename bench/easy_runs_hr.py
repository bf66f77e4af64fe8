"""Flags on the corpus's easy runs when the athlete has a maximum heart rate set (issue 28).

With `[athlete] max_heart_rate = 195`, "80 % of max" sat inside many runners' easy running and 24 of the 34 easy
corpus runs were called speed work. Each easy run (bench.corpus_score.easy_files) is annotated alone with the given
maximum; the flags raised are counted. Usage: python -m bench.easy_runs_hr [--max-hr 195]
"""

from __future__ import annotations

import argparse
from collections import Counter

from bench.corpus_score import NOW, REAL, easy_files, load_labels, subject
from syncd.adapters.files import load_activities
from syncd.services.annotating import AnnotationPolicy, annotate_one


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--max-hr", type=float, default=195.0)
    args = parser.parse_args()
    policy = AnnotationPolicy(max_heart_rate=args.max_hr)
    counts: Counter[str] = Counter()
    runs = 0
    for name in easy_files(load_labels()):
        for activity in subject(p.activity for p in load_activities(REAL / name)):
            runs += 1
            codes = [flag.code.value for flag in annotate_one(activity, [], policy, now=NOW).annotation.flags]
            counts.update(codes)
            if codes:
                print(f"{name}: {', '.join(codes)}")
    flags = ", ".join(f"{code} {n}" for code, n in sorted(counts.items())) or "none"
    print(f"{runs} easy runs with max_heart_rate {args.max_hr:g}; flags: {flags}")


if __name__ == "__main__":
    main()
