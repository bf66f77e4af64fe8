"""Feed pages where a person waits (issue 32), this tree side by side with a baseline commit, on the same data.

Run: `.venv/bin/python -m bench.wait_bench --baseline aae9fc2 [--activities 100000] [--requests 40]`

Builds one SQLite store of N activities (bench.feed_bench.build), copies it for the baseline (without the indexes
the baseline's migrations do not know), and starts two servers as child processes: the baseline's code (extracted
with `git archive REV syncd`) and this tree's. Requests alternate between the two, so both see the same load:
- a small JSON answer, pages `/`, `?flag=`, Atom and a deep page (`?page=2000` at 100k), each over one kept-alive
  connection (how browsers and feed readers fetch) and over a new connection per request;
- the first request after a change: an activity is stored (through this tree's Store, in the bench process), then
  page 1 is fetched once; repeated;
- a deep page at concurrency 8 (8 threads, each with its own kept-alive connection): requests per second.
"""

from __future__ import annotations

import argparse
import http.client
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path

from bench.feed_bench import build
from syncd.adapters.db import Store
from syncd.domain.model import Activity, Source, Sport

ROOT = Path(__file__).resolve().parents[1]
SERVER = """
import sys
from pathlib import Path
from syncd.adapters.db import Store
from syncd.config import Settings
from syncd.entrypoints.web.app import create_app
from syncd.entrypoints.web.serve import serve_in_thread
store = Store.open(sys.argv[1], migrate=False)
with serve_in_thread(create_app(store, Settings(state_dir=Path(sys.argv[2]), config_path=None))) as base:
    print(base, flush=True)
    sys.stdin.read()
"""


class Server:
    def __init__(self, name: str, tree: Path, database: Path, state: Path) -> None:
        self.name = name
        self.database = database
        self.process = subprocess.Popen(
            [sys.executable, "-c", SERVER, f"sqlite:///{database}", str(state)],
            cwd=tree,
            env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        base = self.process.stdout.readline().strip()
        if not base.startswith("http://"):
            raise SystemExit(f"{name} server did not start")
        host, port = base.removeprefix("http://").rsplit(":", 1)
        self.host, self.port = host, int(port)
        self.kept = http.client.HTTPConnection(self.host, self.port, timeout=120)

    def get(self, path: str, *, keep_alive: bool) -> float:
        conn = self.kept if keep_alive else http.client.HTTPConnection(self.host, self.port, timeout=120)
        began = time.perf_counter()
        conn.request("GET", path)
        reply = conn.getresponse()
        reply.read()
        elapsed = (time.perf_counter() - began) * 1000.0
        if not keep_alive:
            conn.close()
        if reply.status != 200:
            raise SystemExit(f"{self.name} {path}: HTTP {reply.status}")
        return elapsed

    def reconnect(self) -> None:
        """A fresh kept-alive connection (the server closes idle ones after a few seconds), warmed by one request."""
        self.kept.close()
        self.kept = http.client.HTTPConnection(self.host, self.port, timeout=120)
        self.get("/api/activities?per_page=1", keep_alive=True)

    def stop(self) -> None:
        self.kept.close()
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=30)


