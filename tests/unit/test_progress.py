from __future__ import annotations

from pathlib import Path

import pytest

from syncd.adapters.files import iter_paths
from syncd.entrypoints.progress import ImportProgress

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real"


def test_progress_bar_counts_the_bytes_of_every_file(capsys: pytest.CaptureFixture[str]) -> None:
    paths = [REAL / "run.fit", REAL / "c2eb1b_6.tcx"]
    with ImportProgress(paths, enabled=True) as progress:
        for item in iter_paths(paths):
            progress.advance(item)
    err = capsys.readouterr().err
    assert "import" in err
    assert "100%" in err  # the total is the size of the given paths, and every byte was counted
    assert "c2eb1b_6.tcx" in err  # the file being imported is shown


def test_no_bar_when_not_on_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    with ImportProgress([REAL / "run.fit"], enabled=False) as progress:
        for item in iter_paths([REAL / "run.fit"]):
            progress.advance(item)
    assert capsys.readouterr().err == ""
