"""What issue 27's "a change reaches every note in the same pass" costs every sync pass: the query for notes marked
stale (`marked_stale_ids`) and the marking a new run does (`mark_stale_between`, nothing after it), next to the
daily re-scan's query (`stale_ids`), for one athlete with N stored, annotated activities on SQLite.

Run: .venv/bin/python -m bench.stale_marks_bench --activities 10000
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from syncd.adapters.db import Store
from syncd.records import NewAnnotation
from syncd.testing.seed import synthetic_run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--activities", type=int, default=10_000)
    count = parser.parse_args().activities
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(f"sqlite:///{Path(tmp) / 'bench.db'}")
        athlete = store.ensure_athlete("local", name="Bench")
        base = replace(
            synthetic_run(datetime(2020, 1, 1, tzinfo=UTC), minutes=30, pace_s_per_km=330, seed=1), streams=None
        )
        ids = [
            store.upsert_activity(
                athlete, replace(base, external_id=f"b{i}", start_utc=base.start_utc + timedelta(hours=7 * i)), {}
            ).activity_id
            for i in range(count)
        ]
        store.annotation_batches.save(
            [NewAnnotation(i, "v1", (), "note", (), None) for i in ids], now=datetime.now(UTC)
        )
        newest = base.start_utc + timedelta(hours=7 * count)
        timings: dict[str, list[float]] = {"marked_stale_ids": [], "mark_stale_between": [], "stale_ids": []}
        for _ in range(5):
            for name, call in (
                ("marked_stale_ids", lambda: store.annotation_batches.marked_stale_ids(athlete)),
                (
                    "mark_stale_between",
                    lambda: store.annotation_batches.mark_stale_between(athlete, newest, newest + timedelta(days=42)),
                ),
                ("stale_ids", lambda: store.annotation_batches.stale_ids(athlete, "v1")),
            ):
                started = time.perf_counter()
                call()
                timings[name].append(time.perf_counter() - started)
        store.close()
    print(f"{count:,} annotated activities of one athlete, SQLite, median of 5:")
    for name, values in timings.items():
        print(f"  {name:<20} {sorted(values)[2] * 1000:7.1f} ms")


if __name__ == "__main__":
    main()
