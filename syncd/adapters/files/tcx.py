"""TCX (Garmin Training Center) -> one activity per <Activity>, with its laps and trackpoints.

Parsed with the standard library after refusing any DTD; tags are matched by local name so the namespace
prefixes different exporters use do not matter. Files in the schema's shape have their trackpoints read by the
scanner (tcx_scan, xmlscan: ~1.5x the files per second, issue 32), the same values to the bit.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

import numpy as np

from syncd.domain.model import Activity, FloatArray, Lap, Source, Sport

from . import numeric
from .errors import FileImportError
from .parsed import ParsedActivity, external_id, make_streams, utc_from_unix
from .sports import normalise_sport
from .tcx_scan import scan_tcx
from .xmlsafe import iso_seconds as _time
from .xmlsafe import local_name as _local
from .xmlsafe import refuse_dtd

_RE_EXPORT = "export the activity again as TCX or FIT from the device or platform"
_INTENSITY = {"active": "active", "resting": "rest", "rest": "rest"}
# What ended a lap (TCX TriggerMethod): the runner's button, or an automatic split.
_TCX_TRIGGER = {
    "manual": "manual",
    "distance": "distance",
    "time": "time",
    "location": "position",
    "heartrate": "manual",
}


def parse_tcx(data: bytes, name: str, sha256: str) -> list[ParsedActivity]:
    """Every <Activity> in a TCX file as a `ParsedActivity` (raises FileImportError on bad input)."""
    refuse_dtd(data, name, "TCX")
    parsed = [(i, el, rows) for i, el, rows in _scan(data) or _read_tree(data, name) if len(rows)]
    if not parsed:
        raise FileImportError(name, "TCX file has no samples (no timed trackpoints)", _RE_EXPORT)
    return [_activity(el, rows, index=i, legs=len(parsed), name=name, sha256=sha256) for i, el, rows in parsed]


Rows = list[tuple[float, ...]] | FloatArray


def _scan(data: bytes) -> list[tuple[int, ET.Element, Rows]] | None:
    """Each <Activity> with its trackpoint table, from the fast path (tcx_scan); None when it does not take the file.

    Both paths give the same rows to the bit (tests/integration/test_xml_golden.py)."""
    scanned = scan_tcx(data)
    if scanned is None:
        return None
    root, tables = scanned
    activities = root.iter(_namespace(root.tag) + "Activity")
    return [(i, el, tables[id(el)]) for i, el in enumerate(activities)]


def _read_tree(data: bytes, name: str) -> list[tuple[int, ET.Element, Rows]]:
    """Each <Activity> with its trackpoint rows, from the whole document's tree."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise FileImportError(name, f"not a readable TCX file (XML error: {exc})", _RE_EXPORT) from exc
    # TCX elements share the root's namespace (whatever URI an exporter uses): filtering by the full tag lets
    # ElementTree skip the tens of other elements per trackpoint in C instead of naming each in Python
    activities = list(root.iter(_namespace(root.tag) + "Activity"))
    return [(i, el, _trackpoints(el)) for i, el in enumerate(activities)]


def _activity(element: ET.Element, rows: Rows, *, index: int, legs: int, name: str, sha256: str) -> ParsedActivity:
    table = np.array(rows, dtype=np.float64)
    table = table[np.argsort(table[:, 0], kind="stable")]
    start = float(table[0, 0])
    laps_el = [el for el in element if _local(el.tag) == "Lap"]
    lap_starts = [_time(lap.get("StartTime")) for lap in laps_el]
    if lap_starts and lap_starts[0] is not None:
        start = min(start, lap_starts[0])
    streams = make_streams(
        table[:, 0] - start,
        lat=table[:, 1],
        lon=table[:, 2],
        altitude_m=table[:, 3],
        distance_m=table[:, 4],
        heart_rate=table[:, 5],
        cadence=table[:, 6],
        speed_mps=table[:, 7],
    )
    sport_value = element.get("Sport", "")
    sport = normalise_sport("tcx", sport_value)
    laps = _laps(laps_el, lap_starts, start)
    lap_distance = sum(lap.distance_m or 0.0 for lap in laps)
    distance = lap_distance or (float(streams.distance_m[-1]) if streams.distance_m is not None else None)
    timer = sum(lap.elapsed_s for lap in laps) or numeric.moving_time(streams.time_s, streams.distance_m)
    gain, loss = numeric.elevation_gain_loss(streams.altitude_m)
    raw: dict[str, object] = {
        "file": name,
        "format": "tcx",
        "sport": sport_value,
        "id": _child_text(element, "Id"),
        "creator": _child_text(_child(element, "Creator"), "Name"),
        "leg_index": index,
        "legs": legs,
        "samples": len(streams),
        "laps": [
            {
                "start": lap.get("StartTime"),
                "seconds": _float(_child_text(lap, "TotalTimeSeconds")),
                "distance_m": _float(_child_text(lap, "DistanceMeters")),
                "intensity": _child_text(lap, "Intensity"),
                "trigger": _child_text(lap, "TriggerMethod"),
            }
            for lap in laps_el
        ],
    }
    activity = Activity(
        source=Source.FILE,
        external_id=external_id(sha256, index, legs),
        sport=sport,
        sport_original=sport_value,
        start_utc=utc_from_unix(start),
        distance_m=distance,
        elapsed_s=float(streams.time_s[-1]),
        moving_s=timer,
        elevation_gain_m=gain,
        elevation_loss_m=loss,
        indoor=sport is Sport.TREADMILL_RUN or (not streams.has_gps and not distance),
        average_heart_rate=numeric.finite_mean(streams.heart_rate),
        max_heart_rate=numeric.finite_max(streams.heart_rate),
        streams=streams,
        laps=tuple(laps),
    )
    return ParsedActivity(activity=activity, raw=raw, source_name=name, content_sha256=sha256)


