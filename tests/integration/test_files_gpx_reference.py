"""The ElementTree GPX reader gives the same activity as gpxpy (the reference) on every GPX fixture.

gpxpy stays only here, as the independent reader to compare with: real recordings from several devices and
exporters (Strava with a Polar H10, a Polar watch, GPSBabel from a Garmin), plus the hand-made edge cases.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import gpxpy
import numpy as np
import pytest

from syncd.adapters.files.errors import FileImportError
from syncd.adapters.files.gpx import parse_gpx
from syncd.adapters.files.parsed import make_streams

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
GPX_FILES = sorted([*FIXTURES.glob("real/*.gpx"), *FIXTURES.glob("broken/*.gpx")])


def _reference(data: bytes) -> dict[str, Any]:
    """What the former gpxpy-based reader extracted: timed points in time order, names and counts."""
    doc = gpxpy.parse(data)
    rows, untimed, recorded = [], 0, []
    for track in doc.tracks:
        before = len(rows)
        for segment in track.segments:
            for point in segment.points:
                if point.time is None:
                    untimed += 1
                    continue
                hr = cad = float("nan")
                for ext in point.extensions:
                    for element in ext.iter():
                        tag = element.tag.rsplit("}", 1)[-1].lower()
                        if tag in {"hr", "heartrate"} and element.text:
                            hr = float(element.text)
                        elif tag in {"cad", "cadence"} and element.text:
                            cad = float(element.text)
                ele = float("nan") if point.elevation is None else float(point.elevation)
                rows.append((point.time.timestamp(), point.latitude, point.longitude, ele, hr, cad))
        if len(rows) > before:
            recorded.append(track)
    track_type = next((str(t.type) for t in recorded if t.type), "")
    track_name = next((str(t.name) for t in recorded if t.name), "") or str(doc.name or "")
    return {"rows": rows, "untimed": untimed, "type": track_type, "name": track_name, "tracks": len(doc.tracks)}


@pytest.mark.parametrize("path", GPX_FILES, ids=lambda p: p.name)
def test_elementtree_reader_matches_gpxpy(path: Path) -> None:
    data = path.read_bytes()
    try:
        expected = _reference(data)
    except Exception:
        expected = None
    try:
        (parsed,) = parse_gpx(data, path.name, hashlib.sha256(data).hexdigest())
    except FileImportError:
        assert expected is None or not expected["rows"], "gpxpy read timed points that we refused"
        return
    assert expected is not None and expected["rows"]
    table = np.array(expected["rows"], dtype=np.float64)
    table = table[np.argsort(table[:, 0], kind="stable")]
    reference = make_streams(
        table[:, 0] - table[0, 0],
        lat=table[:, 1],
        lon=table[:, 2],
        altitude_m=table[:, 3],
        heart_rate=table[:, 4],
        cadence=table[:, 5],
    )
    ours = parsed.activity.streams
    assert ours is not None
    assert ours.channels().keys() == reference.channels().keys()
    for channel, column in reference.channels().items():
        np.testing.assert_allclose(ours.channels()[channel], column, rtol=1e-9, atol=1e-6, err_msg=channel)
    assert parsed.activity.start_utc.timestamp() == pytest.approx(table[0, 0])
    assert parsed.activity.sport_original == expected["type"]
    assert parsed.activity.name == expected["name"]
    assert parsed.raw["untimed_points_skipped"] == expected["untimed"]
    assert parsed.raw["tracks"] == expected["tracks"]


def test_every_real_gpx_fixture_is_compared() -> None:
    assert len([p for p in GPX_FILES if p.parent.name == "real"]) >= 3
