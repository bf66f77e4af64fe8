"""The GPX fast path (issue 32): every <trkpt> of the common shape read by one pattern, the rest by the tree.

The shape: `<trkpt lat=".." lon="..">` (either order) with, in this order, an optional <ele>, an optional <time>
and optional <extensions> whose children are leaves or one level of containers (Garmin's TrackPointExtension,
any prefix). The values are what `gpx._points` reads: the last <ele>/<time>, and the last non-empty heart rate
and cadence in the extensions by local name (hr/heartrate, cad/cadence, any case); a point whose extensions
name a heart rate (or cadence) both as a leaf and inside a container is left to the tree, where their order
decides. Anything else returns None (xmlscan.scan says what keeps the fallback as strict as before).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np

from syncd.domain.model import FloatArray

from .xmlscan import (
    NAME,
    PREFIX,
    TEXT,
    WS,
    Shape,
    columns,
    either,
    floats,
    lenient_floats,
    number,
    point_pattern,
    scan,
    seconds,
    time,
)

# (root, tracks, the (time, lat, lon, ele, hr, cadence) table in document order, untimed points, recorded tracks)
GpxRead = tuple[ET.Element, list[ET.Element], FloatArray, int, list[ET.Element]]

_END = rb"(?![\w.-])"
_HR = rb"(?i:hr|heartrate)" + _END
_CAD = rb"(?i:cad|cadence)" + _END


def _value_leaf(kind: bytes, tag: str, value: str) -> bytes:
    """A heart-rate or cadence leaf with text (an empty one is an `_other_leaf`: the tree skips it)."""
    return (
        b"<(?P<"
        + tag.encode()
        + b">"
        + PREFIX
        + kind
        + b")"
        + WS
        + b">(?P<"
        + value.encode()
        + b">"
        + TEXT
        + b"+)</(?P="
        + tag.encode()
        + b")"
        + WS
        + b">"
    )


def _other_leaf(tag: str) -> bytes:
    return (
        b"<(?P<"
        + tag.encode()
        + b">"
        + PREFIX
        + NAME
        + b")"
        + WS
        + b">"
        + TEXT
        + b"*</(?P="
        + tag.encode()
        + b")"
        + WS
        + b">|<"
        + PREFIX
        + NAME
        + WS
        + b"/>"
    )


_CONTAINER = (
    b"<(?P<cn>"
    + PREFIX
    + rb"(?!(?i:hr|heartrate|cad|cadence)"
    + _END
    + b")"
    + NAME
    + b")"
    + WS
    + b">"
    + WS
    + b"(?:(?:"
    + _value_leaf(_HR, "h2n", "h2")
    + b"|"
    + _value_leaf(_CAD, "c2n", "c2")
    + b"|"
    + _other_leaf("o2")
    + b")"
    + WS
    + b")*</(?P=cn)"
    + WS
    + b">"
)
_EXTENSIONS = (
    b"<extensions"
    + WS
    + b">"
    + WS
    + b"(?:(?:"
    + _value_leaf(_HR, "h1n", "h1")
    + b"|"
    + _value_leaf(_CAD, "c1n", "c1")
    + b"|"
    + _other_leaf("o1")
    + b"|"
    + _CONTAINER
    + b")"
    + WS
    + b")*</extensions"
    + WS
    + b">"
)
_POINT = (
    rb"<trkpt[ \t\r\n]+(?:lat="
    + b'"'
    + number("lat")
    + b'"'
    + rb"[ \t\r\n]+lon="
    + b'"'
    + number("lon")
    + b'"'
    + rb"|lon="
    + b'"'
    + number("lon2")
    + b'"'
    + rb"[ \t\r\n]+lat="
    + b'"'
    + number("lat2")
    + b'"'
    + b")"
    + WS
    + b">"
    + WS
    + b"(?:<ele"
    + WS
    + b">"
    + number("ele")
    + b"</ele"
    + WS
    + b">"
    + WS
    + b")?"
    + b"(?:<time"
    + WS
    + b">"
    + time("time")
    + b"</time"
    + WS
    + b">"
    + WS
    + b")?"
    + b"(?:"
    + _EXTENSIONS
    + WS
    + b")?"
    + b"</trkpt"
    + WS
    + b">"
)
SHAPE = Shape(root="gpx", container=b"trkseg", point=point_pattern(_POINT), forbidden=b"trkpt")
_AT = {name: index - 1 for name, index in SHAPE.point.groupindex.items()}


def scan_gpx(data: bytes) -> GpxRead | None:
    """What `gpx._read_tree` returns, read by the scanner; None when the file is not in the shape."""
    scanned = scan(data, SHAPE)
    if scanned is None:
        return None
    ns = scanned.namespace
    tracks = scanned.root.findall(f"{ns}trk")
    timed: list[tuple[bytes, ...]] = []
    recorded = []
    untimed = 0
    at_time = _AT["time"]
    for track in tracks:
        before = len(timed)
        for segment in track.iterfind(f"{ns}trkseg"):
            points = scanned.points[id(segment)]
            with_time = [point for point in points if point[at_time]]
            untimed += len(points) - len(with_time)
            timed.extend(with_time)
        if len(timed) > before:
            recorded.append(track)
    table = _table(timed)
    if table is None:
        return None
    return scanned.root, tracks, table, untimed, recorded


def _table(timed: list[tuple[bytes, ...]]) -> FloatArray | None:
    """The (time, lat, lon, ele, hr, cadence) rows of the timed points, as `gpx._points` makes them."""
    table = np.empty((len(timed), 6), dtype=np.float64)
    if not timed:
        return table
    cols = columns(timed)
    times = seconds(cols[_AT["time"]])
    lat = either(cols[_AT["lat"]], cols[_AT["lat2"]])
    lon = either(cols[_AT["lon"]], cols[_AT["lon2"]])
    hr = either(cols[_AT["h1"]], cols[_AT["h2"]])
    cadence = either(cols[_AT["c1"]], cols[_AT["c2"]])
    if times is None or lat is None or lon is None or hr is None or cadence is None:
        return None
    table[:, 0] = times
    table[:, 1] = floats(lat)
    table[:, 2] = floats(lon)
    table[:, 3] = floats(cols[_AT["ele"]])
    table[:, 4] = lenient_floats(hr)
    table[:, 5] = lenient_floats(cadence)
    return table
