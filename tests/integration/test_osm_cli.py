"""`syncd annotate --osm FILE`, and the same map through config ([surface] osm_file / overpass_url), as a process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.integration.test_osm_extract import TOWN, TOWN_BOUNDS, gps_along, write_osm
from tests.integration.test_osm_overpass import FakeOverpass, overpass  # noqa: F401  (fixture)

SYNCD = Path(sys.executable).with_name("syncd")
STREET_THEN_PATH = [(0, 0), (2000, 0), (2000, 600)]  # 2 km asphalt, 600 m dirt path


def write_gpx(path: Path) -> Path:
    lat, lon = gps_along(STREET_THEN_PATH, noise_m=2.0)
    start = datetime(2026, 11, 20, 7, 0, tzinfo=UTC)
    points = "\n".join(
        f'<trkpt lat="{a:.7f}" lon="{o:.7f}"><time>{(start + timedelta(seconds=i)).isoformat()}</time></trkpt>'
        for i, (a, o) in enumerate(zip(lat, lon, strict=True))
    )
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<gpx version="1.1" creator="syncd-tests" xmlns="http://www.topografix.com/GPX/1/1">\n'
        f"<trk><name>Town loop</name><type>running</type><trkseg>\n{points}\n</trkseg></trk></gpx>\n"
    )
    return path


def run(tmp_path: Path, *args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SYNCD_", "XDG_", "CREDENTIALS_DIRECTORY"))}
    clean.pop("STATE_DIRECTORY", None)
    clean.update(HOME=str(tmp_path / "home"), XDG_STATE_HOME=str(tmp_path / "state"), **(env or {}))
    clean["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    return subprocess.run(
        [str(SYNCD), *map(str, args)], env=clean, capture_output=True, text=True, timeout=120, check=False
    )


def hard_surface(stdout: str) -> dict[str, object]:
    (activity,) = json.loads(stdout)["activities"]
    flags = {flag["code"]: flag for flag in activity["flags"]}
    flag: dict[str, object] = flags["hard_surface"]
    return flag


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    return write_gpx(tmp_path / "run.gpx"), write_osm(tmp_path / "town.osm", TOWN, bounds=TOWN_BOUNDS)


def test_annotate_with_osm_flag_reports_the_surfaces(tmp_path: Path, files: tuple[Path, Path]) -> None:
    gpx, town = files
    result = run(tmp_path, "annotate", gpx, "--osm", town, "--json")
    assert result.returncode == 0, result.stderr
    flag = hard_surface(result.stdout)
    evidence = flag["evidence"]
    assert isinstance(evidence, dict)
    assert evidence["source"] == "map"
    assert evidence["paved_m"] == pytest.approx(2000, rel=0.03)
    assert evidence["unpaved_m"] == pytest.approx(600, rel=0.06)
    assert flag["severity"] == "caution"
    (activity,) = json.loads(result.stdout)["activities"]
    assert "2 of 2.6 km on asphalt/concrete (77%), 590 m on dirt/grass" in activity["note"]

    plain = run(tmp_path, "annotate", gpx, "--json")  # no map: the surface is unknown, no guess
    (unmapped,) = json.loads(plain.stdout)["activities"]
    assert "hard_surface" not in [f["code"] for f in unmapped["flags"]]


def test_osm_file_from_config_gives_the_same_answer(tmp_path: Path, files: tuple[Path, Path]) -> None:
    gpx, town = files
    result = run(tmp_path, "annotate", gpx, "--json", env={"SYNCD_SURFACE_OSM_FILE": str(town)})
    assert result.returncode == 0, result.stderr
    assert hard_surface(result.stdout)["evidence"]["source"] == "map"  # type: ignore[index]
    assert list((tmp_path / "state" / "syncd" / "surface").iterdir())  # the index is cached in the state dir


def test_missing_osm_file_is_a_usage_error_with_the_fix(tmp_path: Path, files: tuple[Path, Path]) -> None:
    gpx, _ = files
    result = run(tmp_path, "annotate", gpx, "--osm", tmp_path / "nowhere.osm.pbf")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "nowhere.osm.pbf not found" in result.stderr and "geofabrik" in result.stderr


def test_overpass_from_config_is_asked_once_per_tile(
    tmp_path: Path,
    files: tuple[Path, Path],
    overpass: FakeOverpass,  # noqa: F811
) -> None:
    gpx, _ = files
    env = {"SYNCD_SURFACE_OVERPASS_URL": overpass.url}
    first = run(tmp_path, "annotate", gpx, "--json", env=env)
    assert first.returncode == 0, first.stderr
    assert hard_surface(first.stdout)["evidence"]["map"] == "overpass"  # type: ignore[index]
    asked = len(overpass.queries)
    assert asked >= 1
    second = run(tmp_path, "annotate", gpx, "--json", env=env)
    assert second.stdout == first.stdout
    assert len(overpass.queries) == asked  # tiles came from the database this time
