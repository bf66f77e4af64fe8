"""What the GPX and TCX readers take from a point, pinned before their hot loops were rewritten for speed (issue 32):
which of several values wins, which tags count, and that the garbage collector is left as found."""

from __future__ import annotations

import gc
import math
from collections.abc import Iterator

import numpy as np
import pytest

from syncd.adapters.files import parse_bytes
from syncd.adapters.files.errors import FileImportError
from syncd.adapters.files.xmlsafe import iso_seconds

TCX_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<TrainingCenterDatabase xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2" '
    'xmlns:ns3="http://www.garmin.com/xmlschemas/ActivityExtension/v2">'
    '<Activities><Activity Sport="Running"><Id>2024-05-01T07:00:00Z</Id>'
    '<Lap StartTime="2024-05-01T07:00:00Z"><TotalTimeSeconds>3</TotalTimeSeconds><Track>'
)
TCX_TAIL = "</Track></Lap></Activity></Activities></TrainingCenterDatabase>"


def tcx(*points: str) -> bytes:
    return (TCX_HEAD + "".join(f"<Trackpoint>{p}</Trackpoint>" for p in points) + TCX_TAIL).encode()


def test_tcx_point_fields_which_value_wins() -> None:
    data = tcx(
        # Cadence beats RunCadence whatever the order; only the first heart-rate Value counts; distance last wins
        "<Time>2024-05-01T07:00:00Z</Time><DistanceMeters>1</DistanceMeters><DistanceMeters>2</DistanceMeters>"
        "<HeartRateBpm><Value>120</Value></HeartRateBpm><HeartRateBpm><Value>180</Value></HeartRateBpm>"
        "<Extensions><ns3:TPX><ns3:RunCadence>77</ns3:RunCadence><ns3:Speed>3.5</ns3:Speed></ns3:TPX></Extensions>"
        "<Cadence>80</Cadence>",
        # RunCadence alone; a heart rate that is not a number stays missing and no later Value replaces it
        "<Time>2024-05-01T07:00:01Z</Time><HeartRateBpm><Value>x</Value></HeartRateBpm>"
        "<HeartRateBpm><Value>150</Value></HeartRateBpm><Extensions><ns3:TPX><ns3:RunCadence>78</ns3:RunCadence>"
        "</ns3:TPX></Extensions><Position><LatitudeDegrees>46.1</LatitudeDegrees>"
        "<LongitudeDegrees>14.5</LongitudeDegrees></Position><AltitudeMeters>300</AltitudeMeters>",
        # no time: left out
        "<DistanceMeters>5</DistanceMeters>",
        # a Cadence that is not a number is still the point's cadence (missing), RunCadence is not used
        "<Time>2024-05-01T07:00:02Z</Time><Cadence>n/a</Cadence><Extensions><ns3:TPX>"
        "<ns3:RunCadence>79</ns3:RunCadence></ns3:TPX></Extensions>",
    )
    (parsed,) = parse_bytes(data, "points.tcx")
    streams = parsed.activity.streams
    assert streams is not None
    assert streams.time_s.tolist() == [0.0, 1.0, 2.0]
    assert streams.cadence is not None and streams.heart_rate is not None
    cadence, heart = streams.cadence.tolist(), streams.heart_rate.tolist()
    assert cadence[:2] == [80.0, 78.0] and math.isnan(cadence[2])
    assert heart[0] == 120.0 and math.isnan(heart[1]) and math.isnan(heart[2])
    assert streams.speed_mps is not None and streams.speed_mps[0] == 3.5
    assert streams.altitude_m is not None and streams.altitude_m[1] == 300.0
    assert streams.lat is not None and streams.lat[1] == 46.1 and np.isnan(streams.lat[0])


GPX_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<gpx version="1.1" creator="t" xmlns="http://www.topografix.com/GPX/1/1"'
    ' xmlns:tp="http://www.garmin.com/xmlschemas/TrackPointExtension/v1" xmlns:o="urn:other">'
    "<trk><name>Morning Run</name><trkseg>"
)


