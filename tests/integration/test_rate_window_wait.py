"""Deferred write-backs wait for the Strava rate window that refused them to reset (issue 17 item 9), not a fixed
15 minutes: the real stravalib client, the simulated Strava, the database budget and the outbox."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from syncd.adapters.db import Store
from syncd.adapters.db.models import OUTBOX
from syncd.domain.description import START_MARKER
from syncd.domain.rate_budget import RateSnapshot
from syncd.testing import strava_harness as harness
from syncd.testing.seed import seed_synthetic
from syncd.testing.strava_server import StravaSimulator
from tests.integration.conftest import FakeClock


def _retry_times(store: Store) -> set[datetime]:
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(OUTBOX.c.next_attempt_at).where(OUTBOX.c.status == "pending")).scalars()
        return {r if r.tzinfo else r.replace(tzinfo=UTC) for r in rows}


def _queued_world(store: Store, sim: StravaSimulator, clock: FakeClock) -> tuple[int, list[int]]:
    athlete = sim.add_athlete()
    ids = seed_synthetic(sim, athlete.id, count=3, end=clock.now() - timedelta(hours=2), run_share=1.0, seed=3)
    harness.link(store, sim, athlete.id, clock=clock)
    return athlete.id, ids


def test_a_write_back_refused_by_the_15_minute_window_waits_for_its_reset(store: Store, clock: FakeClock) -> None:
    clock.advance(7 * 60)  # 06:07: the window resets at 06:15, 8 minutes from now (not 15)
    with StravaSimulator(clock=clock.now) as sim:
        _athlete, ids = _queued_world(store, sim, clock)
        service = harness.service(store, sim, clock=clock)
        service.sync_due("w1")
        store.rate_budget(f"strava:{sim.client_id}").mark_exhausted(clock.now())  # Strava said 429: window used up
        sim.reset_log()

        first = service.drain("w1")

        reset = datetime(2026, 11, 23, 6, 15, tzinfo=UTC)
        assert first.written == 0 and "strava" in first.stopped
        assert _retry_times(store) == {reset}  # every deferred note, at the window's reset
        assert sim.count("PUT") == 0
        clock.current = reset - timedelta(seconds=1)
        assert service.drain("w1").written == 0 and sim.count() == 0  # not due yet: nothing is asked of Strava
        clock.current = reset
        assert service.drain("w1").written == len(ids)
        assert all(START_MARKER in (sim.description(i) or "") for i in ids)


def test_a_write_back_refused_by_the_daily_limit_waits_until_midnight_utc(store: Store, clock: FakeClock) -> None:
    with StravaSimulator(clock=clock.now) as sim:
        _athlete, ids = _queued_world(store, sim, clock)
        service = harness.service(store, sim, clock=clock)
        service.sync_due("w1")
        budget = store.rate_budget(f"strava:{sim.client_id}")
        budget.observe(RateSnapshot(200, 10, 2000, 2000, 100, 10, 1000, 100), clock.now())  # the day's 2,000 used
        sim.reset_log()

        first = service.drain("w1")

        midnight = datetime(2026, 11, 24, tzinfo=UTC)
        assert first.written == 0 and _retry_times(store) == {midnight}
        clock.advance(16 * 60)  # a new 15-minute window does not help: the daily limit is what refused them
        assert service.drain("w1").written == 0 and sim.count("PUT") == 0
        clock.current = midnight
        assert service.drain("w1").written == len(ids)
