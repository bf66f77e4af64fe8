"""What a run still needs is decided from what is stored (issue 17, items 2 and 3), through the real stravalib
client and the simulated Strava: a pass killed before a run's unit of work commits is finished by the next
one-shot pass, and a malformed 200 on a detail defers that run with backoff and reports it as failed instead of
skipping it for good."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from syncd.adapters.db import Store
from syncd.domain.description import START_MARKER
from syncd.services import sync_pipeline
from syncd.testing import strava_harness as harness
from syncd.testing.seed import seed_synthetic
from syncd.testing.strava_server import StravaSimulator
from tests.integration.conftest import FakeClock


class _Killed(BaseException):
    """The process dies (kill -9) at this point: nothing after it runs."""


@pytest.fixture
def sim(clock: FakeClock) -> Iterator[StravaSimulator]:
    with StravaSimulator(clock=clock.now) as server:
        yield server


def _runs(sim: StravaSimulator, clock: FakeClock, count: int = 3) -> int:
    athlete = sim.add_athlete()
    seed_synthetic(sim, athlete.id, count=count, end=clock.now() - timedelta(hours=2), run_share=1.0, seed=3)
    return athlete.id


def _due_now(store: Store, clock: FakeClock) -> None:
    """Make every account due at once (as the poll interval would, later)."""
    for account in store.claim_accounts("test", now=clock.now() + timedelta(days=2), lease_s=60, limit=10):
        store.release_account(account.id, "test", next_due_at=clock.now())


def _annotated(store: Store) -> dict[str, bool]:
    return {
        s.activity.external_id: store.latest_annotation(s.id) is not None
        for s in store.iter_activities()
        if s.activity.sport.is_run
    }


def test_a_pass_killed_inside_a_runs_unit_of_work_leaves_nothing_of_it_and_the_next_pass_does_it(
    store: Store, sim: StravaSimulator, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    athlete = _runs(sim, clock)
    harness.link(store, sim, athlete, clock=clock)
    service = harness.service(store, sim, clock=clock)
    real = sync_pipeline.annotate_in

    def killed(*args: Any, **kwargs: Any) -> None:
        real(*args, **kwargs)  # the detail is stored, the note saved and queued: then the process dies
        raise _Killed

    with monkeypatch.context() as patch:
        patch.setattr(sync_pipeline, "annotate_in", killed)
        with pytest.raises(_Killed):
            service.run_once("w1")
    assert len(_annotated(store)) == 3 and not any(_annotated(store).values())  # the summaries only
    assert store.outbox_log.pending_items() == []
    assert not any(s.needs_annotation for s in store.iter_activities())

    clock.advance(3600)  # the dead worker's lease has expired; a one-shot `syncd sync` comes along
    report = service.run_once("w2")

    sync = report.accounts[0].report
    assert sync is not None and sync.detailed == 3  # nothing of the killed run's detail was kept: fetched again
    assert all(_annotated(store).values())
    assert all(START_MARKER in (text or "") for _i, text in sim_descriptions(sim))


def sim_descriptions(sim: StravaSimulator) -> list[tuple[int, str | None]]:
    return [(i, sim.description(i)) for a in sim.athletes.values() for i in a.activities]


def test_a_non_json_200_on_a_detail_is_deferred_with_backoff_and_reported(
    store: Store, sim: StravaSimulator, clock: FakeClock
) -> None:
    athlete = _runs(sim, clock)
    harness.link(store, sim, athlete, clock=clock)
    service = harness.service(store, sim, clock=clock)
    sim.inject("GET", r"/activities/\d+$", "not_json")  # the first detail asked for: the newest run

    first = service.run_once("w1").accounts[0].report

    assert first is not None and len(first.failed) == 1 and first.skipped == []
    [(bad_id, why)] = first.failed
    assert "JSON" in why and "will try again after" in why and "\n" not in why
    assert first.pending == 1 and first.detailed == 2
    stored_id = store.find_activity_id("strava", bad_id)
    assert stored_id is not None and store.latest_annotation(stored_id) is None
    bad_start = store.get_activity(stored_id).activity.start_utc
    [account] = store.list_accounts()
    assert account.sync_cursor is not None
    assert datetime.fromtimestamp(int(account.sync_cursor), UTC) < bad_start  # the cursor stays before it

    clock.advance(5 * 60)  # inside the backoff: not asked again, still waiting, still not annotated
    _due_now(store, clock)
    waiting = service.run_once("w1").accounts[0].report
    assert waiting is not None and waiting.pending == 1 and waiting.detailed == 0
    assert sim.count("GET", rf"/activities/{bad_id}$") == 1

    clock.advance(2 * 3600)  # the backoff is over: fetched, annotated, written back
    _due_now(store, clock)
    last = service.run_once("w1").accounts[0].report
    assert last is not None and last.failed == [] and last.pending == 0 and last.detailed == 1
    assert store.latest_annotation(stored_id) is not None
    assert START_MARKER in (sim.description(int(bad_id)) or "")
    [account] = store.list_accounts()
    assert datetime.fromtimestamp(int(account.sync_cursor or 0), UTC) >= bad_start


def test_sync_command_reports_a_deferred_run_as_a_failure(
    store: Store, sim: StravaSimulator, clock: FakeClock, capsys: pytest.CaptureFixture[str]
) -> None:
    from syncd.entrypoints.commands.sync import _print

    athlete = _runs(sim, clock, count=1)
    harness.link(store, sim, athlete, clock=clock)
    sim.inject("GET", r"/activities/\d+/streams$", "not_json")

    started = clock.now()
    code = _print(store, harness.service(store, sim, clock=clock).run_once("w1"), started, dry_run=False)

    out = capsys.readouterr().out
    assert code == 1 and "failed " in out and "will try again" in out


def test_an_annotation_and_its_note_for_write_back_are_saved_together(
    store: Store, sim: StravaSimulator, clock: FakeClock
) -> None:
    athlete = _runs(sim, clock, count=1)
    harness.link(store, sim, athlete, clock=clock)
    service = harness.service(store, sim, clock=clock, write_back="off")
    service.run_once("w1")  # stored and annotated, nothing queued (write_back off)
    [stored] = list(store.iter_activities())
    assert store.claim_writebacks("w1", now=clock.now(), lease_s=60, limit=5) == []

    assert store.save_annotation(stored.id, "v-next", (), "a new note", write_back_to=["strava"])
    assert not store.save_annotation(stored.id, "v-next", (), "a new note", write_back_to=["strava"])  # unchanged

    [item] = store.claim_writebacks("w1", now=clock.now(), lease_s=60, limit=5)
    assert (item.activity_id, item.provider, item.note) == (stored.id, "strava", "a new note")