def baseline_tree(revision: str, into: Path) -> Path:
    archive = subprocess.run(["git", "archive", revision, "syncd"], cwd=ROOT, check=True, capture_output=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def summary(samples: list[float]) -> str:
    p95 = statistics.quantiles(samples, n=20)[18] if len(samples) >= 2 else samples[0]
    return f"p50 {statistics.median(samples):7.1f}  p95 {p95:7.1f}"


def side_by_side(servers: list[Server], label: str, measure: Callable[[Server], float], runs: int) -> None:
    samples: dict[str, list[float]] = {server.name: [] for server in servers}
    for server in servers:
        server.reconnect()
    for _ in range(runs):
        for server in servers:
            samples[server.name].append(measure(server))
    cells = "   ".join(f"{name}: {summary(values)} ms" for name, values in samples.items())
    ratio = statistics.median(samples[servers[0].name]) / max(statistics.median(samples[servers[1].name]), 1e-6)
    print(f"{label:44s} {cells}   ({ratio:.1f}x)", flush=True)


def change_one(database: Path, n: int) -> None:
    """Store one new activity (a sync or an import landing) through this tree's Store."""
    store = Store.open(f"sqlite:///{database}", migrate=False)
    try:
        activity = Activity(
            source=Source.FILE,
            external_id=f"bench-change-{n}",
            sport=Sport.RUN,
            sport_original="run",
            start_utc=datetime(2026, 11, 23, 7, tzinfo=UTC) + timedelta(minutes=n),
            name=f"new run {n}",
            distance_m=8000.0,
        )
        store.upsert_activity(1, activity, {})
    finally:
        store.close()


def throughput(server: Server, path: str, threads: int, each: int) -> float:
    def worker() -> None:
        conn = http.client.HTTPConnection(server.host, server.port, timeout=120)
        for _ in range(each):
            conn.request("GET", path)
            conn.getresponse().read()
        conn.close()

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    began = time.perf_counter()
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return threads * each / (time.perf_counter() - began)


def prepare(tmp: Path, activities: int, revision: str) -> tuple[Path, Path, Path]:
    ours = tmp / "ours.db"
    store = Store.open(f"sqlite:///{ours}")
    began = time.perf_counter()
    build(store, activities)
    store.close()
    with sqlite3.connect(ours) as conn:  # a store whose rows were written over the years, not all a minute ago
        conn.execute("UPDATE activities SET updated_at = start_utc, created_at = start_utc")
    theirs = tmp / "baseline.db"
    shutil.copy(ours, theirs)
    tree = baseline_tree(revision, tmp / "baseline")
    with sqlite3.connect(theirs) as conn:
        for index in newer_indexes(conn, tree):
            conn.execute(f"DROP INDEX {index}")
    print(f"{activities:,} activities built in {time.perf_counter() - began:.0f} s; baseline {revision}", flush=True)
    return ours, theirs, tree


def newer_indexes(conn: sqlite3.Connection, tree: Path) -> list[str]:
    """The indexes of this tree's schema that the baseline's migrations never create: its copy of the database goes
    without them, as its own upgrade would leave it (one it does create stays: dropping it made the baseline slow)."""
    migrations = " ".join(p.read_text() for p in (tree / "syncd/adapters/db/migrations/versions").glob("*.py"))
    names = conn.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL").fetchall()
    return [name for (name,) in names if name not in migrations]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", required=True, help="git revision to compare with (e.g. aae9fc2)")
    parser.add_argument("--activities", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--changes", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        ours, theirs, tree = prepare(tmp, args.activities, args.baseline)
        servers = [
            Server("baseline", tree, theirs, tmp / "s1"),
            Server("this tree", ROOT, ours, tmp / "s2"),
        ]
        try:
            run(servers, args)
        finally:
            for server in servers:
                server.stop()


def fetcher(path: str, *, keep_alive: bool) -> Callable[[Server], float]:
    def fetch(server: Server) -> float:
        return server.get(path, keep_alive=keep_alive)

    return fetch


def run(servers: list[Server], args: argparse.Namespace) -> None:
    deep = max(1, args.activities // 50)
    pages = ["/api/activities?per_page=1", "/", "/?flag=downhill", "/feed.atom", f"/?page={deep}"]
    for server in servers:  # warm: templates, statement caches, the feed index
        for path in pages:
            server.get(path, keep_alive=True)
    print("milliseconds per request (each column: the same requests, alternating between the two servers)")
    for path in pages:
        for keep_alive in (True, False):
            how = "kept-alive" if keep_alive else "new conn"
            side_by_side(servers, f"{path} ({how})", fetcher(path, keep_alive=keep_alive), args.requests)
    counter = iter(range(1_000_000))

    def after_change(server: Server) -> float:
        change_one(server.database, next(counter))
        return server.get("/", keep_alive=True)

    side_by_side(servers, "first / after a new activity (kept-alive)", after_change, args.changes)
    for server in servers:
        rate = throughput(server, f"/?page={deep}", threads=8, each=max(3, args.requests // 4))
        print(f"/?page={deep} at concurrency 8, {server.name}: {rate:.1f} req/s", flush=True)


if __name__ == "__main__":
    main()
