"""Strava bulk-export zips built from the real fixtures: csv metadata, ids, ordering and mixed formats."""

from __future__ import annotations

import csv
import gzip
import io
import zipfile
from pathlib import Path

import pytest

from syncd.adapters.files import FileImportError, ImportItem, iter_paths, parse_bytes
from syncd.domain.model import Sport

REAL = Path(__file__).parent.parent / "fixtures" / "real"

# Real exports repeat "Elapsed Time" and "Distance" (display units first, SI later) and carry many more columns.
HEADER = [
    "Activity ID",
    "Activity Date",
    "Activity Name",
    "Activity Type",
    "Activity Description",
    "Elapsed Time",
    "Distance",
    "Commute",
    "Activity Gear",
    "Filename",
    "Elapsed Time",
    "Distance",
    "Some Future Column",
]


def _row(activity_id: str, name: str, kind: str, filename: str, gear: str = "", description: str = "") -> list[str]:
    return [activity_id, "Feb 6, 2013, 12:11:14 PM", name, kind, description, "2625", "4.83", "false", gear,
            filename, "2625.0", "4835.4", "x"]  # fmt: skip


def _build_export(path: Path, prefix: str = "") -> Path:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(HEADER)
    writer.writerow(_row("111", "Hill repeats", "Run", "activities/111.fit.gz", "Pegasus 40", "Legs heavy today"))
    writer.writerow(_row("222", "Treadmill tempo", "Run", "activities/222.fit.gz"))
    writer.writerow(_row("333", "Lunch walk", "Walk", "activities/333.gpx.gz"))
    writer.writerow(_row("444", "Track session", "Workout", "activities/444.tcx"))
    writer.writerow(_row("555", "Sprint triathlon", "Run", "activities/555.fit.gz"))
    writer.writerow(_row("666", "Manual entry, no file", "Run", ""))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(prefix + "activities.csv", text.getvalue().encode("utf-8-sig"))
        zf.writestr(prefix + "activities/111.fit.gz", gzip.compress((REAL / "run.fit").read_bytes()))
        zf.writestr(prefix + "activities/222.fit.gz", gzip.compress((REAL / "0137001239.fit").read_bytes()))
        zf.writestr(
            prefix + "activities/333.gpx.gz", gzip.compress((REAL / "Afternoon_Walk_Polar_Watch.gpx").read_bytes())
        )
        zf.writestr(prefix + "activities/444.tcx", (REAL / "c2eb1b_6.tcx").read_bytes())
        zf.writestr(prefix + "activities/555.fit.gz", gzip.compress((REAL / "sample_mulitple_header.fit").read_bytes()))
        zf.writestr(prefix + "activities/orphan.fit", (REAL / "compressed-speed-distance.fit").read_bytes())
        zf.writestr(prefix + "media/photo.jpg", b"\xff\xd8\xff not an activity")
        zf.writestr(prefix + "profile.csv", "Athlete ID\n1\n")
    return path


def _items(path: Path) -> dict[str, ImportItem]:
    return {item.name.split("!", 1)[1].split("activities/", 1)[1]: item for item in iter_paths([path])}


@pytest.mark.parametrize("prefix", ["", "export_12345/"])
def test_export_items_are_sorted_members_with_csv_rows(tmp_path: Path, prefix: str) -> None:
    export = _build_export(tmp_path / "export.zip", prefix)
    items = list(iter_paths([export]))
    assert [item.name for item in items] == [
        f"{export}!{prefix}activities/{name}"
        for name in ("111.fit.gz", "222.fit.gz", "333.gpx.gz", "444.tcx", "555.fit.gz", "orphan.fit")
    ]
    rows = [item.export_row["Activity ID"] if item.export_row else None for item in items]
    assert rows == ["111", "222", "333", "444", "555", None]
    assert items[3].size == (REAL / "c2eb1b_6.tcx").stat().st_size


