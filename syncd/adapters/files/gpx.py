"""GPX tracks -> one activity: the timed trackpoints of all tracks, in time order.

Read with the standard library's ElementTree after refusing any DTD, like the TCX reader (gpxpy builds an object
per point and deep-copies its extensions: ~3x slower, and it only served as the reference in the tests); files in
the shape exporters write have their points read by the scanner (gpx_scan, xmlscan: ~1.5x the files per second,
issue 32), the same values to the bit.

Untimed points (planned routes or a saved copy of the track) are left out: they carry no pace and would count the
route twice. The sport comes from the track's <type> (Strava writes "9" or "running"), else from a sport word in
the track name; a GPX that says neither is `Sport.OTHER`, since walks and hikes are recorded as GPX as often as runs
and calling them runs would put false flags on them.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET

import numpy as np

from syncd.domain.model import Activity, Source, Sport

from . import numeric
from .errors import FileImportError
from .gpx_scan import GpxRead, scan_gpx
from .parsed import ParsedActivity, external_id, make_streams, utc_from_unix
from .sports import normalise_sport
from .xmlsafe import iso_seconds as _time
from .xmlsafe import local_name as _local
from .xmlsafe import refuse_dtd

_NAME_WORDS: dict[str, Sport] = {
    "run": Sport.RUN,
    "running": Sport.RUN,
    "jog": Sport.RUN,
    "walk": Sport.WALK,
    "walking": Sport.WALK,
    "hike": Sport.HIKE,
    "hiking": Sport.HIKE,
    "ride": Sport.RIDE,
    "cycling": Sport.RIDE,
    "swim": Sport.SWIM,
}
_WORD = re.compile(r"[a-z]+")
_RE_EXPORT = "export the recorded activity (with timestamps) again from the device or platform"


def parse_gpx(data: bytes, name: str, sha256: str) -> list[ParsedActivity]:
    """The timed trackpoints of a GPX file as one `ParsedActivity` (raises FileImportError on bad input).

    Files in the common shape take the scanner (xmlscan, gpx_scan); any other file, and any file the scanner
    leaves, the tree: both give the same table to the bit (tests/integration/test_xml_golden.py)."""
    refuse_dtd(data, name, "GPX")
    read = scan_gpx(data) or _read_tree(data, name)
    root, tracks, table, untimed, recorded = read
    ns = root.tag[: root.tag.index("}") + 1] if root.tag.startswith("{") else ""
    if not len(table):
        problem = "GPX file has no samples (no timed trackpoints)"
        if untimed:
            problem = f"GPX file has {untimed} trackpoints but none has a time (a route, not a recording)"
        raise FileImportError(name, problem, _RE_EXPORT)
    table = table[np.argsort(table[:, 0], kind="stable")]
    start = float(table[0, 0])
    streams = make_streams(
        table[:, 0] - start,
        lat=table[:, 1],
        lon=table[:, 2],
        altitude_m=table[:, 3],
        heart_rate=table[:, 4],
        cadence=table[:, 5],
    )
    track_type = next((t for t in (_text(track, f"{ns}type") for track in recorded) if t), "")
    doc_name = _text(root, f"{ns}metadata/{ns}name") or _text(root, f"{ns}name")
    track_name = next((t for t in (_text(track, f"{ns}name") for track in recorded) if t), "") or doc_name
    sport, sport_from = _sport(track_type, track_name)
    gain, loss = numeric.elevation_gain_loss(streams.altitude_m)
    distance = float(streams.distance_m[-1]) if streams.distance_m is not None else None
    raw: dict[str, object] = {
        "file": name,
        "format": "gpx",
        "creator": root.get("creator"),
        "version": root.get("version"),
        "type": track_type,
        "track_name": track_name,
        "sport_from": sport_from,
        "tracks": len(tracks),
        "samples": len(streams),
        "untimed_points_skipped": untimed,
    }
    activity = Activity(
        source=Source.FILE,
        external_id=external_id(sha256, 0, 1),
        sport=sport,
        sport_original=track_type,
        start_utc=utc_from_unix(start),
        name=track_name,
        distance_m=distance,
        elapsed_s=float(streams.time_s[-1]),
        moving_s=numeric.moving_time(streams.time_s, streams.distance_m),
        elevation_gain_m=gain,
        elevation_loss_m=loss,
        indoor=False,
        average_heart_rate=numeric.finite_mean(streams.heart_rate),
        max_heart_rate=numeric.finite_max(streams.heart_rate),
        streams=streams,
    )
    return [ParsedActivity(activity=activity, raw=raw, source_name=name, content_sha256=sha256)]


def _read_tree(data: bytes, name: str) -> GpxRead:
    """The whole document through ElementTree: the reader for every file the scanner does not take."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise FileImportError(name, f"not a readable GPX file (XML error: {exc})", _RE_EXPORT) from exc
    ns = root.tag[: root.tag.index("}") + 1] if root.tag.startswith("{") else ""
    if root.tag[len(ns) :] != "gpx":
        raise FileImportError(name, f"not a readable GPX file (the document is <{_local(root.tag)}>)", _RE_EXPORT)
    tracks = root.findall(f"{ns}trk")
    rows: list[tuple[float, float, float, float, float, float]] = []
    untimed = 0
    recorded = []
    for track in tracks:
        before = len(rows)
        for segment in track.iterfind(f"{ns}trkseg"):
            untimed += _points(segment, ns, rows, name)
        if len(rows) > before:
            recorded.append(track)
    return root, tracks, np.array(rows, dtype=np.float64).reshape(-1, 6), untimed, recorded


