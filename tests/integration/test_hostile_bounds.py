"""Issue 31: no single file stops an import, exhausts memory or hangs it. Each case is a real `syncd import` of a
generated hostile input beside a good file, under an address-space limit and a time limit: the bad input is one
line naming the limit and the file, the good file is stored.

(The NUL-in-a-name case runs end to end with stravalib in test_strava_refused_text.py.)
"""

from __future__ import annotations

import shutil
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.hostile import GOOD_FIT, fit_of_sessions, fit_of_tiny_records, run_bounded
from tests.integration.test_hostile_corpus import SYNCD, _env

pytestmark = [pytest.mark.hostile, pytest.mark.slow]  # a real `syncd import` per case (~5 s each)
ADDRESS_SPACE = 1 << 30  # 1 GiB: the 20-million-record file once took 2.6 GB
TIME_LIMIT_S = 90.0


def _activities(tmp_path: Path) -> int:
    with sqlite3.connect(tmp_path / "s" / "syncd.sqlite3") as db:
        count: int = db.execute("SELECT count(*) FROM activities").fetchone()[0]
    return count


def _import_beside_good(tmp_path: Path, name: str, data: bytes) -> tuple[str, float]:
    """Import `data` as `name` next to a good FIT: the one stderr line about it, and the wall time."""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / name).write_bytes(data)
    shutil.copy(GOOD_FIT, folder / "zz_good.fit")
    started = time.monotonic()
    result = run_bounded(
        [SYNCD, "import", str(folder), "--quiet", "--jobs", "1"],
        _env(tmp_path),
        address_space=ADDRESS_SPACE,
        timeout=TIME_LIMIT_S,
    )
    wall = time.monotonic() - started
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, lines[:5]
    assert _activities(tmp_path) == 1  # the good file beside it
    return lines[0], wall


def _gpx_of_bare_points(count: int) -> bytes:
    point = b'<trkpt lat="46.0" lon="14.5"><time>2025-01-01T00:00:00Z</time></trkpt>'
    return b'<?xml version="1.0"?><gpx version="1.1"><trk><trkseg>' + point * count + b"</trkseg></trk></gpx>"


