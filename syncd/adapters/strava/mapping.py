"""Strava JSON (SummaryActivity, DetailedActivity, StreamSet, Lap, DetailedGear) -> syncd's model.

Shapes follow Strava's published API (the swagger spec shipped in stravalib/tests/resources). Payloads are taken
as plain JSON, not stravalib's pydantic models: one unexpected value must not fail a whole page (stravalib #460),
and the raw payload is what we store. Anything malformed raises `PayloadError` naming the field, so the caller
logs the activity id and goes on with the others.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import numpy as np

from syncd.adapters.files.sports import is_indoor_sub_sport, normalise_sport
from syncd.adapters.payload import PayloadError, number
from syncd.domain.model import Activity, FloatArray, Gear, Lap, Source, Sport, Streams

STREAM_KEYS = ("time", "distance", "latlng", "altitude", "velocity_smooth", "heartrate", "cadence", "moving")


def _time(value: Any, key: str) -> datetime:
    if not isinstance(value, str):
        raise PayloadError(f"field {key!r} is missing or not a date-time string")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise PayloadError(f"field {key!r} is not an ISO date-time: {value[:40]!r}") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def activity_id(payload: Mapping[str, Any]) -> str:
    value = payload.get("id")
    if isinstance(value, bool) or not isinstance(value, (int, str)) or str(value) == "":
        raise PayloadError("activity without an 'id'")
    return str(value)


def sport_of(payload: Mapping[str, Any]) -> tuple[Sport, str]:
    """(Sport, Strava's own name); `sport_type` is the precise one (TrailRun), `type` the legacy coarse one."""
    original = payload.get("sport_type") or payload.get("type") or ""
    if not isinstance(original, str):
        original = str(original)
    sport = normalise_sport("strava", original) if original else Sport.OTHER
    if sport is Sport.RUN and payload.get("trainer"):
        sport = Sport.TREADMILL_RUN
    return sport, original


def is_private(payload: Mapping[str, Any]) -> bool:
    """ "Only me" on Strava: `visibility` == only_me (newer), or the legacy `private` flag."""
    visibility = payload.get("visibility")
    if isinstance(visibility, str):
        return visibility == "only_me"
    return bool(payload.get("private"))


def _gear_id(payload: Mapping[str, Any]) -> str | None:
    gear_id = payload.get("gear_id")
    if gear_id is None and isinstance(payload.get("gear"), Mapping):
        gear_id = payload["gear"].get("id")
    return str(gear_id) if gear_id else None


def _timezone_name(value: Any) -> str | None:
    """ "(GMT+01:00) Europe/Berlin" -> "Europe/Berlin"."""
    if not isinstance(value, str) or not value.strip():
        return None
    return value.rsplit(")", 1)[-1].strip() or None


def activity_from_payload(payload: Mapping[str, Any], streams: Streams | None = None) -> Activity:
    """A Summary- or DetailedActivity as an `Activity` (laps and description only come with the detail)."""
    ext_id = activity_id(payload)
    start = _time(payload.get("start_date"), "start_date")
    offset = 0
    if payload.get("start_date_local"):
        local = _time(payload.get("start_date_local"), "start_date_local")
        offset = round((local - start).total_seconds() / 60.0) * 60
        if abs(offset) > 14 * 3600:
            offset = 0
    sport, original = sport_of(payload)
    workout = payload.get("workout_type")
    description = payload.get("description")
    elev_gain = number(payload, "total_elevation_gain")
    return Activity(
        source=Source.STRAVA,
        external_id=ext_id,
        sport=sport,
        sport_original=original,
        start_utc=start,
        name=str(payload.get("name") or ""),
        utc_offset_s=offset,
        timezone_name=_timezone_name(payload.get("timezone")),
        distance_m=number(payload, "distance"),
        elapsed_s=number(payload, "elapsed_time"),
        moving_s=number(payload, "moving_time"),
        elevation_gain_m=elev_gain,
        gear_id=_gear_id(payload),
        description=description if isinstance(description, str) else None,
        workout_type=workout if isinstance(workout, int) and not isinstance(workout, bool) else None,
        indoor=bool(payload.get("trainer")) or is_indoor_sub_sport(original),
        private=is_private(payload),
        average_heart_rate=number(payload, "average_heartrate"),
        max_heart_rate=number(payload, "max_heartrate"),
        streams=streams,
        laps=laps_from_payload(payload.get("laps"), start),
        extra={"strava_detail": "description" in payload, "manual": bool(payload.get("manual"))},
    )


def laps_from_payload(laps: Any, activity_start: datetime) -> tuple[Lap, ...]:
    if not isinstance(laps, list):
        return ()
    out: list[Lap] = []
    for lap in laps:
        if not isinstance(lap, Mapping):
            continue
        try:
            lap_start = _time(lap.get("start_date"), "laps[].start_date")
            elapsed = number(lap, "elapsed_time")
        except PayloadError:
            continue
        if elapsed is None:
            continue
        out.append(
            Lap(
                start_offset_s=max((lap_start - activity_start).total_seconds(), 0.0),
                elapsed_s=elapsed,
                distance_m=number(lap, "distance"),
                moving_s=number(lap, "moving_time"),
            )
        )
    return tuple(out)


def _column(streams: Mapping[str, Any], key: str, n: int) -> FloatArray | None:
    entry = streams.get(key)
    if not isinstance(entry, Mapping) or not isinstance(entry.get("data"), list):
        return None
    data = [np.nan if v is None or isinstance(v, bool) else v for v in entry["data"]]
    if len(data) != n:
        return None  # a channel of another length cannot be aligned with time: leave it out
    try:
        return np.asarray(data, dtype=np.float64)
    except (TypeError, ValueError):
        return None


def streams_from_payload(payload: Any) -> Streams | None:
    """A `key_by_type=true` StreamSet -> Streams; None when there is no usable time channel (manual entries)."""
    if isinstance(payload, list):  # key_by_type=false: a list of {"type": ..., "data": ...}
        payload = {entry.get("type"): entry for entry in payload if isinstance(entry, Mapping)}
    if not isinstance(payload, Mapping):
        raise PayloadError("streams payload is not a JSON object")
    time_entry = payload.get("time")
    if not isinstance(time_entry, Mapping) or not isinstance(time_entry.get("data"), list) or not time_entry["data"]:
        return None
    n = len(time_entry["data"])
    time_s = _column(payload, "time", n)
    if time_s is None or not np.isfinite(time_s).all():
        return None
    lat = lon = None
    latlng = payload.get("latlng")
    if isinstance(latlng, Mapping) and isinstance(latlng.get("data"), list) and len(latlng["data"]) == n:
        pairs = [p if isinstance(p, list) and len(p) == 2 else [np.nan, np.nan] for p in latlng["data"]]
        try:
            grid = np.asarray(pairs, dtype=np.float64).reshape(n, 2)
            lat, lon = grid[:, 0].copy(), grid[:, 1].copy()
        except (TypeError, ValueError):
            lat = lon = None
    return Streams(
        time_s=time_s,
        distance_m=_column(payload, "distance", n),
        lat=lat,
        lon=lon,
        altitude_m=_column(payload, "altitude", n),
        speed_mps=_column(payload, "velocity_smooth", n),
        heart_rate=_column(payload, "heartrate", n),
        cadence=_column(payload, "cadence", n),  # per leg, as the file adapters keep it
    )


def gear_from_payload(payload: Mapping[str, Any]) -> Gear:
    gear_id = payload.get("id")
    if not gear_id:
        raise PayloadError("gear without an 'id'")
    name = payload.get("name") or " ".join(str(payload.get(k) or "") for k in ("brand_name", "model_name")).strip()
    distance = number(payload, "distance") or 0.0
    kind = "bike" if str(gear_id).startswith("b") else "shoe"
    return Gear(
        gear_id=str(gear_id), name=str(name), distance_m=distance, retired=bool(payload.get("retired")), kind=kind
    )