def _sport(track_type: str, track_name: str) -> tuple[Sport, str]:
    if track_type:
        sport = normalise_sport("gpx", track_type)
        if sport is not Sport.OTHER:
            return sport, "type"
    for word in _WORD.findall(track_name.lower()):
        if word in _NAME_WORDS:
            return _NAME_WORDS[word], "name"
    return Sport.OTHER, "none"


def _points(
    segment: ET.Element, ns: str, rows: list[tuple[float, float, float, float, float, float]], name: str
) -> int:
    """Append (time, lat, lon, ele, hr, cadence) per timed <trkpt>; returns how many had no usable time.

    The hot loop of a GPX import (issue 32): direct children by tag comparison (no ElementPath generator per
    segment), one pass over each point's children, the extension kinds looked up in a dict."""
    nan = math.nan
    point_tag, time_tag, ele_tag, ext_tag = f"{ns}trkpt", f"{ns}time", f"{ns}ele", f"{ns}extensions"
    kinds = _EXTENSION_KIND
    untimed = 0
    for point in segment:
        if point.tag != point_tag:
            continue
        moment: float | None = None
        ele = hr = cad = nan
        for child in point:  # one pass over the point's children (findtext per field would rescan them)
            tag = child.tag
            if tag == time_tag:
                moment = _time(child.text)
            elif tag == ele_tag:
                ele = float(child.text) if child.text else nan  # not a number: the file is refused
            elif tag == ext_tag:
                for element in child.iter():  # Garmin's TrackPointExtension (any namespace prefix)
                    text = element.text
                    if text:
                        kind = kinds.get(element.tag) or _extension_kind(element.tag)
                        if kind == "hr":
                            hr = _float(text)
                        elif kind == "cad":
                            cad = _float(text)
        if moment is None:
            untimed += 1
            continue
        try:
            lat, lon = float(point.attrib["lat"]), float(point.attrib["lon"])
        except (KeyError, ValueError):
            raise FileImportError(
                name, "GPX trackpoint without a valid lat/lon", "export the activity again from the device"
            ) from None
        rows.append((moment, lat, lon, ele, hr, cad))
    return untimed


# Extension tags by full (namespaced) name -> "hr", "cad" or "-" (neither): exporters use a handful of namespaces,
# so the local-name test runs once per distinct tag instead of once per element.
_EXTENSION_KIND: dict[str, str] = {}


def _extension_kind(tag: str) -> str:
    kind = _EXTENSION_KIND.get(tag)
    if kind is None:
        local = _local(tag).lower()
        kind = "hr" if local in {"hr", "heartrate"} else "cad" if local in {"cad", "cadence"} else "-"
        if len(_EXTENSION_KIND) < 1024:  # bounded: a hostile file cannot grow it without limit
            _EXTENSION_KIND[tag] = kind
    return kind


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return math.nan


def _text(element: ET.Element, path: str) -> str:
    found = element.findtext(path)
    return found.strip() if found else ""
