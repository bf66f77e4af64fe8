"""A file whose parsing kills syncd is quarantined (issue 31): the watched folder is parsed in the daemon's process,
so such a file killed it after every restart and the good files beside it were never imported. Here the process
really dies (SIGKILL) while the folder source has a file in its parser, twice; the next pass skips that content
with one line, imports the rest, and `syncd status` names it."""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import shutil
import signal
import subprocess
from pathlib import Path

from syncd.adapters.db import Store
from syncd.adapters.folder.quarantine import FILE_NAME, Quarantine
from syncd.adapters.folder.source import WatchedFolder
from syncd.entrypoints.wiring import LOCAL_ATHLETE, platform_repositories
from syncd.services.annotating import AnnotationPolicy
from syncd.services.folder_sync import FolderService
from tests.integration.conftest import FakeClock
from tests.integration.test_folder_source import EVERYTHING, REAL
from tests.integration.test_hostile_corpus import SYNCD, _env


def _die_while_parsing(state_file: Path, rel: str, sha256: str) -> None:
    """In a child process: what the folder source does around a parse, then the death a killer file causes."""
    with Quarantine(state_file).parsing(rel, sha256):
        os.kill(os.getpid(), signal.SIGKILL)


def _killed_twice(state_file: Path, rel: str, sha256: str) -> None:
    for _ in range(2):
        child = multiprocessing.get_context("spawn").Process(target=_die_while_parsing, args=(state_file, rel, sha256))
        child.start()
        child.join(30)
        assert child.exitcode == -signal.SIGKILL
        Quarantine(state_file)  # the restart: finds the note, counts the death


def test_a_file_that_killed_the_parser_twice_is_skipped_and_named(
    store: Store, clock: FakeClock, tmp_path: Path
) -> None:
    folder, state = tmp_path / "watch", tmp_path / "s"
    folder.mkdir()
    shutil.copy(REAL / "run.fit", folder / "a_killer.fit")  # any content: the deaths make it a killer here
    shutil.copy(REAL / "c2eb1b_6.tcx", folder / "b_good.tcx")
    killer = hashlib.sha256((folder / "a_killer.fit").read_bytes()).hexdigest()
    _killed_twice(state / FILE_NAME, "a_killer.fit", killer)

    athlete = store.ensure_athlete(LOCAL_ATHLETE)
    service = FolderService(
        platform_repositories(store),
        WatchedFolder(folder, Quarantine(state / FILE_NAME)),
        athlete_id=athlete,
        policy=AnnotationPolicy(),
        clock=clock,
        annotation_window=EVERYTHING,
    )
    [outcome] = service.run_once("w1").accounts

    assert outcome.error is None and outcome.report is not None
    [(name, why)] = outcome.report.skipped
    assert name == "a_killer.fit" and "quarantined: syncd died 2 times while reading it" in why
    assert [s.raw.get("file") for s in store.iter_activities()] == ["b_good.tcx"]

    (tmp_path / "config.toml").write_text("")
    env = {**_env(tmp_path), "SYNCD_STATE_DIR": str(state)}
    status = subprocess.run([SYNCD, "status"], env=env, capture_output=True, text=True, timeout=60, check=False)
    assert f"quarantined: a_killer.fit (content {killer[:12]}): syncd died 2 times" in status.stdout, status.stderr


def test_one_death_is_not_enough(tmp_path: Path) -> None:
    """A single unrelated kill (a reboot) mid-parse must not quarantine a good file."""
    state_file = tmp_path / FILE_NAME
    child = multiprocessing.get_context("spawn").Process(target=_die_while_parsing, args=(state_file, "x.fit", "ab"))
    child.start()
    child.join(30)
    assert child.exitcode == -signal.SIGKILL
    assert not Quarantine(state_file).holds("ab")
