"""Hostile files are refused at the edge with one line, nothing is stored, the rest of the batch goes on (issue 17).

Each case is a kind of input the import met from outside: clocks from 1971, 0001 or 9999, infinite or off-globe
coordinates, bit-flipped FIT, zip bombs, FIFOs and device symlinks, duplicate member names, copies of one file.
"""

from __future__ import annotations

import gzip
import os
import shutil
import zipfile
from pathlib import Path

import pytest

from syncd.adapters.db import Store
from syncd.adapters.files import FileImportError, parse_bytes
from syncd.entrypoints.wiring import import_repositories
from syncd.services.annotating import AnnotationPolicy
from syncd.services.importing import import_paths

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real"
GOOD_FIT = REAL / "2013-02-06-12-11-14.fit"


def gpx(*points: tuple[str, str, str]) -> bytes:
    """A GPX whose trackpoints are (lat, lon, time) exactly as written."""
    body = "".join(f'<trkpt lat="{lat}" lon="{lon}"><time>{t}</time></trkpt>' for lat, lon, t in points)
    return (
        '<?xml version="1.0"?><gpx version="1.1" creator="x" xmlns="http://www.topografix.com/GPX/1/1">'
        f"<trk><type>running</type><trkseg>{body}</trkseg></trk></gpx>"
    ).encode()


def track(times: list[str], lat: str = "46.0", lon: str = "14.5") -> bytes:
    return gpx(*[(lat, lon, t) for t in times])


HOSTILE_GPX: dict[str, tuple[bytes, str]] = {
    "span_1971_2026": (track(["1971-01-01T00:00:00Z", "2026-01-01T00:00:00Z"]), "before GPS watches existed"),
    "span_55_years": (track(["1991-01-01T00:00:00Z", "2026-01-01T00:00:00Z"]), "activity spans 12,784 days"),
    "span_8_days": (track(["2025-01-01T00:00:00Z", "2025-01-09T00:00:00Z"]), "activity spans 8.0 days"),
    "year_0001": (track(["0001-01-01T00:00:00Z", "0001-01-01T01:00:00Z"]), "starts in 1,"),
    "year_9999": (track(["9999-12-31T00:00:00Z", "9999-12-31T01:00:00Z"]), "starts in the future"),
    "inf_lat": (
        gpx(("inf", "14.5", "2025-01-01T00:00:00Z"), ("46.0", "14.5", "2025-01-01T00:10:00Z")),
        "latitude out of range",
    ),
    "minus_inf_lon": (
        gpx(("46.0", "-inf", "2025-01-01T00:00:00Z"), ("46.0", "14.5", "2025-01-01T00:10:00Z")),
        "longitude out of range",
    ),
    "lat_91": (
        gpx(("91.0", "14.5", "2025-01-01T00:00:00Z"), ("46.0", "14.5", "2025-01-01T00:10:00Z")),
        "latitude out of range",
    ),
    "lon_1e308": (
        gpx(("46.0", "1e308", "2025-01-01T00:00:00Z"), ("46.0", "14.5", "2025-01-01T00:10:00Z")),
        "longitude out of range",
    ),
    "teleporting": (
        gpx(*[("80.0" if i % 2 else "-80.0", "0.5", f"2025-01-01T00:{i:02d}:00Z") for i in range(60)]),
        "implausible distance",
    ),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_GPX))
def test_hostile_gpx_is_refused_with_one_line(case: str) -> None:
    data, expected = HOSTILE_GPX[case]
    with pytest.raises(FileImportError) as caught:
        parse_bytes(data, f"{case}.gpx")
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{case}.gpx: ")
    assert expected in message


def test_nan_coordinates_are_missing_fixes_not_numbers_in_the_store() -> None:
    (parsed,) = parse_bytes(
        gpx(("nan", "nan", "2025-01-01T00:00:00Z"), ("nan", "nan", "2025-01-01T00:10:00Z")), "nan.gpx"
    )
    assert not parsed.activity.has_gps
    assert parsed.activity.distance_m is None


def test_bit_flipped_fit_that_panics_the_fast_decoder_falls_back(capfd: pytest.CaptureFixture[str]) -> None:
    data = bytearray(GOOD_FIT.read_bytes())
    data[126] ^= 1 << 4  # found by flipping bits: fitfast panics ("remainder with a divisor of zero")
    (parsed,) = parse_bytes(bytes(data), "flipped.fit")
    assert parsed.activity.distance_m == pytest.approx(4835.38, abs=1)
    for position, bit in ((13831, 0), (4827, 2)):  # these also panic fitfast, and fitdecode refuses them
        data = bytearray(GOOD_FIT.read_bytes())
        data[position] ^= 1 << bit
        with pytest.raises(FileImportError, match="not a readable FIT file") as caught:
            parse_bytes(bytes(data), "flipped.fit")
        assert "\n" not in str(caught.value)
    assert "UserWarning" not in capfd.readouterr().err