CASES: dict[str, tuple[Callable[[], bytes], str]] = {
    "half_a_million_and_one_points.gpx": (
        lambda: _gpx_of_bare_points(500_001),
        "GPX file holds more than 500,000 track points",
    ),
    "twenty_million_one_byte_records.fit": (
        lambda: fit_of_tiny_records(20_000_000),
        "FIT file holds more than 1,000,000 samples (record messages)",
    ),
    "ten_thousand_sessions.fit": (
        lambda: fit_of_sessions(10_000),
        "FIT file holds 10,000 sessions, more than the 25 activities one file may hold",
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_fit_over_a_limit_is_one_line_and_the_rest_imports(name: str, tmp_path: Path) -> None:
    build, expected = CASES[name]
    line, wall = _import_beside_good(tmp_path, name, build())
    assert line.startswith(f"syncd: skipped {tmp_path / 'in' / name}: {expected}"), line
    print(f"\n{name}: refused in {wall:.1f} s wall (process start included)")


def test_a_multisport_file_within_the_cap_is_every_leg() -> None:
    from syncd.adapters.files.parse import parse_bytes

    legs = parse_bytes(fit_of_sessions(25), "stage_race.fit")
    assert len(legs) == 25
    assert [len(leg.activity.streams or ()) for leg in legs] == [3] * 25  # each leg gets its own samples
    starts = [leg.activity.start_utc for leg in legs]
    assert starts == sorted(starts) and len(set(starts)) == 25


def _csv(rows: list[tuple[str, str, str]]) -> bytes:
    lines = ["Activity ID,Activity Name,Activity Type,Filename"]
    lines += [f"{i},{n},Run,activities/{f}" for i, n, f in rows]
    return ("\n".join(lines) + "\n").encode()


def _good_gpx() -> bytes:
    from tests.hostile import track

    return track([f"2025-03-0{d}T07:{m:02d}:00Z" for d in (1,) for m in range(0, 40, 2)])


def _import_zip(tmp_path: Path, build: Callable[[Path], None]) -> tuple[list[str], int]:
    folder = tmp_path / "in"
    folder.mkdir()
    build(folder / "export.zip")
    result = run_bounded(
        [SYNCD, "import", str(folder), "--quiet", "--jobs", "1"],
        _env(tmp_path),
        address_space=ADDRESS_SPACE,
        timeout=TIME_LIMIT_S,
    )
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    lines = [line.removeprefix(f"syncd: skipped {folder}/") for line in result.stderr.splitlines() if line.strip()]
    return lines, _activities(tmp_path)


def test_a_csv_field_over_pythons_limit_costs_that_row_only(tmp_path: Path) -> None:
    from tests.hostile import _zip

    long_name = "n" * 200_000  # over csv's default 131,072 but under our bounded limit: read, stored
    huge = "h" * (2 << 20)  # over our limit: that row is reported, its file imported with its own name
    rows = _csv([("1", long_name, "a.gpx"), ("2", huge, "b.gpx"), ("3", "Fine", "c.fit")])
    members = [("activities.csv", rows), ("activities/a.gpx", _good_gpx()), ("activities/c.fit", GOOD_FIT.read_bytes())]
    members.append(("activities/b.gpx", _good_gpx().replace(b"07:", b"08:")))
    lines, stored = _import_zip(tmp_path, lambda p: _zip(p, members))
    assert len(lines) == 1 and lines[0].startswith("export.zip!activities.csv: line 3 cannot be read (field larger"), (
        lines
    )
    assert stored == 3


@pytest.mark.parametrize(
    ("odd", "method", "encrypted", "expected"),
    [
        ("activities.csv", 99, False, "activities.csv: compressed with method 99, which syncd cannot unpack"),
        ("activities.csv", None, True, "activities.csv: encrypted (password-protected) in the zip archive"),
        ("activities/a.gpx", 99, False, "activities/a.gpx: compressed with method 99, which syncd cannot unpack"),
        ("activities/a.gpx", None, True, "activities/a.gpx: encrypted (password-protected) in the zip archive"),
    ],
)
def test_an_unreadable_member_costs_that_member_only(
    tmp_path: Path, odd: str, method: int | None, encrypted: bool, expected: str
) -> None:
    from tests.hostile import zip_with_odd_member

    members = [
        ("activities.csv", _csv([("1", "Hills", "a.gpx"), ("3", "Fine", "c.fit")])),
        ("activities/a.gpx", _good_gpx()),
        ("activities/c.fit", GOOD_FIT.read_bytes()),
    ]
    lines, stored = _import_zip(
        tmp_path, lambda p: zip_with_odd_member(p, members, odd, method=method, encrypted=encrypted)
    )
    assert len(lines) == 1 and lines[0].startswith(f"export.zip!{expected}; "), lines
    assert stored == (2 if odd == "activities.csv" else 1)


def test_control_characters_in_a_file_name_are_shown_escaped(tmp_path: Path) -> None:
    """A file named with a newline once forged an extra output line; an ESC could restyle the terminal."""
    name = "run\nsyncd: imported 99 file(s)\x1b[2J.gpx"
    line, _wall = _import_beside_good(tmp_path, name, b"")  # one stderr line, the good file stored
    shown = f"{tmp_path / 'in'}/run\\nsyncd: imported 99 file(s)\\x1b[2J.gpx"
    assert line.startswith(f"syncd: skipped {shown}: empty file (0 bytes); "), line


@pytest.mark.postgres
def test_an_export_csv_with_a_nul_imports_on_postgresql(tmp_path: Path) -> None:
    """A NUL in activities.csv once aborted the whole import on PostgreSQL."""
    from tests.hostile import _zip
    from tests.pg import fresh_database

    members = [
        ("activities.csv", _csv([("1", "Hills \x00 again", "a.gpx"), ("3", "Fine", "c.fit")])),
        ("activities/a.gpx", _good_gpx()),
        ("activities/c.fit", GOOD_FIT.read_bytes()),
    ]
    folder = tmp_path / "in"
    folder.mkdir()
    _zip(folder / "export.zip", members)
    with fresh_database("syncd_nul_csv") as url:
        env = {**_env(tmp_path), "SYNCD_DATABASE_URL": url}
        result = run_bounded(
            [SYNCD, "import", str(folder), "--jobs", "1"], env, address_space=ADDRESS_SPACE, timeout=TIME_LIMIT_S
        )
        assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr[-2000:]
        assert "2 new" in result.stdout and "Hills  again" in result.stdout, result.stdout


def test_the_activities_per_file_cap_is_configurable(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "stage_race.fit").write_bytes(fit_of_sessions(30))
    env = _env(tmp_path)
    refused = run_bounded([SYNCD, "import", str(folder), "--quiet"], env, timeout=TIME_LIMIT_S)
    assert "FIT file holds 30 sessions, more than the 25 activities one file may hold" in refused.stderr
    allowed = run_bounded(
        [SYNCD, "import", str(folder), "--quiet"],
        {**env, "SYNCD_FILES_MAX_ACTIVITIES_PER_FILE": "30"},
        timeout=TIME_LIMIT_S,
    )
    assert allowed.returncode == 0, allowed.stderr[-2000:]
    assert _activities(tmp_path) == 30


def test_a_parse_over_its_time_budget_is_one_line() -> None:
    from syncd.adapters.files import FileImportError
    from syncd.adapters.files.parse import parse_bytes

    data = fit_of_sessions(3_000)  # ~1 s to parse with the cap lifted
    with pytest.raises(FileImportError, match=r"many\.fit: reading it took longer than 0\.05 s; "):
        parse_bytes(data, "many.fit", max_activities=3_000, budget_s=0.05)
    assert len(parse_bytes(fit_of_sessions(3), "few.fit", budget_s=0.05)) == 3  # the budget is reset after
    time.sleep(0.1)  # no stray alarm left behind
