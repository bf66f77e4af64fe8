"""The watched folder (`[folder] path`) through the one pipeline, on the real store: new and changed FIT/GPX/TCX
files are stored and annotated, unchanged ones cost nothing, bad ones are reported, notes stay in syncd."""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from syncd.adapters.db import Store
from syncd.adapters.files import load_activities
from syncd.adapters.folder.source import WatchedFolder
from syncd.config import FolderSettings, Settings
from syncd.domain.model import Activity
from syncd.entrypoints.wiring import LOCAL_ATHLETE, import_repositories, platform_repositories, platform_services
from syncd.records import UpsertResult
from syncd.services.annotating import AnnotationPolicy
from syncd.services.folder_sync import FolderService, folder_id
from syncd.services.importing import import_paths
from tests.integration.conftest import FakeClock
from tests.rule_faults import crash_rules_on

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real"
EVERYTHING = timedelta(days=365 * 30)  # the fixtures are years old: annotate them all


def _service(store: Store, folder: Path, clock: FakeClock) -> FolderService:
    athlete = store.ensure_athlete(LOCAL_ATHLETE)
    return FolderService(
        platform_repositories(store),
        WatchedFolder(folder),
        athlete_id=athlete,
        policy=AnnotationPolicy(),
        clock=clock,
        annotation_window=EVERYTHING,
    )


def _due(store: Store, clock: FakeClock) -> None:
    for account in store.claim_accounts("t", now=clock.now() + timedelta(days=1), lease_s=60, limit=10):
        store.release_account(account.id, "t", next_due_at=clock.now())


def test_new_files_are_stored_and_annotated_and_notes_stay_in_syncd(
    store: Store, clock: FakeClock, tmp_path: Path
) -> None:
    folder = tmp_path / "watch"
    (folder / "2024").mkdir(parents=True)
    shutil.copy(REAL / "run.fit", folder / "run.fit")
    shutil.copy(REAL / "c2eb1b_6.tcx", folder / "2024" / "morning.tcx")
    (folder / ".partial.fit").write_bytes(b"half a file")  # a sync app's temporary file: hidden, ignored
    service = _service(store, folder, clock)

    report = service.run_once("w1")

    [outcome] = report.accounts
    assert outcome.error is None and outcome.report is not None
    assert outcome.report.listed == 2 and outcome.report.annotated == 2 and outcome.report.skipped == []
    stored = list(store.iter_activities())
    notes = [store.latest_annotation(s.id) for s in stored]
    assert len(stored) == 2 and all(n is not None and n.note for n in notes)
    assert store.counts().get("writeback_outbox", 0) == 0 and report.writeback is not None
    assert report.writeback.outcomes == []

    clock.advance(120)
    _due(store, clock)
    again = service.run_once("w1").accounts[0].report
    assert again is not None and again.listed == 0 and again.annotated == 0


def test_changed_bad_and_removed_files(store: Store, clock: FakeClock, tmp_path: Path) -> None:
    folder = tmp_path / "watch"
    folder.mkdir()
    shutil.copy(REAL / "run.fit", folder / "a.fit")
    service = _service(store, folder, clock)
    service.run_once("w1")

    (folder / "broken.gpx").write_text("<gpx><trk>")
    shutil.copy(REAL / "Morning_Run_with_H10.gpx", folder / "a.fit.gpx")
    (folder / "a.fit").unlink()  # the sync app rotated it away: the run stays in syncd
    _due(store, clock)
    report = service.run_once("w1").accounts[0].report

    assert report is not None and report.listed == 2
    [(name, why)] = report.skipped
    assert name == "broken.gpx" and "broken.gpx" in why and "\n" not in why
    assert len(list(store.iter_activities())) == 2


def test_a_file_also_imported_by_hand_is_one_activity(store: Store, clock: FakeClock, tmp_path: Path) -> None:
    folder = tmp_path / "watch"
    folder.mkdir()
    shutil.copy(REAL / "run.fit", folder / "run.fit")
    athlete = store.ensure_athlete(LOCAL_ATHLETE)
    import_paths(import_repositories(store), athlete, [REAL / "run.fit"], AnnotationPolicy())

    _service(store, folder, clock).run_once("w1")

    assert len(list(store.iter_activities())) == 1