def _import(store: Store, paths: list[Path]) -> tuple[object, dict[str, int]]:
    athlete = store.ensure_athlete("local")
    before = store.counts()
    report = import_paths(import_repositories(store), athlete, paths, AnnotationPolicy())
    after = store.counts()
    return report, {k: after[k] - before[k] for k in after}


def test_a_batch_imports_the_good_files_and_stores_nothing_of_the_bad(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "batch"
    folder.mkdir()
    for case, (data, _expected) in HOSTILE_GPX.items():
        (folder / f"{case}.gpx").write_bytes(data)
    flipped = bytearray(GOOD_FIT.read_bytes())
    flipped[13831] ^= 1
    (folder / "flipped.fit").write_bytes(bytes(flipped))
    shutil.copy(GOOD_FIT, folder / "zz_good.fit")
    report, delta = _import(store, [folder])
    assert report.created == 1  # type: ignore[attr-defined]
    assert len(report.failed) == len(HOSTILE_GPX) + 1  # type: ignore[attr-defined]
    assert all("\n" not in line for line in report.failed)  # type: ignore[attr-defined]
    assert delta["activities"] == 1


def test_fifo_and_device_symlink_are_refused_not_read(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "odd"
    folder.mkdir()
    os.mkfifo(folder / "pipe.gpx")
    (folder / "zero.fit").symlink_to("/dev/zero")
    shutil.copy(GOOD_FIT, folder / "good.fit")
    report, delta = _import(store, [folder, folder / "pipe.gpx"])
    failed = report.failed  # type: ignore[attr-defined]
    assert len(failed) == 3, failed
    assert sum("a FIFO, not an activity file" in line for line in failed) == 2
    assert sum("a device, not an activity file" in line for line in failed) == 1
    assert delta["activities"] == 1


def test_oversized_regular_file_is_refused_without_reading_it_whole(tmp_path: Path) -> None:
    from syncd.adapters.files.detect import MAX_FILE_BYTES
    from syncd.adapters.files.parse import read_file

    big = tmp_path / "big.gpx"
    with big.open("wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 10)  # sparse: costs no disk
    with pytest.raises(FileImportError, match="larger than 64 MiB"):
        read_file(big)


def test_zip_bomb_member_is_refused_and_the_rest_imported(store: Store, tmp_path: Path) -> None:
    archive = tmp_path / "bomb.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.write(GOOD_FIT, "activities/good.fit")
        with zf.open("activities/bomb.gpx", "w", force_zip64=True) as member:
            chunk = b"\0" * (1 << 20)
            for _ in range(80):  # 80 MiB of zeros: past the 64 MiB cap, ~80 KB compressed
                member.write(chunk)
    assert archive.stat().st_size < 1_000_000
    report, delta = _import(store, [archive])
    failed = report.failed  # type: ignore[attr-defined]
    assert len(failed) == 1 and "bomb.gpx" in failed[0] and "not an activity file" in failed[0], failed
    assert delta["activities"] == 1


def test_duplicate_member_names_import_both_copies(store: Store, tmp_path: Path) -> None:
    archive = tmp_path / "dups.zip"
    other = REAL / "run.fit"
    with zipfile.ZipFile(archive, "w") as zf, pytest.warns(UserWarning, match="Duplicate name"):
        zf.write(GOOD_FIT, "a.fit")
        zf.write(other, "a.fit")
    report, delta = _import(store, [archive])
    assert report.failed == []  # type: ignore[attr-defined]
    assert report.created == 2  # type: ignore[attr-defined]
    assert delta["activities"] == 2


def test_identical_bytes_from_another_path_are_unchanged_duplicates(store: Store, tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    shutil.copy(GOOD_FIT, tmp_path / "a" / "run.fit")
    shutil.copy(GOOD_FIT, tmp_path / "b" / "copy.fit")
    (tmp_path / "b" / "copy.fit.gz").write_bytes(gzip.compress(GOOD_FIT.read_bytes()))
    first, _ = _import(store, [tmp_path / "a"])
    assert first.created == 1  # type: ignore[attr-defined]
    again, delta = _import(store, [tmp_path / "b"])
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)  # type: ignore[attr-defined]
    assert len(again.duplicates) == 2  # type: ignore[attr-defined]
    assert all("duplicate of" in line and "a/run.fit" in line for line in again.duplicates)  # type: ignore[attr-defined]
    assert delta["activities"] == 0
