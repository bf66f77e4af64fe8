"""Annotation through the store as `syncd reannotate` does it (`services.annotating.reannotate` on the Store's
`batch_repositories`, the rules in this process and on `--workers` processes), against one activity at a time
(`annotate_stored`, one unit of work per activity: the sync's and a form post's path), side by side.

Run: `PYTHONPATH=$PWD .venv/bin/python -m bench.stored_annotate_bench [--activities 600] [--workers N]
[--database-url URL]`

One athlete, one-hour 1 Hz runs (the rule-engine bench's activities) one a day, stored with their streams. Each
step annotates every activity with a policy whose version differs from the previous step's, so `reannotate` finds
every annotation stale and every one is really computed and written. The rule engine alone (the same activities
and the same histories, each run's as-of state's, already in memory) is timed for reference: the stored path in one
process can at best reach it. The pooled run (`syncd reannotate --jobs`) starts its worker processes inside the
timing.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.synthetic import at_device_precision, one_hour_run
from syncd.adapters.db import Store
from syncd.adapters.parallel import ProcessMap, default_workers
from syncd.entrypoints.wiring import batch_repositories
from syncd.ports import ParallelMap
from syncd.services.annotating import AnnotationPolicy, annotate_one, annotate_stored, reannotate
from syncd.services.as_of import run_state


def per_activity(store: Store, ids: list[int], policy: AnnotationPolicy) -> None:
    """One activity at a time: `annotate_stored` (every read and the save in a unit of work per activity)."""
    for activity_id in ids:
        annotate_stored(store, activity_id, policy)


def reannotated(store: Store, ids: list[int], policy: AnnotationPolicy, parallel: ParallelMap | None = None) -> None:
    """`syncd reannotate`: every stored activity whose rules version differs from `policy`'s, in batches."""
    report = reannotate(batch_repositories(store), policy, parallel=parallel)
    if report.rerun != len(ids) or report.failed:
        raise SystemExit(f"reannotate re-ran {report.rerun} of {len(ids)}, failed {report.failed[:3]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--activities", type=int, default=600)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--database-url", help="default: a fresh SQLite file in a temporary directory")
    parser.add_argument("--workers", type=int, default=default_workers(), help="rule processes for the pooled run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}")
        athlete = store.ensure_athlete("bench")
        begin = datetime(2024, 1, 1, 7, 0, tzinfo=UTC)
        activities = [
            replace(at_device_precision(one_hour_run(i, start=begin + timedelta(days=i))), external_id=f"b{i}")
            for i in range(args.activities)
        ]
        ids = [store.upsert_activity(athlete, a, {}).activity_id for a in activities]
        policies = [
            AnnotationPolicy(units=units, when_clean=clean)
            for units in ("metric", "imperial")
            for clean in ("line", "none")
        ]  # a different version each run: every annotation is written
        # each run's history as its note reads it: its as-of state's (no diary: the bench keeps none)
        histories = [
            run_state(store, store.get_activity(i, with_streams=False), policies[0].thresholds, diary=None).history
            for i in ids
        ]
        engine_s = time.perf_counter()
        for activity, history in zip(activities, histories, strict=True):
            annotate_one(activity, history, policies[0])
        engine_rate = len(ids) / (time.perf_counter() - engine_s)
        old: list[float] = []
        new: list[float] = []
        pooled: list[float] = []
        with ProcessMap(args.workers, preload=["syncd.services.annotating"]) as rules:
            for round_ in range(args.rounds):
                start = time.perf_counter()
                per_activity(store, ids, policies[(3 * round_) % 4])
                old.append(len(ids) / (time.perf_counter() - start))
                start = time.perf_counter()
                reannotated(store, ids, policies[(3 * round_ + 1) % 4])
                new.append(len(ids) / (time.perf_counter() - start))
                start = time.perf_counter()  # the worker processes start inside the timing (as `syncd reannotate`)
                reannotated(store, ids, policies[(3 * round_ + 2) % 4], parallel=rules)
                pooled.append(len(ids) / (time.perf_counter() - start))
                rules.close()
        store.close()
    print(f"{len(ids)} one-hour 1 Hz runs on {'SQLite' if not args.database_url else args.database_url.split(':')[0]}")
    rounds_new, rounds_old, rounds_pooled = (", ".join(f"{r:.0f}" for r in rates) for rates in (new, old, pooled))
    label = f"reannotate, rules on {args.workers} procs"
    print(f"  {label:<33}: {max(pooled):7.0f} activities/s  (rounds: {rounds_pooled})")
    print(f"  reannotate (rules in process)    : {max(new):7.0f} activities/s  (rounds: {rounds_new})")
    print(f"  annotate_stored, one at a time   : {max(old):7.0f} activities/s  (rounds: {rounds_old})")
    print(f"  rule engine alone (same history) : {engine_rate:7.0f} activities/s")
    print(f"  ratio reannotate / one at a time : {max(new) / max(old):7.1f}x")


if __name__ == "__main__":
    main()
