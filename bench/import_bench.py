"""Import throughput and store size, on the real fixtures replicated to ~500 activities.

Run: `.venv/bin/python -m bench.import_bench [--copies 42] [--workers N] [--database-url URL]`

Identical files are deduplicated by content, so each copy is made a distinct activity (new external id, start moved
back a week per copy) after parsing; every copy is still parsed from its bytes by `parse_items` (the import
service's parser: worker processes, results in order), stored (raw JSON + compressed streams) and annotated exactly
as `syncd import` does (oldest first, in batches). The same files go through once in process (`--workers 1`) and
once with the parser pool, side by side in one run, each into a fresh database.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path

from syncd.adapters.db import Store
from syncd.adapters.files import ImportItem, parse_bytes, parse_items
from syncd.adapters.parallel import default_workers
from syncd.entrypoints.wiring import batch_repositories
from syncd.services.annotating import AnnotationPolicy, annotate_batch

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "real"
ACTIVITY_SUFFIXES = (".fit", ".gpx", ".tcx")


@dataclass
class Run:
    workers: int
    count: int = 0
    pipeline_s: float = 0.0  # read + parse + store, overlapped when workers > 1
    annotate_s: float = 0.0
    cpu_s: float = 0.0  # user + system, this process and its (finished) parser processes
    activity_seconds: float = 0.0
    store_bytes: int = 0
    starts: dict[int, datetime] = field(default_factory=dict)

    @property
    def total_s(self) -> float:
        return self.pipeline_s + self.annotate_s


def _items(blobs: list[tuple[str, bytes]], copies: int) -> list[ImportItem]:
    return [
        ImportItem(name=f"copy{copy}/{name}", size=len(data), reader=lambda data=data: data)  # type: ignore[misc]
        for copy in range(copies)
        for name, data in blobs
    ]


def _import(items: list[ImportItem], workers: int, url: str | None, tmp: Path) -> Run:
    db_path = tmp / f"bench-{workers}.sqlite3"
    store = Store.open(url or f"sqlite:///{db_path}")
    athlete = store.ensure_athlete(f"bench-{workers}")
    run = Run(workers)
    cpu = _cpu_s()
    begin = time.perf_counter()
    for done in parse_items(items, workers=workers):
        copy = int(done.item.name.split("/", 1)[0].removeprefix("copy"))
        for entry in done.activities:
            activity = replace(
                entry.activity,
                external_id=f"{entry.activity.external_id}#{copy}",
                start_utc=entry.activity.start_utc - timedelta(weeks=copy),
            )
            run.activity_seconds += activity.elapsed_s or activity.duration_s or 0.0
            run.starts[store.upsert_activity(athlete, activity, entry.raw).activity_id] = activity.start_utc
    run.pipeline_s = time.perf_counter() - begin
    begin = time.perf_counter()
    annotate_batch(batch_repositories(store), sorted(run.starts, key=run.starts.__getitem__), AnnotationPolicy())
    run.annotate_s = time.perf_counter() - begin
    run.count = len(run.starts)
    store.close()
    run.cpu_s = _cpu_s() - cpu
    if url is None:
        run.store_bytes = sum(f.stat().st_size for f in tmp.iterdir() if f.name.startswith(db_path.name))
    return run


def _cpu_s() -> float:
    """User + system seconds of this process and its waited-for children: on a shared machine the wall time
    follows the neighbours' load, the CPU time much less."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _parse_only(blobs: list[tuple[str, bytes]], copies: int) -> dict[str, list[float]]:
    by_format: dict[str, list[float]] = {}  # suffix -> [seconds, bytes, files]
    for _ in range(copies):
        for name, data in blobs:
            begin = time.process_time()  # CPU: the neighbours' load on a shared machine is not counted
            parse_bytes(data, name)
            tally = by_format.setdefault(Path(name).suffix.lower(), [0.0, 0.0, 0.0])
            tally[0] += time.process_time() - begin
            tally[1] += len(data)
            tally[2] += 1
    return by_format


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--copies", type=int, default=42, help="copies of the 12 fixtures (42 -> ~500 activities)")
    parser.add_argument("--workers", type=int, default=default_workers(), help="parser processes for the pool run")
    parser.add_argument("--database-url", help="default: a fresh SQLite file in a temporary directory")
    args = parser.parse_args()
    files = sorted(p for p in FIXTURES.iterdir() if p.suffix.lower() in ACTIVITY_SUFFIXES)
    blobs = [(p.name, p.read_bytes()) for p in files]
    items = _items(blobs, args.copies)
    parse_bytes(*blobs[0][::-1])  # warm: first-use imports (decoders, time zones) are not throughput
    with tempfile.TemporaryDirectory() as tmp:
        runs = [_import(items, workers, args.database_url, Path(tmp)) for workers in (1, args.workers)]
    by_format = _parse_only(blobs, args.copies)
    print(f"{runs[0].count} activities from {len(items)} files ({args.copies} copies of {len(blobs)})")
    for run in runs:
        label = "in process" if run.workers == 1 else f"{run.workers} parsers"
        print(
            f"  end to end, {label:10}: {run.count / run.total_s:7.1f} activities/s, "
            f"{len(items) / run.total_s:.0f} files/s ({run.total_s:.1f} s: "
            f"read+parse+store {run.pipeline_s:.1f}, annotate {run.annotate_s:.1f}; cpu {run.cpu_s:.1f} s = "
            f"{len(items) / run.cpu_s:.0f} files per cpu-s)"
        )
    print(f"  ratio pool / in process : {runs[0].total_s / runs[1].total_s:7.2f}x")
    parse_s = sum(seconds for seconds, _, _ in by_format.values())
    print(f"  parse only (in process) : {runs[0].count / parse_s:7.1f} activities per cpu-s")
    for suffix, (seconds, size, n) in sorted(by_format.items()):
        print(
            f"    {suffix}: {size / seconds / 1e6:6.2f} MB/cpu-s, {seconds / n * 1e3:6.1f} cpu-ms per file "
            f"({int(n)} files)"
        )
    if runs[0].store_bytes:
        hours = runs[0].activity_seconds / 3600
        print(
            f"  store size : {runs[0].store_bytes / 1e6:.1f} MB for {hours:.0f} activity-hours = "
            f"{runs[0].store_bytes / hours / 1e3:.1f} kB per activity-hour (SQLite incl. WAL, raw JSON, annotations)"
        )


if __name__ == "__main__":
    main()
