"""Feed page render time with 10,000 stored activities (issue 6; target p95 < 200 ms).

Builds a store with ~8 years of one athlete's history (10,000 activities: runs, rides, strength; every one with an
annotation, some with queued write-backs), the newest 20 stored with 1 Hz streams through the Store, the rest
bulk-inserted without streams (the feed list never reads streams). Then times real HTTP requests against the app
served by uvicorn on loopback: the first feed page, a deep page, flag/sport/week filters, the JSON API, Atom and
one activity page with charts.

Usage: .venv/bin/python -m bench.feed_bench [--database-url URL] [--activities N] [--requests N]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from bench.synthetic import one_hour_run
from syncd.adapters.db import Store
from syncd.adapters.db.mapping import activity_values, flags_to_json
from syncd.adapters.db.models import ACTIVITIES, ANNOTATIONS, OUTBOX, STREAMS
from syncd.config import Settings
from syncd.domain.flags import Confidence, Flag, FlagCode, Severity
from syncd.domain.model import Activity, Source, Sport
from syncd.entrypoints.web.app import create_app
from syncd.entrypoints.web.serve import serve_in_thread
from syncd.services.annotating import AnnotationPolicy, annotate_stored

SPORTS = [Sport.RUN] * 6 + [Sport.RIDE, Sport.STRENGTH, Sport.TRAIL_RUN, Sport.WALK]
FLAG_SETS: list[list[Flag]] = [
    [],
    [Flag(FlagCode.DOWNHILL, Severity.HIGH, Confidence.HIGH, {"descent_per_km_m": 31.0, "total_descent_m": 260.0})],
    [Flag(FlagCode.SPEED_WORK, Severity.CAUTION, Confidence.MEDIUM, {"reps": 6, "rep_pace_s_per_km": 240.0})],
    [
        Flag(FlagCode.LOW_STRENGTH, Severity.CAUTION, Confidence.HIGH, {"sessions": 1, "target": 3}),
        Flag(FlagCode.HARD_SURFACE, Severity.INFO, Confidence.LOW, {"distance_m": 9000.0}),
    ],
]


def build(store: Store, count: int) -> int:
    athlete = store.ensure_athlete("local", name="Bench Runner")
    start = datetime(2026, 11, 22, 7, 0, tzinfo=UTC)
    rows: list[dict[str, object]] = []
    annotations: list[tuple[int, list[Flag]]] = []
    with_streams = 20
    for n in range(count - with_streams):
        sport = SPORTS[n % len(SPORTS)]
        activity = Activity(
            source=Source.STRAVA,
            external_id=f"bench-{n}",
            sport=sport,
            sport_original=sport.value,
            start_utc=start - timedelta(hours=7 * (n + with_streams)),
            name=f"Bench activity {n}",
            distance_m=None if sport is Sport.STRENGTH else 8000.0 + (n % 50) * 100,
            moving_s=2400.0 + (n % 30) * 30,
        )
        values = activity_values(activity)
        rows.append({**values, "athlete_id": athlete, "raw": {}, "content_hash": f"{n:064d}"})
        annotations.append((n, FLAG_SETS[n % len(FLAG_SETS)]))
    with store.engine.begin() as conn:
        conn.execute(sa.insert(ACTIVITIES), rows)
        ids = {str(row[0]): int(row[1]) for row in conn.execute(sa.select(ACTIVITIES.c.external_id, ACTIVITIES.c.id))}
        conn.execute(
            sa.insert(ANNOTATIONS),
            [
                {
                    "activity_id": ids[f"bench-{n}"],
                    "rules_version": "bench",
                    "flags": flags_to_json(flags),
                    "note": "bench note",
                }
                for n, flags in annotations
            ],
        )
        conn.execute(
            sa.insert(OUTBOX),
            [
                {"activity_id": ids[f"bench-{n}"], "provider": "strava", "note": "bench note", "status": "done"}
                for n in range(0, count - with_streams, 7)
            ],
        )
    policy = AnnotationPolicy()
    for n in range(with_streams):
        activity = one_hour_run(n, start=start - timedelta(hours=7 * n))
        stored = store.upsert_activity(athlete, activity, {"n": n})
        annotate_stored(store, stored.activity_id, policy)
    return athlete


def timed(url: str, requests: int) -> list[float]:
    samples: list[float] = []
    for _ in range(requests + 2):
        began = time.perf_counter()
        with urllib.request.urlopen(url, timeout=60) as reply:
            reply.read()
            assert reply.status == 200
        samples.append((time.perf_counter() - began) * 1000.0)
    return samples[2:]  # the first two warm caches (templates, statement cache)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    parser.add_argument("--activities", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        store = Store.open(url)
        began = time.perf_counter()
        athlete = build(store, args.activities)
        print(
            f"store: {store.dialect}, {store.counts()['activities']} activities, built in "
            f"{time.perf_counter() - began:.1f} s"
        )
        with store.engine.connect() as conn:
            streamed = conn.execute(sa.select(sa.func.min(STREAMS.c.activity_id))).scalar_one()
        pages = {
            "feed page 1 (strip, 50 cards)": "/",
            "feed page 150": "/?page=150",
            "feed ?flag=downhill": "/?flag=downhill",
            "feed ?sport=run&week=2025-W10": "/?sport=run&week=2025-W10",
            f"feed ?athlete={athlete}&flag=speed_work&page=20": f"/?athlete={athlete}&flag=speed_work&page=20",
            "api /api/activities?per_page=100": "/api/activities?per_page=100",
            "atom /feed.atom": "/feed.atom",
            "activity page with charts": f"/activities/{streamed}",
        }
        with serve_in_thread(create_app(store, Settings(state_dir=Path(tmp), config_path=None))) as base:
            for label, path in pages.items():
                samples = timed(base + path, args.requests)
                p95 = statistics.quantiles(samples, n=20)[18]
                print(f"{label:48s} p50 {statistics.median(samples):6.1f} ms  p95 {p95:6.1f} ms  (n={len(samples)})")
        store.close()


if __name__ == "__main__":
    main()
