"""Notes go only into activities inside the annotation window, on every path; older ones only by an explicit backfill.

A newly linked account with months of history on the simulated Strava (real stravalib over loopback): the first
sync lists everything, annotates the recent runs and queues their notes, and annotates the rest locally for the feed
(issue 27: history that is whole) without queueing a single write-back for them; the daemon's daily rescan then
finds nothing left to do and queues nothing either.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa

from syncd.adapters.db import Store
from syncd.adapters.db.models import OUTBOX
from syncd.entrypoints.wiring import batch_repositories
from syncd.services.annotating import AnnotationPolicy, daily_rescan, reannotate
from syncd.testing import strava_harness as harness
from syncd.testing.seed import seed_synthetic
from syncd.testing.strava_server import StravaSimulator
from tests.integration.conftest import FakeClock

WINDOW = timedelta(days=30)


@pytest.fixture
def sim(clock: FakeClock) -> Iterator[StravaSimulator]:
    with StravaSimulator(clock=clock.now) as server:
        yield server


def _outbox_activity_ids(store: Store) -> list[int]:
    with store.engine.connect() as conn:
        return [int(i) for i in conn.execute(sa.select(OUTBOX.c.activity_id)).scalars()]


def _start_of(store: Store, activity_id: int) -> object:
    return store.get_activity(activity_id, with_streams=False).activity.start_utc


def test_first_rescan_of_a_long_history_writes_no_note_outside_the_window(
    store: Store, sim: StravaSimulator, clock: FakeClock
) -> None:
    athlete = sim.add_athlete(firstname="Long", lastname="History").id
    seed_synthetic(sim, athlete, count=300, end=clock.now() - timedelta(hours=2), run_share=0.6, seed=5)
    harness.link(store, sim, athlete, clock=clock)
    service = harness.service(store, sim, clock=clock)
    first = service.run_once("w1")
    synced = first.accounts[0].report
    assert synced is not None and synced.listed == 300
    # the whole history and the window's runs are annotated, for the feed and the load figures ...
    left = [s.id for s in store.iter_activities() if store.latest_annotation(s.id) is None]
    assert all(
        not store.get_activity(i, with_streams=False).activity.sport.is_run
        and _start_of(store, i) >= clock.now() - WINDOW  # type: ignore[operator]
        for i in left
    )
    in_window = [i for i in _outbox_activity_ids(store) if _start_of(store, i) >= clock.now() - WINDOW]  # type: ignore[operator]
    assert first.writeback is not None and first.writeback.written == len(in_window) > 0
    assert len(in_window) == len(_outbox_activity_ids(store))  # ... but only the window's notes are queued
    sim.reset_log()
    clock.advance(120)

    rescan = daily_rescan(
        batch_repositories(store), AnnotationPolicy(), now=clock.now(), write_back_providers=lambda _a: ("strava",)
    )
    drained = service.drain("w1")

    assert rescan.reannotated.rerun == len(left)  # the sync left only the window's other sports to the rescan
    assert rescan.reannotated.queued_writebacks == 0
    assert sim.count("PUT") == 0 and sim.count("GET") == 0 and drained.written == 0
    window_start = clock.now() - WINDOW - timedelta(minutes=5)  # the sync's window, a moment earlier
    assert all(_start_of(store, i) >= window_start for i in _outbox_activity_ids(store))  # type: ignore[operator]


def test_a_backfill_writes_older_notes_only_when_asked(store: Store, sim: StravaSimulator, clock: FakeClock) -> None:
    athlete = sim.add_athlete(firstname="Back", lastname="Fill").id
    seed_synthetic(sim, athlete, count=80, end=clock.now() - timedelta(hours=2), run_share=1.0, seed=6)
    harness.link(store, sim, athlete, clock=clock)
    service = harness.service(store, sim, clock=clock)
    service.run_once("w1")
    providers = lambda _a: ("strava",)  # noqa: E731
    daily_rescan(batch_repositories(store), AnnotationPolicy(), now=clock.now(), write_back_providers=providers)
    already = set(_outbox_activity_ids(store))
    since = clock.now() - timedelta(days=45)

    backfill = reannotate(
        batch_repositories(store),
        AnnotationPolicy(),
        since=since,
        now=clock.now(),
        write_back_providers=providers,
        backfill=True,
    )

    new = set(_outbox_activity_ids(store)) - already
    assert backfill.rerun == 0  # nothing stale: the stored notes are queued as they are
    assert new and backfill.queued_writebacks == len(new)
    starts = [_start_of(store, i) for i in new]
    assert all(since <= s < clock.now() - WINDOW for s in starts)  # type: ignore[operator]
    again = reannotate(
        batch_repositories(store),
        AnnotationPolicy(),
        since=since,
        now=clock.now(),
        write_back_providers=providers,
        backfill=True,
    )
    assert again.queued_writebacks == 0  # queued once, never twice
    with pytest.raises(ValueError, match="--since"):
        reannotate(batch_repositories(store), AnnotationPolicy(), now=clock.now(), backfill=True)