def test_the_folder_is_wired_from_its_config_key(store: Store, tmp_path: Path) -> None:
    settings = Settings(state_dir=tmp_path, config_path=None, folder=FolderSettings(path=tmp_path / "watch"))
    platforms = platform_services(settings, store)
    assert [p.name for p in platforms] == ["folder"]
    [account] = store.list_accounts()
    assert account.provider == "folder" and account.external_id == folder_id(tmp_path / "watch")
    long = Path("/srv/" + "a-very-long-folder-name/" * 5)
    assert len(folder_id(long)) <= 64 and folder_id(long) != folder_id(long / "other")


def _refuse_once(monkeypatch: pytest.MonkeyPatch, file: str) -> None:
    """The database refuses the first write of one file's activity (as PostgreSQL refused a NUL), whichever way it
    is written (the store's own repositories or a unit of work's)."""
    from syncd.errors import RowRefusedError

    real = Store.upsert_activity
    refused: list[str] = []

    def upsert(self: Store, athlete_id: int, activity: Activity, raw: Mapping[str, Any], **state: bool) -> UpsertResult:
        if raw.get("file") == file and not refused:
            refused.append(file)
            raise RowRefusedError("the database refused activity file:x (DataError); tried again at the next sync")
        return real(self, athlete_id, activity, raw, **state)

    monkeypatch.setattr(Store, "upsert_activity", upsert)


def test_a_file_whose_run_the_database_refused_is_tried_again_next_pass(
    store: Store, clock: FakeClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 31: a refused run is skipped and retried; for a folder that means its file is listed again."""
    folder = tmp_path / "watch"
    folder.mkdir()
    shutil.copy(REAL / "run.fit", folder / "run.fit")
    shutil.copy(REAL / "c2eb1b_6.tcx", folder / "morning.tcx")
    _refuse_once(monkeypatch, "run.fit")
    athlete = store.ensure_athlete(LOCAL_ATHLETE)
    service = FolderService(
        platform_repositories(store),
        WatchedFolder(folder),
        athlete_id=athlete,
        policy=AnnotationPolicy(),
        clock=clock,
        annotation_window=EVERYTHING,
    )

    first = service.run_once("w1").accounts[0].report
    assert first is not None and [name for name, _ in first.unstored] != [] and len(list(store.iter_activities())) == 1

    clock.advance(120)
    _due(store, clock)
    second = service.run_once("w1").accounts[0].report
    assert second is not None and second.unstored == []
    assert sorted(s.raw.get("file") for s in store.iter_activities()) == ["morning.tcx", "run.fit"]


def test_a_file_whose_annotation_fails_leaves_nothing_and_comes_in_whole_next_pass(
    store: Store, clock: FakeClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 27: a watched folder's new file is stored with its note in one unit of work, never from the listing
    first: a fault in its annotation leaves no activity of it (no run without a note), the folder lists it again,
    and the next pass stores it with its note. The other file of the pass is stored and annotated."""
    folder = tmp_path / "watch"
    folder.mkdir()
    shutil.copy(REAL / "run.fit", folder / "run.fit")
    shutil.copy(REAL / "c2eb1b_6.tcx", folder / "morning.tcx")
    [faulty] = [parsed.activity.external_id for parsed in load_activities(folder / "run.fit")]
    crash_rules_on(monkeypatch, lambda activity: activity.external_id == faulty)
    service = _service(store, folder, clock)

    first = service.run_once("w1").accounts[0].report
    assert first is not None and [why for _, why in first.unstored] == [
        "not stored, its annotation failed: RuleCrashError: a rule crashed"
    ]
    [kept] = list(store.iter_activities())
    assert kept.raw.get("file") == "morning.tcx" and store.latest_annotation(kept.id) is not None

    monkeypatch.undo()
    clock.advance(120)
    _due(store, clock)
    second = service.run_once("w1").accounts[0].report
    assert second is not None and second.unstored == [] and second.annotated >= 1
    stored = list(store.iter_activities())
    assert sorted(s.raw.get("file") for s in stored) == ["morning.tcx", "run.fit"]
    assert all(store.latest_annotation(s.id) is not None for s in stored)
