"""How the store-bound figures grow with the history: daily rescan (no-op), feed page 1 and feed `?flag=`.

Run: `.venv/bin/python -m bench.scale_bench [--sizes 1000,10000,50000,100000] [--requests 20] [--old-up-to 10000]`

For each size, one athlete's history (an activity every 7 hours: runs, rides, strength, walks) is bulk-inserted
into a fresh SQLite file, every activity annotated under the current rules version (so the rescan has nothing to
do) with the flag index filled. Then: the daemon's daily rescan (`daily_rescan`), and real HTTP requests to the
feed served by uvicorn on loopback (page 1; `?flag=downhill`). `--old-up-to` also times the former rescan (every
row with its raw JSON, then the latest annotation of each, one query per activity) up to that size, side by side.
Peak RSS of the process is printed after each size (it only grows: read the increase).
"""

from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from syncd.adapters.db import Store
from syncd.adapters.db.flag_index import rebuild_current_flags
from syncd.adapters.db.mapping import activity_values, flags_to_json
from syncd.adapters.db.models import ACTIVITIES, ANNOTATIONS
from syncd.config import Settings
from syncd.domain.flags import Confidence, Flag, FlagCode, Severity
from syncd.domain.model import Activity, Source, Sport
from syncd.entrypoints.web.app import create_app
from syncd.entrypoints.web.serve import serve_in_thread
from syncd.entrypoints.wiring import batch_repositories
from syncd.services.annotating import AnnotationPolicy, daily_rescan

SPORTS = [Sport.RUN] * 6 + [Sport.RIDE, Sport.STRENGTH, Sport.TRAIL_RUN, Sport.WALK]
FLAG_SETS: list[list[Flag]] = [
    [],
    [Flag(FlagCode.DOWNHILL, Severity.HIGH, Confidence.HIGH, {"descent_per_km_m": 31.0, "total_descent_m": 260.0})],
    [Flag(FlagCode.SPEED_WORK, Severity.CAUTION, Confidence.MEDIUM, {"reps": 6, "rep_pace_s_per_km": 240.0})],
    [Flag(FlagCode.LOW_STRENGTH, Severity.CAUTION, Confidence.HIGH, {"sessions": 1, "target": 3})],
]
NOW = datetime(2026, 11, 22, 7, 0, tzinfo=UTC)
RAW = {"summary": {"name": "x" * 200, "map": {"summary_polyline": "y" * 600}}}  # raw JSON as a sync keeps it


def build(store: Store, count: int, version: str) -> int:
    athlete = store.ensure_athlete("local", name="Bench Runner")
    with store.engine.begin() as conn:
        for first in range(0, count, 5000):
            rows = []
            for n in range(first, min(count, first + 5000)):
                sport = SPORTS[n % len(SPORTS)]
                activity = Activity(
                    source=Source.STRAVA,
                    external_id=f"b{n}",
                    sport=sport,
                    sport_original=sport.value,
                    start_utc=NOW - timedelta(hours=7 * n),
                    distance_m=None if sport is Sport.STRENGTH else 8000.0 + (n % 50) * 100,
                    moving_s=2400.0 + (n % 30) * 30,
                )
                rows.append({**activity_values(activity), "athlete_id": athlete, "raw": RAW, "content_hash": f"{n}"})
            conn.execute(sa.insert(ACTIVITIES), rows)
        ids = [int(i) for i in conn.execute(sa.select(ACTIVITIES.c.id).order_by(ACTIVITIES.c.id)).scalars()]
        for first in range(0, len(ids), 5000):
            conn.execute(
                sa.insert(ANNOTATIONS),
                [
                    {
                        "activity_id": i,
                        "rules_version": version,
                        "flags": flags_to_json(FLAG_SETS[i % len(FLAG_SETS)]),
                        "note": "note",
                        "created_at": NOW,
                    }
                    for i in ids[first : first + 5000]
                ],
            )
        rebuild_current_flags(conn)
    return athlete


def former_rescan(store: Store, version: str) -> int:
    """What the daily rescan did before: every activity with its raw JSON, then its latest annotation, one by one."""
    stale = 0
    for stored in store.iter_activities():
        latest = store.latest_annotation(stored.id)
        stale += latest is None or latest.rules_version != version
    return stale


def http_p(url: str, requests: int) -> tuple[float, float]:
    samples = []
    for _ in range(requests + 2):
        began = time.perf_counter()
        with urllib.request.urlopen(url, timeout=120) as reply:
            reply.read()
        samples.append((time.perf_counter() - began) * 1000.0)
    samples = samples[2:]
    return statistics.median(samples), statistics.quantiles(samples, n=20)[18]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000,50000,100000")
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--old-up-to", type=int, default=10_000)
    args = parser.parse_args()
    policy = AnnotationPolicy()
    print(f"{'activities':>10} | {'rescan no-op':>12} | {'former rescan':>13} | {'feed page 1 p50/p95':>20} | "
          f"{'feed ?flag= p50/p95':>20} | peak RSS")  # fmt: skip
    for size in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            store = Store.open(f"sqlite:///{Path(tmp) / 'bench.db'}")
            build(store, size, policy.version)
            began = time.perf_counter()
            report = daily_rescan(batch_repositories(store), policy, now=NOW)
            rescan_s = time.perf_counter() - began
            assert report.reannotated.rerun == 0, "the rescan should have nothing to do"
            former = "-"
            if size <= args.old_up_to:
                began = time.perf_counter()
                assert former_rescan(store, policy.version) == 0
                former = f"{time.perf_counter() - began:10.2f} s"
            with serve_in_thread(create_app(store, Settings(state_dir=Path(tmp), config_path=None))) as base:
                page1 = http_p(base + "/", args.requests)
                flagged = http_p(base + "/?flag=downhill", args.requests)
            store.close()
        print(
            f"{size:>10,} | {rescan_s:10.3f} s | {former:>13} | {page1[0]:7.1f} / {page1[1]:7.1f} ms | "
            f"{flagged[0]:7.1f} / {flagged[1]:7.1f} ms | {peak_rss_mb():6.0f} MB",
            flush=True,
        )


if __name__ == "__main__":
    main()
