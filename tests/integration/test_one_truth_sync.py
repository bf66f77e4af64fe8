"""A late upload reaches the later runs' notes in the same sync pass (issue 27): the notes after the pass equal a
recompute from scratch, without the daemon's daily re-scan. The real stravalib client on the simulated Strava, the
real store on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from syncd.adapters.db import Store
from syncd.entrypoints.wiring import batch_repositories, import_repositories
from syncd.services.annotating import AnnotationPolicy, reannotate
from syncd.services.importing import import_paths
from syncd.testing import strava_harness as harness
from syncd.testing.seed import detail_payload, streams_payload, synthetic_run
from syncd.testing.strava_server import StravaSimulator
from tests.integration.conftest import FakeClock


@pytest.fixture
def sim(clock: FakeClock) -> Iterator[StravaSimulator]:
    with StravaSimulator(clock=clock.now) as server:
        yield server


def _add_run(sim: StravaSimulator, athlete: int, clock: FakeClock, hours_ago: float, minutes: float) -> int:
    start = clock.now() - timedelta(hours=hours_ago)
    run = synthetic_run(start, minutes=minutes, pace_s_per_km=330, seed=int(hours_ago))
    assert run.streams is not None
    return sim.add_activity(athlete, detail_payload(run, start=start), streams_payload(run.streams))


def _current(store: Store, athlete_id: int) -> dict[int, tuple[object, ...]]:
    out = {}
    for stored in store.iter_activities(athlete_id=athlete_id):
        latest = store.latest_annotation(stored.id)
        assert latest is not None, stored.id  # older than the window too: annotated locally at the sync
        out[stored.id] = (latest.note, latest.platform_note, [(f.code, f.severity) for f in latest.flags])
    return out


def test_a_late_upload_of_an_earlier_run_redoes_the_later_notes_in_the_same_pass(
    store: Store, sim: StravaSimulator, clock: FakeClock
) -> None:
    athlete = sim.add_athlete(firstname="Lu", lastname="Runner").id
    for days in (34, 30, 26, 22, 19, 15, 12, 8, 5, 3):
        _add_run(sim, athlete, clock, days * 24 + 2, 30)
    _add_run(sim, athlete, clock, 1 * 24 + 2, 45)  # half again the longest of the month: a long-run spike
    linked = harness.link(store, sim, athlete, clock=clock)
    service = harness.service(store, sim, clock=clock)
    service.run_once("w1")
    before = _current(store, linked.athlete_id)

    # a long run from four days ago arrives only now (the watch synced late); the next poll stores it
    clock.advance(harness.seconds_until_due(store, clock.now()))
    _add_run(sim, athlete, clock, 4 * 24, 150)
    service.run_once("w1")
    after = _current(store, linked.athlete_id)
    assert store.annotation_batches.marked_stale_ids(linked.athlete_id) == []
    changed = [i for i in before if before[i] != after[i]]
    # the 45-minute run is no longer a spike once the 150-minute run before it is known
    assert changed, "the late long run must change a later run's note for this test to mean anything"

    # a recompute from scratch gives the same notes: nothing was left for the re-scan
    store.mark_annotations_stale(linked.athlete_id)
    reannotate(batch_repositories(store), AnnotationPolicy(), now=clock.now())
    assert _current(store, linked.athlete_id) == after


CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "real" / "corpus"


def test_an_earlier_run_imported_late_redoes_the_later_notes_in_the_same_import(store: Store) -> None:
    athlete = store.ensure_athlete("local", name="Late Importer")
    first, middle, last = (
        CORPUS / f"rp_2020-12-0{d}-300_Running.tcx.gz" for d in ("2T06_08_29", "4T19_09_21", "6T06_36_21")
    )
    assert not import_paths(import_repositories(store), athlete, [first, last], AnnotationPolicy(), workers=1).failed
    [later] = [s.id for s in store.iter_activities() if s.activity.start_utc.day == 6]
    written = store.latest_annotation(later)
    report = import_paths(import_repositories(store), athlete, [middle], AnnotationPolicy(), workers=1)
    assert report.created == 1 and report.redone == 1
    redone = store.latest_annotation(later)
    assert written is not None and redone is not None and redone.id > written.id
    assert store.annotation_batches.marked_stale_ids(athlete) == []
    expected = _current(store, athlete)
    store.mark_annotations_stale(athlete)
    reannotate(batch_repositories(store), AnnotationPolicy())
    assert _current(store, athlete) == expected
