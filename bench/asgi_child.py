"""Source text the feed benches' child processes share (`python -c`, run in this tree or a baseline's, so it
cannot be imported there): the app called directly over ASGI (no sockets), and a new run stored as a change.

`feed_cpu_bench` and `feed_change_callgrind` put `PRELUDE` before their own loop."""

PRELUDE = """
import asyncio, functools, sys, time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from syncd.adapters.db import Store
from syncd.config import Settings
from syncd.domain.model import Activity, Source, Sport

def asgi_get(app, loop, target):
    # one GET of `target`, the app called directly; the CPU ms of the call (exits unless HTTP 200)
    path, _, query = target.partition("?")
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": query.encode(), "root_path": "",
             "headers": [(b"host", b"127.0.0.1")], "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80)}
    status = []
    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}
    async def send(message):
        if message["type"] == "http.response.start":
            status.append(message["status"])
    began = time.process_time()
    loop.run_until_complete(app(scope, receive, send))
    spent = (time.process_time() - began) * 1000.0
    if status != [200]:
        raise SystemExit(f"{target}: HTTP {status}")
    return spent

def store_new_run(database, n, prefix):
    # the change: a new 8 km run, stored through a store of its own (as another process would)
    writer = Store.open(f"sqlite:///{database}", migrate=False)
    start = datetime(2026, 11, 23, 7, tzinfo=UTC) + timedelta(minutes=n)
    run = Activity(Source.FILE, f"{prefix}-{n}", Sport.RUN, "run", start, name=f"new run {n}", distance_m=8000.0)
    writer.upsert_activity(1, run, {})
    writer.close()
"""
