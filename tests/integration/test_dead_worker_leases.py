"""A killed worker's leases are recognised and given back at once, a live worker's never (issue 17, item 9)."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from syncd.adapters.db import Store
from syncd.adapters.db.leases import is_dead_local_worker, lease_holders, take_over_dead_workers
from syncd.domain.model import Activity, Source, Sport

NOW = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_only_dead_processes_on_this_host_count_as_dead() -> None:
    host = socket.gethostname()
    with subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"]) as live:
        try:
            assert not is_dead_local_worker(f"{host}:{live.pid}")
        finally:
            live.kill()
    assert is_dead_local_worker(f"{host}:{_dead_pid()}")
    assert not is_dead_local_worker(f"elsewhere.example:{_dead_pid()}")  # another host: cannot tell
    assert not is_dead_local_worker("worker-a")  # a custom name without a pid: cannot tell
    assert not is_dead_local_worker(f"{host}:²")
    assert not is_dead_local_worker(f"{host}:99999999999999999999999")


def test_a_dead_workers_accounts_writebacks_and_digests_are_taken_over_at_once(
    store_factory: Callable[[], Store],
) -> None:
    store = store_factory()
    host = socket.gethostname()
    dead, other_host = f"{host}:{_dead_pid()}", "elsewhere.example:12345"
    athlete = store.ensure_athlete("a")
    for i in range(3):
        store.upsert_account(store.ensure_athlete(f"a{i}"), "strava", str(i), {"access_token": "t"})
    later = NOW + timedelta(hours=1)
    assert len(store.claim_accounts(dead, now=later, lease_s=900, limit=2)) == 2
    assert len(store.claim_accounts(other_host, now=later, lease_s=900, limit=1)) == 1
    activity = Activity(Source.FILE, "f", Sport.RUN, "running", NOW)
    store.enqueue_writeback(store.upsert_activity(athlete, activity, {}).activity_id, "strava", "note")
    assert len(store.claim_writebacks(dead, now=later, lease_s=900, limit=5)) == 1
    assert store.claim_digest(athlete, "2026-W47", dead, now=later, lease_s=900)
    assert lease_holders(store.engine, later) == {dead, other_host}

    taken = take_over_dead_workers(store.engine, now=later)
    assert taken == {dead: 4}
    assert lease_holders(store.engine, later) == {other_host}
    mine = store.claim_accounts("w2", now=later, lease_s=900, limit=5)
    assert len(mine) == 2  # at once, not after the 15-minute lease
    assert len(store.claim_writebacks("w2", now=later, lease_s=900, limit=5)) == 1
    # `syncd digest --send` read its clock before opening the store and taking over: seconds earlier on a busy host
    assert store.claim_digest(athlete, "2026-W47", "w2", now=later - timedelta(seconds=30), lease_s=900)
