"""The shared Strava rate budget in the database: workers (separate engines) never overspend together."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from syncd.adapters.db import Store
from syncd.adapters.db.rate_budget import DbRateBudget
from syncd.domain.rate_budget import RateSnapshot

T = datetime(2026, 11, 23, 10, 7, tzinfo=UTC)


def test_concurrent_workers_spend_exactly_the_budget(store_factory: Callable[[], Store]) -> None:
    stores = [store_factory() for _ in range(4)]
    budgets = [DbRateBudget(s.engine, "strava:1") for s in stores]
    budgets[0].observe(RateSnapshot(200, 0, 2000, 0, 30, 0, 1000, 0), T)
    granted: list[bool] = []
    lock = threading.Lock()

    def worker(budget: DbRateBudget) -> None:
        for _ in range(15):
            ok = budget.try_spend("read", T, write_reserve=5).allowed
            with lock:
                granted.append(ok)

    threads = [threading.Thread(target=worker, args=(b,)) for b in budgets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(granted) == 25  # 30 reads - 5 kept for write-backs, across 60 attempts by 4 workers
    state = budgets[1].state(T)
    assert state.read_short_usage == 25
    assert budgets[2].try_spend("write", T, write_reserve=5).allowed
    assert budgets[3].try_spend("read", T + timedelta(minutes=8)).allowed  # a new window


def test_observed_headers_and_429_are_shared(store_factory: Callable[[], Store]) -> None:
    one, two = (DbRateBudget(store_factory().engine, "strava:9") for _ in range(2))
    one.observe(RateSnapshot(read_short_limit=100, read_short_usage=60, read_daily_limit=500, read_daily_usage=500), T)
    assert two.state(T).read_daily_limit == 500
    decision = two.try_spend("read", T)
    assert not decision.allowed and decision.resume_at == datetime(2026, 11, 24, tzinfo=UTC)
    two.mark_exhausted(T)
    assert not one.try_spend("write", T).allowed  # after a 429 nobody sends until the window resets
    assert one.try_spend("write", T + timedelta(minutes=8)).allowed
