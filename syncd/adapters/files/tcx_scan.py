"""The TCX fast path (issue 32): every <Trackpoint> of the common shape read by one pattern, the rest (activities,
laps, creator) by the tree.

The shape is the schema's own order, each child at most once: <Time>, <Position> (latitude, longitude),
<AltitudeMeters>, <DistanceMeters>, <HeartRateBpm><Value>, <Cadence>, <SensorState>, and <Extensions> holding one
TPX (any prefix, optionally undeclaring the default namespace) with <Speed>, <RunCadence>, <Watts> in that order.
With each field once, `tcx._trackpoints`'s rules reduce to: a point without a time is skipped, values that are not
finite are NaN, and the cadence is <Cadence> when present, else <RunCadence>. Anything else returns None
(xmlscan.scan says what keeps the fallback as strict as before).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np

from syncd.domain.model import FloatArray

from .xmlscan import NAME, PREFIX, TEXT, WS, Shape, columns, either, floats, number, point_pattern, scan, seconds, time


def _leaf(tag: bytes, value: bytes) -> bytes:
    """An optional child `<tag>value</tag>` followed by whitespace."""
    return b"(?:<" + tag + WS + b">" + value + b"</" + tag + WS + b">" + WS + b")?"


_END = rb"(?![\w.-])"
# The local names tcx._trackpoints reads at any depth: an extension element with one of these names (other than
# the Speed and RunCadence leaves the pattern reads) is left to the tree.
_SLOT_NAMES = rb"(?!(?:Time|LatitudeDegrees|LongitudeDegrees|AltitudeMeters|DistanceMeters|Value|Cadence|Speed"
_SLOT_NAMES += rb"|RunCadence)" + _END + b")"


def _value(tag: bytes, group: str) -> bytes:
    """An extension value with any prefix (the closing tag repeats it)."""
    name = f"{group}_tag".encode()
    return (
        b"<(?P<" + name + b">" + PREFIX + tag + b")" + WS + b">" + number(group) + b"</(?P=" + name + b")" + WS + b">"
    )


def _extension_leaf(depth: int) -> bytes:
    """Speed, RunCadence or a leaf the tree ignores, at depth 1 (in <Extensions>) or 2 (in a container)."""
    other = f"other{depth}".encode()
    return (
        _value(b"Speed", f"speed{depth}")
        + b"|"
        + _value(b"RunCadence", f"run_cad{depth}")
        + b"|<(?P<"
        + other
        + b">"
        + PREFIX
        + _SLOT_NAMES
        + NAME
        + b")"
        + WS
        + b">"
        + TEXT
        + b"*</(?P="
        + other
        + b")"
        + WS
        + b">|<"
        + PREFIX
        + _SLOT_NAMES
        + NAME
        + WS
        + b"/>"
    )


_EXTENSIONS = (
    b"<Extensions"
    + WS
    + b">"
    + WS
    + b"(?:(?:"
    + _extension_leaf(1)
    + b"|<(?P<box>"
    + PREFIX
    + _SLOT_NAMES
    + NAME
    + b')(?:[ \t\r\n]+xmlns="(?!http://www\\.w3\\.org/)[^"<&\x00-\x1f\x7f-\xff]*")?'
    + WS
    + b">"
    + WS
    + b"(?:(?:"
    + _extension_leaf(2)
    + b")"
    + WS
    + b")*</(?P=box)"
    + WS
    + b">)"
    + WS
    + b")*</Extensions"
    + WS
    + b">"
    + WS
)
_POINT = (
    b"<Trackpoint"
    + WS
    + b">"
    + WS
    + _leaf(b"Time", time("time"))
    + b"(?:<Position"
    + WS
    + b">"
    + WS
    + _leaf(b"LatitudeDegrees", number("lat"))
    + _leaf(b"LongitudeDegrees", number("lon"))
    + b"</Position"
    + WS
    + b">"
    + WS
    + b")?"
    + _leaf(b"AltitudeMeters", number("alt"))
    + _leaf(b"DistanceMeters", number("dist"))
    + b'(?:<HeartRateBpm(?:[ \\t\\r\\n]+xsi:type="HeartRateInBeatsPerMinute_t")?'
    + WS
    + b">"
    + WS
    + _leaf(b"Value", number("hr"))
    + b"</HeartRateBpm"
    + WS
    + b">"
    + WS
    + b")?"
    + _leaf(b"Cadence", number("cad"))
    + _leaf(b"SensorState", b"(?:Present|Absent)")
    + b"(?:"
    + _EXTENSIONS
    + b")?"
    + b"</Trackpoint"
    + WS
    + b">"
)
SHAPE = Shape(
    root="TrainingCenterDatabase",
    container=b"Track",
    point=point_pattern(_POINT),
    forbidden=b"Trackpoint",
    attribute_prefixes=(b"xsi",),
)
_AT = {name: index - 1 for name, index in SHAPE.point.groupindex.items()}


def scan_tcx(data: bytes) -> tuple[ET.Element, dict[int, FloatArray]] | None:
    """The skeleton's root and, per <Activity> element (by identity), the (time, lat, lon, alt, distance, hr,
    cadence, speed) table of its timed trackpoints in document order; None when the file is not in the shape."""
    scanned = scan(data, SHAPE)
    if scanned is None:
        return None
    ns = scanned.namespace
    tables = {}
    at_time = _AT["time"]
    for activity in scanned.root.iter(ns + "Activity"):
        timed = [p for track in activity.iter(ns + "Track") for p in scanned.points[id(track)] if p[at_time]]
        table = _table(timed)
        if table is None:
            return None
        tables[id(activity)] = table
    return scanned.root, tables


def _table(timed: list[tuple[bytes, ...]]) -> FloatArray | None:
    table = np.empty((len(timed), 8), dtype=np.float64)
    if not timed:
        return table
    cols = columns(timed)
    times = seconds(cols[_AT["time"]])
    speed = either(cols[_AT["speed1"]], cols[_AT["speed2"]])
    run_cadence = either(cols[_AT["run_cad1"]], cols[_AT["run_cad2"]])
    if times is None or speed is None or run_cadence is None:
        return None
    table[:, 0] = times
    for slot, group in enumerate(("lat", "lon", "alt", "dist", "hr"), start=1):
        table[:, slot] = floats(cols[_AT[group]])
    cadence = cols[_AT["cad"]]
    table[:, 6] = floats([c or r for c, r in zip(cadence, run_cadence, strict=True)] if any(run_cadence) else cadence)
    table[:, 7] = floats(speed)
    values = table[:, 1:]
    values[~np.isfinite(values)] = np.nan  # tcx._num: what float() reads as infinite is not a value
    return table
