"""GPX tracks -> one activity: the timed trackpoints of all tracks, in time order.

Untimed points (planned routes or a saved copy of the track) are left out: they carry no pace and would count the
route twice. The sport comes from the track's <type> (Strava writes "9" or "running"), else from a sport word in
the track name; a GPX that says neither is `Sport.OTHER`, since walks and hikes are recorded as GPX as often as runs
and calling them runs would put false flags on them.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import gpxpy
import gpxpy.gpx
import numpy as np

from syncd.domain.model import Activity, Source, Sport

from . import numeric
from .errors import FileImportError
from .parsed import ParsedActivity, external_id, make_streams, utc_from_unix
from .sports import normalise_sport
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
    """The timed trackpoints of a GPX file as one `ParsedActivity` (raises FileImportError on bad input)."""
    refuse_dtd(data, name, "GPX")
    try:
        doc = gpxpy.parse(data)
    except (gpxpy.gpx.GPXException, ValueError) as exc:
        raise FileImportError(name, f"not a readable GPX file ({_first_line(exc)})", _RE_EXPORT) from exc
    rows: list[tuple[float, float, float, float, float, float]] = []
    untimed = 0
    nan = float("nan")
    recorded = []
    for track in doc.tracks:
        before = len(rows)
        for segment in track.segments:
            for point in segment.points:
                if point.time is None:
                    untimed += 1
                    continue
                hr, cad = _extensions(point.extensions)
                ele = nan if point.elevation is None else float(point.elevation)
                rows.append((_unix(point.time), float(point.latitude), float(point.longitude), ele, hr, cad))
        if len(rows) > before:
            recorded.append(track)
    if not rows:
        problem = "GPX file has no samples (no timed trackpoints)"
        if untimed:
            problem = f"GPX file has {untimed} trackpoints but none has a time (a route, not a recording)"
        raise FileImportError(name, problem, _RE_EXPORT)
    table = np.array(rows, dtype=np.float64)
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
    track_type = next((str(t.type) for t in recorded if t.type), "")
    track_name = next((str(t.name) for t in recorded if t.name), "") or str(doc.name or "")
    sport, sport_from = _sport(track_type, track_name)
    gain, loss = numeric.elevation_gain_loss(streams.altitude_m)
    distance = float(streams.distance_m[-1]) if streams.distance_m is not None else None
    raw: dict[str, object] = {
        "file": name,
        "format": "gpx",
        "creator": doc.creator,
        "version": doc.version,
        "type": track_type,
        "track_name": track_name,
        "sport_from": sport_from,
        "tracks": len(doc.tracks),
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


def _sport(track_type: str, track_name: str) -> tuple[Sport, str]:
    if track_type:
        sport = normalise_sport("gpx", track_type)
        if sport is not Sport.OTHER:
            return sport, "type"
    for word in _WORD.findall(track_name.lower()):
        if word in _NAME_WORDS:
            return _NAME_WORDS[word], "name"
    return Sport.OTHER, "none"


def _extensions(extensions: list[Any]) -> tuple[float, float]:
    """Heart rate and cadence from Garmin's TrackPointExtension (any namespace prefix)."""
    hr = cad = float("nan")
    for ext in extensions:
        for element in ext.iter():
            tag = element.tag.rsplit("}", 1)[-1].lower()
            if tag in {"hr", "heartrate"} and element.text:
                hr = _float(element.text)
            elif tag in {"cad", "cadence"} and element.text:
                cad = _float(element.text)
    return hr, cad


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return float("nan")


def _unix(moment: datetime) -> float:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
