"""How often the flare-up analysis finds the planted pattern and how often it reports one where there is none, on
synthetic seasons through the real code (issue 29; tests/pain_seasons.py). Run on demand, over a seed range:

    PYTHONPATH=$PWD .venv/bin/python -m bench.pain_rates 600 2400 [planted,independent,sore_rest,blocks]

The tests use seeds 0-599; ranges above that were not used while building the method.
"""

from __future__ import annotations

import sys
import time
from collections import Counter

from syncd.domain.pain_analysis import analyse
from tests.pain_seasons import Kind, season

KINDS: tuple[Kind, ...] = ("planted", "independent", "sore_rest", "blocks")


def rate(kind: Kind, seeds: range) -> tuple[int, Counter[str]]:
    """Seeds with a hit (planted: speed sessions found; otherwise: any finding) and findings per exposure."""
    hits = 0
    which: Counter[str] = Counter()
    for seed in seeds:
        result = analyse(*season(kind, seed))
        keys = [c.exposure.key for c in result.findings]
        which.update(keys)
        hits += ("speed_sessions" in keys) if kind == "planted" else bool(keys)
    return hits, which


def main() -> None:
    first, last = int(sys.argv[1]), int(sys.argv[2])
    kinds = [k for k in KINDS if len(sys.argv) < 4 or k in sys.argv[3].split(",")]
    started = time.perf_counter()
    for kind in kinds:
        hits, which = rate(kind, range(first, last))
        n = last - first
        print(f"{kind:12s} {hits}/{n} = {hits / n:.1%}  findings by exposure {dict(which)}", flush=True)
    print(f"seeds {first}-{last - 1}, {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