# Trackpoint fields by local tag name -> place in a row; 0 is the time. Cadence is kept apart from RunCadence
# (a row takes Cadence when the point has one, else RunCadence); only a point's first heart-rate Value counts.
_SLOTS = {
    "Time": 0,
    "LatitudeDegrees": 1,
    "LongitudeDegrees": 2,
    "AltitudeMeters": 3,
    "DistanceMeters": 4,
    "Value": 5,
    "Cadence": 6,
    "Speed": 7,
    "RunCadence": 8,
}


def _trackpoints(activity: ET.Element) -> list[tuple[float, ...]]:
    """(time, lat, lon, alt, distance, hr, cadence, speed) per timed trackpoint; missing values are NaN.

    The hot loop of a TCX import (issue 32): each distinct tag is named once (`slots`), not once per element."""
    nan = math.nan
    slots: dict[str, int] = {}  # full tag -> place in the row, -1 for the tags not read
    rows: list[tuple[float, ...]] = []
    for point in activity.iter(_namespace(activity.tag) + "Trackpoint"):
        row: list[float | None] = [None, nan, nan, nan, nan, nan, None, nan, nan]
        hr_seen = False
        for el in point.iter():
            slot = slots.get(el.tag)
            if slot is None:
                slot = slots[el.tag] = _SLOTS.get(_local(el.tag), -1)
            if slot <= 0:
                if slot == 0:
                    row[0] = _time(el.text)
                continue
            text = el.text
            if text is None or (slot == 5 and hr_seen):
                continue
            hr_seen = hr_seen or slot == 5
            row[slot] = _num(text)
        moment = row[0]
        if moment is None:
            continue
        cadence = row[6] if row[6] is not None else row[8]
        rows.append((moment, row[1], row[2], row[3], row[4], row[5], cadence, row[7]))  # type: ignore[arg-type]
    return rows


def _namespace(tag: str) -> str:
    """ "{uri}" of a tag, or "" for a document without a namespace."""
    return tag[: tag.index("}") + 1] if tag.startswith("{") else ""


def _child(element: ET.Element | None, name: str) -> ET.Element | None:
    if element is None:
        return None
    return next((el for el in element if _local(el.tag) == name), None)


def _child_text(element: ET.Element | None, name: str) -> str | None:
    child = _child(element, name)
    return None if child is None or child.text is None else child.text.strip()


def _float(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _num(text: str) -> float:
    value = _float(text)
    return math.nan if value is None else value


def _laps(laps_el: list[ET.Element], lap_starts: list[float | None], start: float) -> list[Lap]:
    """The <Lap> elements with a start and a duration, with their intensity and what ended them."""
    laps = []
    for lap, lap_start in zip(laps_el, lap_starts, strict=True):
        seconds = _float(_child_text(lap, "TotalTimeSeconds"))
        if lap_start is None or seconds is None:
            continue
        intensity = (_child_text(lap, "Intensity") or "").lower()
        trigger = (_child_text(lap, "TriggerMethod") or "").lower()
        laps.append(
            Lap(
                start_offset_s=lap_start - start,
                elapsed_s=seconds,
                distance_m=_float(_child_text(lap, "DistanceMeters")),
                moving_s=seconds,
                intensity=_INTENSITY.get(intensity),
                trigger=_TCX_TRIGGER.get(trigger),
            )
        )
    return laps