def test_export_metadata_is_applied(tmp_path: Path) -> None:
    items = _items(_build_export(tmp_path / "export.zip"))
    (hill,) = items["111.fit.gz"].parse()
    (same,) = items["111.fit.gz"].parse(items["111.fit.gz"].read())  # bytes the caller already read
    assert same.activity.external_id == "strava-export:111"
    assert hill.activity.external_id == "strava-export:111"
    assert hill.activity.name == "Hill repeats"
    assert hill.activity.description == "Legs heavy today"
    assert hill.activity.extra["gear_name"] == "Pegasus 40"
    assert hill.activity.sport is Sport.RUN and hill.activity.sport_original == "Run"
    csv_row = hill.raw["csv"]
    assert isinstance(csv_row, dict) and csv_row["Distance"] == "4.83"  # the first of the duplicated columns
    assert hill.raw["strava_activity_id"] == "111"
    assert hill.raw["format"] == "fit" and hill.raw["decoder"] == "fitfast"
    (loose,) = parse_bytes((REAL / "run.fit").read_bytes(), "run.fit")
    assert hill.content_sha256 == loose.content_sha256  # hash of the decompressed file
    assert hill.activity.streams == loose.activity.streams


def test_export_type_rules(tmp_path: Path) -> None:
    items = _items(_build_export(tmp_path / "export.zip"))
    (treadmill,) = items["222.fit.gz"].parse()
    assert treadmill.activity.sport is Sport.TREADMILL_RUN  # "Run" in the csv keeps the file's treadmill
    assert treadmill.activity.indoor
    (walk,) = items["333.gpx.gz"].parse()
    assert walk.activity.sport is Sport.WALK and walk.activity.name == "Lunch walk"
    (track,) = items["444.tcx"].parse()
    assert track.activity.sport is Sport.RUN  # "Workout" says nothing: the file's Running stands
    legs = items["555.fit.gz"].parse()
    assert [leg.activity.sport for leg in legs] == [Sport.SWIM, Sport.RIDE, Sport.RUN]
    assert [leg.activity.external_id for leg in legs] == [f"strava-export:555:{i}" for i in (0, 2, 4)]
    (orphan,) = items["orphan.fit"].parse()
    assert orphan.activity.external_id == orphan.content_sha256 and "csv" not in orphan.raw


def test_export_reimport_is_idempotent(tmp_path: Path) -> None:
    first = [p.activity.external_id for item in iter_paths([_build_export(tmp_path / "a.zip")]) for p in item.parse()]
    again = [p.activity.external_id for item in iter_paths([_build_export(tmp_path / "b.zip")]) for p in item.parse()]
    assert first == again and len(set(first)) == len(first) == 8


def test_corrupt_member_fails_alone(tmp_path: Path) -> None:
    export = _build_export(tmp_path / "export.zip")
    data = bytearray(export.read_bytes())
    offset = data.index(b"activities/444.tcx") + len("activities/444.tcx") + 200  # inside the deflated TCX
    data[offset : offset + 64] = bytes(64)
    export.write_bytes(bytes(data))
    items = _items(export)
    with pytest.raises(FileImportError) as info:
        items["444.tcx"].parse()
    assert str(info.value).startswith(f"{export}!activities/444.tcx: ") and "\n" not in str(info.value)
    assert len(items["111.fit.gz"].parse()) == 1


def test_folder_with_an_export_and_loose_files(tmp_path: Path) -> None:
    _build_export(tmp_path / "b_export.zip")
    (tmp_path / "a_run.fit").write_bytes((REAL / "run.fit").read_bytes())
    names = [item.name for item in iter_paths([tmp_path])]
    assert names[0] == str(tmp_path / "a_run.fit")
    assert len(names) == 7 and all("b_export.zip!activities/" in n for n in names[1:])


def test_unreadable_csv_is_reported_and_files_still_import(tmp_path: Path) -> None:
    export = tmp_path / "export.zip"
    with zipfile.ZipFile(export, "w") as zf:
        zf.writestr("activities.csv", b"Activity ID,Filename\n\xff\xfe\xfa,activities/1.fit\n")
        zf.writestr("activities/1.fit", (REAL / "compressed-speed-distance.fit").read_bytes())
    first, second = iter_paths([export])
    assert first.name == f"{export}!activities.csv"
    with pytest.raises(FileImportError) as info:
        first.read()
    assert "unreadable activities.csv" in str(info.value)
    assert second.export_row is None and len(second.parse()) == 1


def test_members_read_during_the_walk_and_after_it_give_the_same_bytes(tmp_path: Path) -> None:
    export = _build_export(tmp_path / "export.zip")
    walking = [item.read() for item in iter_paths([export])]  # read while the archive is held open
    items = list(iter_paths([export]))  # the walk has ended: readers open the archive again
    assert [item.read() for item in items] == walking
    assert len(walking) == 6 and all(walking)
