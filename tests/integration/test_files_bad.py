"""Bad input: every problem is one FileImportError line naming the file, the problem and the fix."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import fitfast
import pytest

from syncd.adapters.files import FileImportError, iter_paths, load_activities, parse_bytes
from tests.fixtures.make_broken import variants

FIXTURES = Path(__file__).parent.parent / "fixtures"
BROKEN = FIXTURES / "broken"
REAL = FIXTURES / "real"


def _error(path: Path) -> FileImportError:
    with pytest.raises(FileImportError) as info:
        load_activities(path)
    return info.value


def _assert_one_line(error: FileImportError, path: Path, problem: str) -> None:
    text = str(error)
    assert "\n" not in text
    assert text.startswith(f"{path}: ")
    assert problem in error.problem
    assert error.fix and text.endswith(f"; {error.fix}")
    assert error.path == path


def test_committed_broken_fixtures_are_up_to_date() -> None:
    for name, data in variants().items():
        assert (BROKEN / name).read_bytes() == data, f"run tests/fixtures/make_broken.py ({name} differs)"


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("empty.fit", "empty file"),
        ("truncated.fit", "truncated FIT file"),
        ("garbage.fit", "not a readable FIT file"),
        ("corrupt.fit.gz", "corrupt gzip data"),
        ("truncated.fit.gz", "truncated gzip data"),
        ("no_trackpoints.gpx", "no samples"),
        ("untimed_route.gpx", "none has a time"),
        ("entity.gpx", "declares a DTD"),
        ("cut.tcx", "not a readable TCX file"),
        ("notes.xyz", "not a FIT, GPX or TCX file"),
        ("truncated.zip", "a zip archive, not a single activity file"),
    ],
)
def test_broken_files_raise_one_clear_line(name: str, problem: str) -> None:
    path = BROKEN / name
    _assert_one_line(_error(path), path, problem)


def test_flipped_crc_is_refused_by_fitfast_but_decodes_through_fitdecode() -> None:
    data = (BROKEN / "crc_flipped.fit").read_bytes()
    with pytest.raises(fitfast.FitDecodeError):
        fitfast.records(data)
    (parsed,) = parse_bytes(data, "crc_flipped.fit")
    (original,) = load_activities(REAL / "compressed-speed-distance.fit")
    assert parsed.raw["decoder"] == "fitdecode"
    assert original.raw["decoder"] == "fitfast"
    assert parsed.activity.distance_m == original.activity.distance_m
    assert len(parsed.activity.streams or ()) == len(original.activity.streams or ()) == 755


def test_missing_and_unreadable_paths(tmp_path: Path) -> None:
    missing = tmp_path / "nope.fit"
    _assert_one_line(_error(missing), missing, "no such file")
    under_a_file = REAL / "run.fit" / "inner.fit"
    _assert_one_line(_error(under_a_file), under_a_file, "cannot read file")
    _assert_one_line(_error(tmp_path), tmp_path, "is a directory")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_permission_denied(tmp_path: Path) -> None:
    locked = tmp_path / "locked.fit"
    shutil.copy(REAL / "run.fit", locked)
    locked.chmod(0)
    _assert_one_line(_error(locked), locked, "permission denied")


def test_permission_denied_message(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The same check where the tests run as root: the OS error is what the adapter sees."""
    locked = tmp_path / "locked.fit"
    locked.write_bytes(b"x")

    def refuse(path: object, *_args: object, **_kwargs: object) -> int:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr("syncd.adapters.files.parse.os.open", refuse)
    _assert_one_line(_error(locked), locked, "permission denied")


def test_iter_paths_turns_bad_paths_into_items_that_fail_on_read(tmp_path: Path) -> None:
    good = tmp_path / "good.fit"
    shutil.copy(REAL / "compressed-speed-distance.fit", good)
    corrupt_zip = tmp_path / "export.zip"
    shutil.copy(BROKEN / "truncated.zip", corrupt_zip)
    missing = tmp_path / "missing.gpx"
    items = list(iter_paths([missing, corrupt_zip, good]))
    assert [item.name for item in items] == [str(missing), str(corrupt_zip), str(good)]
    for item, problem in zip(items[:2], ["no such file", "corrupt or unreadable zip archive"], strict=True):
        with pytest.raises(FileImportError) as info:
            item.read()
        assert problem in str(info.value) and "\n" not in str(info.value)
    assert len(items[2].parse()) == 1
    assert items[2].size == good.stat().st_size


def test_folder_walk_is_sorted_recursive_and_skips_other_files(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / ".hidden").mkdir()
    shutil.copy(REAL / "run.fit", tmp_path / "b" / "z.fit")
    shutil.copy(REAL / "c2eb1b_6.tcx", tmp_path / "a.tcx")
    shutil.copy(REAL / "run.fit", tmp_path / ".hidden" / "x.fit")
    (tmp_path / "README.txt").write_text("not an activity")
    (tmp_path / "c.gpx.gz").write_bytes(b"")
    names = [Path(item.name).relative_to(tmp_path).as_posix() for item in iter_paths([tmp_path])]
    assert names == ["a.tcx", "b/z.fit", "c.gpx.gz"]