def gpx(*points: str) -> bytes:
    return (GPX_HEAD + "".join(points) + "</trkseg></trk></gpx>").encode()


def test_gpx_point_fields_any_extension_namespace() -> None:
    data = gpx(
        '<trkpt lat="46.0" lon="14.0"><ele>300</ele><time>2024-05-01T07:00:00Z</time><extensions>'
        "<tp:TrackPointExtension><tp:hr>130</tp:hr><tp:cad>85</tp:cad></tp:TrackPointExtension></extensions></trkpt>",
        '<trkpt lat="46.1" lon="14.1"><time>2024-05-01T07:00:01Z</time><extensions>'
        "<o:heartrate>140</o:heartrate><o:cadence>bad</o:cadence><o:power>200</o:power></extensions></trkpt>",
        '<trkpt lat="46.2" lon="14.2"><ele>301</ele></trkpt>',  # untimed: left out
        "<o:trkpt><time>2024-05-01T07:00:02Z</time></o:trkpt>",  # not a GPX point: ignored
    )
    (parsed,) = parse_bytes(data, "points.gpx")
    streams = parsed.activity.streams
    assert streams is not None and streams.heart_rate is not None and streams.cadence is not None
    assert streams.time_s.tolist() == [0.0, 1.0]
    assert streams.heart_rate.tolist() == [130.0, 140.0]
    assert streams.cadence[0] == 85.0 and math.isnan(streams.cadence[1])
    assert parsed.raw["untimed_points_skipped"] == 1


@pytest.mark.parametrize(
    "text",
    [
        "2024-05-01T07:00:00Z",
        "2024-05-01T07:00:00.123456Z",
        "2024-05-01T07:00:00.5+02:00",
        "2024-05-01T07:00:00",
        " 2024-05-01T07:00:00Z\n",
        "1969-12-31T23:59:59.999999Z",
    ],
)
def test_iso_seconds_is_the_datetime_timestamp(text: str) -> None:
    from datetime import UTC, datetime

    moment = datetime.fromisoformat(text.strip())
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    assert iso_seconds(text) == moment.timestamp()


@pytest.mark.parametrize("text", [None, "", "yesterday", "2024-02-30T00:00:00Z"])
def test_iso_seconds_unreadable(text: str | None) -> None:
    assert iso_seconds(text) is None


@pytest.fixture
def gc_state() -> Iterator[None]:
    was = gc.isenabled()
    yield
    gc.enable() if was else gc.disable()


def test_parsing_leaves_the_collector_as_found(gc_state: None) -> None:
    one = gpx('<trkpt lat="1" lon="2"><time>2024-05-01T07:00:00Z</time></trkpt>')
    gc.enable()
    parse_bytes(one, "one.gpx")
    assert gc.isenabled()
    with pytest.raises(FileImportError):
        parse_bytes(b"<gpx><trk>", "cut.gpx")
    assert gc.isenabled()
    gc.disable()  # a caller that turned it off keeps it off
    parse_bytes(one, "one.gpx")
    assert not gc.isenabled()


def test_no_collection_while_a_file_is_parsed(gc_state: None) -> None:
    """Thousands of elements: the collector would run a dozen times during the parse with it on (once after it may
    run, when the allocations made meanwhile are counted)."""
    points = "".join(
        f'<trkpt lat="46.{i}" lon="14.{i}"><time>2024-05-01T07:{i // 60 % 60:02d}:{i % 60:02d}Z</time></trkpt>'
        for i in range(3000)
    )
    runs: list[str] = []
    gc.enable()
    gc.callbacks.append(record := lambda phase, _info: runs.append(phase))
    try:
        parse_bytes(gpx(points), "many.gpx")
    finally:
        gc.callbacks.remove(record)
    assert runs.count("start") <= 1
