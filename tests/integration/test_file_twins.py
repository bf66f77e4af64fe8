"""Twins among files (issue 27): the same run recorded as a watch file and as its GPX/TCX export (the corpus holds
three such pairs) imported together is one logical activity, counted once in every later run's history; a file
matching two different runs is kept apart and says why. Real recordings, the real parsers, the real store on SQLite
and PostgreSQL."""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from syncd.adapters.db import Store
from syncd.domain.model import Activity
from syncd.entrypoints.wiring import import_repositories, platform_repositories
from syncd.services.annotating import AnnotationPolicy
from syncd.services.identity import Ambiguous, link_file_twin
from syncd.services.importing import import_paths
from tests.history import history as history_in
from tests.integration.conftest import FakeClock

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "real" / "corpus"
PAIRS = [
    ("rp_run.gpx.gz", "rp_run.tcx.gz"),
    ("rp_strava_export.gpx.gz", "rp_stopped_example.tcx.gz"),
    ("nike_531a7cd6-3ae1-4a03-99dc-f6fcb8d97eb0.gpx.gz", "rp_2020-12-26T06_03_49-300_Running.tcx.gz"),
]


def test_a_folder_with_the_same_runs_as_gpx_and_tcx_imports_each_run_once(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "watch"
    folder.mkdir()
    for pair in PAIRS:
        for name in pair:
            shutil.copy(CORPUS / name, folder / name)
    athlete = store.ensure_athlete("local", name="Twin Runner")
    report = import_paths(import_repositories(store), athlete, [folder], AnnotationPolicy(), workers=1)
    assert report.created == 6 and not report.failed and not report.ambiguous
    assert len(report.twins) == 3
    stored = list(store.iter_activities(athlete_id=athlete))
    groups = {s.logical_group for s in stored}
    assert None not in groups and len(groups) == 3  # three runs, each one logical activity
    # counted once: the history a later run sees holds each run once
    last = max(s.activity.start_utc for s in stored)
    history = history_in(store, athlete, last - timedelta(days=4000), last + timedelta(seconds=1))
    assert len(history) == 3
    # each copy keeps its own recording and its own note
    assert all(store.latest_annotation(s.id) is not None for s in stored)
    # a second import of the same folder changes nothing
    again = import_paths(import_repositories(store), athlete, [folder], AnnotationPolicy(), workers=1)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 6)


def test_a_file_matching_two_different_runs_is_kept_apart_and_says_why(store: Store) -> None:
    athlete = store.ensure_athlete("local", name="Twin Runner")
    report = import_paths(
        import_repositories(store), athlete, [CORPUS / "rp_run.tcx.gz"], AnnotationPolicy(), workers=1
    )
    [first] = list(store.iter_activities(athlete_id=athlete))
    # two other recordings starting with it, 2.5 % shorter and 2.5 % longer: each matches it, not each other
    base = first.activity
    twins: list[Activity] = [
        replace(base, external_id="other-a", distance_m=(base.distance_m or 0) * 0.975, streams=None),
        replace(base, external_id="other-b", distance_m=(base.distance_m or 0) * 1.025, streams=None),
    ]
    ids = [store.upsert_activity(athlete, twin, {"file": twin.external_id}).activity_id for twin in twins]
    with store.unit_of_work() as uow:
        found = link_file_twin(uow, first.id)
        uow.commit()
    assert isinstance(found, Ambiguous) and found.candidates == tuple(sorted(ids))
    assert "kept apart, each counted" in found.reason
    assert {s.logical_group for s in store.iter_activities(athlete_id=athlete)} == {None}
    assert report.created == 1


def test_a_watched_folder_with_a_run_as_gpx_and_tcx_holds_it_once(
    store: Store, tmp_path: Path, clock: FakeClock
) -> None:
    from syncd.adapters.folder.source import WatchedFolder
    from syncd.services.folder_sync import FolderService

    folder = tmp_path / "watch"
    folder.mkdir()
    for name in PAIRS[0]:
        shutil.copy(CORPUS / name, folder / name)
    athlete = store.ensure_athlete("local", name="Folder Runner")
    service = FolderService(
        platform_repositories(store),
        WatchedFolder(folder),
        athlete_id=athlete,
        policy=AnnotationPolicy(),
        clock=clock,
        annotation_window=timedelta(days=365 * 30),  # the recordings are years old
    )
    [outcome] = service.run_once("w1").accounts
    assert outcome.error is None and outcome.report is not None and outcome.report.linked == 1
    stored = list(store.iter_activities(athlete_id=athlete))
    assert len(stored) == 2 and len({s.logical_group for s in stored} - {None}) == 1


def test_a_strava_run_arriving_after_its_file_was_imported_joins_it_and_counts_once(
    store: Store, clock: FakeClock
) -> None:
    """The other order of `syncd import` then Strava: the platform's copy, synced later, is linked to the file
    (the real stravalib client on the simulator)."""
    from syncd.adapters.files import load_activities
    from syncd.testing import strava_harness as harness
    from syncd.testing.seed import seed_recordings
    from syncd.testing.strava_server import StravaSimulator

    path = CORPUS / PAIRS[0][1]
    [parsed] = load_activities(path)
    start = parsed.activity.start_utc
    clock.current = start + timedelta(days=1)
    with StravaSimulator(clock=clock.now) as sim:
        strava_athlete = sim.add_athlete(firstname="Ida", lastname="Runner").id
        linked = harness.link(store, sim, strava_athlete, clock=clock)
        assert not import_paths(
            import_repositories(store), linked.athlete_id, [path], AnnotationPolicy(), workers=1
        ).failed
        [file_run] = [s.id for s in store.iter_activities(athlete_id=linked.athlete_id)]
        [ext_id] = seed_recordings(sim, strava_athlete, [path], end=start)

        report = harness.service(store, sim, clock=clock, write_back="off").run_once("w1")

    assert report.accounts[0].report is not None and report.accounts[0].report.linked == 1
    strava_run = store.find_activity_id("strava", str(ext_id))
    assert strava_run is not None
    group = store.get_activity(file_run, with_streams=False).logical_group
    assert group is not None and store.get_activity(strava_run, with_streams=False).logical_group == group
    day = (start - timedelta(hours=1), start + timedelta(hours=3))
    assert len(history_in(store, linked.athlete_id, *day)) == 1  # one run, counted once
