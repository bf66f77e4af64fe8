"""Import throughput and store size, on the real fixtures replicated to ~500 activities.

Run: `.venv/bin/python -m bench.import_bench [--copies 42] [--database-url URL]`

Identical files are deduplicated by content, so each copy is made a distinct activity (new external id, start moved
back a week per copy) after parsing; every copy is still parsed from its bytes, stored (raw JSON + compressed
streams) and annotated exactly as `syncd import` does (oldest first, in batches).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from syncd.adapters.db import Store
from syncd.adapters.files import parse_bytes
from syncd.services.annotating import AnnotationPolicy, annotate_batch

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "real"
ACTIVITY_SUFFIXES = (".fit", ".gpx", ".tcx")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--copies", type=int, default=42, help="copies of the 12 fixtures (42 -> ~500 activities)")
    parser.add_argument("--database-url", help="default: a fresh SQLite file in a temporary directory")
    args = parser.parse_args()
    files = sorted(p for p in FIXTURES.iterdir() if p.suffix.lower() in ACTIVITY_SUFFIXES)
    blobs = [(p.name, p.read_bytes()) for p in files]

    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "bench.sqlite3"
        url = args.database_url or f"sqlite:///{db_path}"
        store = Store.open(url)
        athlete = store.ensure_athlete("bench")
        policy = AnnotationPolicy()

        parse_s = store_s = annotate_s = 0.0
        by_format: dict[str, list[float]] = {}  # suffix -> [seconds, bytes, files]
        activity_seconds = 0.0
        stored_ids = []
        starts = {}
        for copy in range(args.copies):
            for name, data in blobs:
                begin = time.perf_counter()
                parsed = parse_bytes(data, name)
                elapsed = time.perf_counter() - begin
                parse_s += elapsed
                tally = by_format.setdefault(Path(name).suffix.lower(), [0.0, 0.0, 0.0])
                tally[0] += elapsed
                tally[1] += len(data)
                tally[2] += 1
                for entry in parsed:
                    activity = replace(
                        entry.activity,
                        external_id=f"{entry.activity.external_id}#{copy}",
                        start_utc=entry.activity.start_utc - timedelta(weeks=copy),
                    )
                    activity_seconds += activity.elapsed_s or activity.duration_s or 0.0
                    begin = time.perf_counter()
                    stored_id = store.upsert_activity(athlete, activity, entry.raw).activity_id
                    stored_ids.append(stored_id)
                    starts[stored_id] = activity.start_utc
                    store_s += time.perf_counter() - begin
        begin = time.perf_counter()
        annotate_batch(store, sorted(starts, key=starts.__getitem__), policy)  # what `syncd import` does
        annotate_s = time.perf_counter() - begin
        store.close()

        count = len(stored_ids)
        total = parse_s + store_s + annotate_s
        hours = activity_seconds / 3600
        print(f"{count} activities from {len(blobs) * args.copies} files ({args.copies} copies of {len(blobs)})")
        print(
            f"  end to end : {count / total:7.1f} activities/s ({total:.1f} s: parse {parse_s:.1f}, "
            f"store {store_s:.1f}, annotate {annotate_s:.1f})"
        )
        print(f"  parse only : {count / parse_s:7.1f} activities/s")
        for suffix, (seconds, size, n) in sorted(by_format.items()):
            print(
                f"    {suffix}: {size / seconds / 1e6:6.2f} MB/s, {seconds / n * 1e3:6.1f} ms per file ({int(n)} files)"
            )
        if not args.database_url:
            size = sum(f.stat().st_size for f in Path(tmp).iterdir() if f.name.startswith("bench.sqlite3"))
            print(
                f"  store size : {size / 1e6:.1f} MB for {hours:.0f} activity-hours = "
                f"{size / hours / 1e3:.1f} kB per activity-hour (SQLite incl. WAL, raw JSON, annotations)"
            )


if __name__ == "__main__":
    main()
