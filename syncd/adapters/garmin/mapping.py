"""Garmin Connect JSON (activity list item, activity, details metrics, splits, gear + gear stats) -> the model.

Shapes are those garminconnect's endpoints return: the list (`activitylist-service`) is flat (`activityType`,
`startTimeGMT` "YYYY-MM-DD HH:MM:SS", `distance`, `duration`, ...); one activity (`activity-service`) nests the
numbers in `summaryDTO` and the type in `activityTypeDTO`. Details are positional: `metricDescriptors` name the
index of each metric inside every `activityDetailMetrics[].metrics` row. Payloads are read as plain JSON; anything
malformed raises `PayloadError` naming the field, so the caller logs the activity id and goes on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np

from syncd.adapters.files.sports import is_indoor_sub_sport, normalise_sport
from syncd.adapters.payload import PayloadError, number
from syncd.domain.model import Activity, FloatArray, Gear, Lap, Source, Sport, Streams

# Running cadence per leg (what FIT files and Strava give) never gets near this; Garmin's "steps per minute"
# (both legs) always does. Above it, the channel is halved.
_PER_LEG_MAX = 120.0
_INTENSITY = {"active": "active", "interval": "active", "rest": "rest", "recovery": "rest", "warmup": "warmup"}
_INTENSITY |= {"cooldown": "cooldown"}


def _naive_time(value: Any, key: str) -> datetime | None:
    """Garmin writes "2026-11-23 07:00:00" (list) or "2026-11-23T07:00:00.0" (activity), without a zone."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise PayloadError(f"field {key!r} is not a date-time string")
    try:
        return datetime.fromisoformat(value.strip().replace("Z", "")).replace(tzinfo=None)
    except ValueError:
        raise PayloadError(f"field {key!r} is not a date-time: {value[:40]!r}") from None


def activity_id(payload: Mapping[str, Any]) -> str:
    value = payload.get("activityId")
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).strip():
        raise PayloadError("activity without an 'activityId'")
    return str(value).strip()


def flatten(payload: Mapping[str, Any]) -> dict[str, Any]:
    """One view of a list item or an activity: `summaryDTO` numbers and `activityTypeDTO` pulled to the top."""
    flat: dict[str, Any] = {}
    summary = payload.get("summaryDTO")
    if isinstance(summary, Mapping):
        flat.update(summary)
    flat.update({k: v for k, v in payload.items() if k != "summaryDTO"})
    if not isinstance(flat.get("activityType"), Mapping) and isinstance(payload.get("activityTypeDTO"), Mapping):
        flat["activityType"] = payload["activityTypeDTO"]
    if not isinstance(flat.get("privacy"), Mapping) and isinstance(payload.get("accessControlRuleDTO"), Mapping):
        flat["privacy"] = payload["accessControlRuleDTO"]
    return flat


def type_key(payload: Mapping[str, Any]) -> str:
    kind = flatten(payload).get("activityType")
    key = kind.get("typeKey") if isinstance(kind, Mapping) else None
    return str(key) if isinstance(key, str) else ""


def sport_of(payload: Mapping[str, Any]) -> tuple[Sport, str]:
    """(Sport, Garmin's typeKey); e.g. trail_running -> TRAIL_RUN, treadmill_running -> TREADMILL_RUN."""
    key = type_key(payload)
    return (normalise_sport("garmin", key) if key else Sport.OTHER), key


def is_private(payload: Mapping[str, Any]) -> bool:
    privacy = flatten(payload).get("privacy")
    return isinstance(privacy, Mapping) and privacy.get("typeKey") == "private"


def start_of(payload: Mapping[str, Any]) -> tuple[datetime, int]:
    """(start in UTC, local offset in seconds)."""
    flat = flatten(payload)
    gmt = _naive_time(flat.get("startTimeGMT"), "startTimeGMT")
    if gmt is None:
        begin = number(flat, "beginTimestamp")
        if begin is None:
            raise PayloadError("field 'startTimeGMT' is missing")
        start = datetime.fromtimestamp(begin / 1000.0, UTC)
    else:
        start = gmt.replace(tzinfo=UTC)
    local = _naive_time(flat.get("startTimeLocal"), "startTimeLocal")
    offset = 0
    if local is not None:
        offset = round((local - start.replace(tzinfo=None)).total_seconds() / 60.0) * 60
        if abs(offset) > 14 * 3600:
            offset = 0
    return start, offset


def activity_from_payload(
    payload: Mapping[str, Any],
    *,
    streams: Streams | None = None,
    laps: tuple[Lap, ...] = (),
    gear_id: str | None = None,
) -> Activity:
    """A list item or an activity as an `Activity` (description comes with the activity, laps with the splits)."""
    ext_id = activity_id(payload)
    flat = flatten(payload)
    start, offset = start_of(payload)
    sport, original = sport_of(payload)
    description = flat.get("description")
    zone = flat.get("timeZoneUnitDTO")
    zone_name = zone.get("timeZone") if isinstance(zone, Mapping) else None
    metadata = flat.get("metadataDTO")
    manual = bool(flat.get("manualActivity")) or (
        isinstance(metadata, Mapping) and bool(metadata.get("manualActivity"))
    )
    elapsed = number(flat, "elapsedDuration") or number(flat, "duration")
    return Activity(
        source=Source.GARMIN,
        external_id=ext_id,
        sport=sport,
        sport_original=original,
        start_utc=start,
        name=str(flat.get("activityName") or ""),
        utc_offset_s=offset,
        timezone_name=zone_name if isinstance(zone_name, str) and zone_name else None,
        distance_m=number(flat, "distance"),
        elapsed_s=elapsed,
        moving_s=number(flat, "movingDuration") or number(flat, "duration"),
        elevation_gain_m=number(flat, "elevationGain"),
        elevation_loss_m=number(flat, "elevationLoss"),
        gear_id=gear_id,
        description=description if isinstance(description, str) else None,
        indoor=sport in (Sport.TREADMILL_RUN, Sport.VIRTUAL_RUN) or is_indoor_sub_sport(original),
        private=is_private(payload),
        average_heart_rate=number(flat, "averageHR"),
        max_heart_rate=number(flat, "maxHR"),
        streams=streams,
        laps=laps,
        extra={"garmin_detail": "summaryDTO" in payload, "manual": manual},
    )


def laps_from_payload(splits: Any, activity_start: datetime) -> tuple[Lap, ...]:
    """`lapDTOs` of the splits answer -> Laps (offset from the activity start, intensity in our vocabulary)."""
    rows = splits.get("lapDTOs") if isinstance(splits, Mapping) else splits
    if not isinstance(rows, list):
        return ()
    out: list[Lap] = []
    for lap in rows:
        if not isinstance(lap, Mapping):
            continue
        try:
            lap_start = _naive_time(lap.get("startTimeGMT"), "lapDTOs[].startTimeGMT")
            elapsed = number(lap, "elapsedDuration") or number(lap, "duration")
            distance, moving = number(lap, "distance"), number(lap, "movingDuration")
        except PayloadError:
            continue
        if lap_start is None or elapsed is None:
            continue
        intensity = str(lap.get("intensityType") or "").lower() or None
        out.append(
            Lap(
                start_offset_s=max((lap_start.replace(tzinfo=UTC) - activity_start).total_seconds(), 0.0),
                elapsed_s=elapsed,
                distance_m=distance,
                moving_s=moving,
                intensity=_INTENSITY.get(intensity) if intensity else None,
            )
        )
    return tuple(out)


def _indices(details: Mapping[str, Any]) -> dict[str, int]:
    found: dict[str, int] = {}
    for descriptor in details.get("metricDescriptors") or []:
        if not isinstance(descriptor, Mapping):
            continue
        key, index = descriptor.get("key"), descriptor.get("metricsIndex")
        if isinstance(key, str) and isinstance(index, int) and not isinstance(index, bool) and index >= 0:
            found[key] = index
    return found


def _matrix(rows: Sequence[Any], width: int) -> FloatArray:
    """Rows of positional metrics as an (n, width) float matrix; missing or non-numeric values are NaN."""
    grid = np.full((len(rows), width), np.nan, dtype=np.float64)
    for r, row in enumerate(rows):
        metrics = row.get("metrics") if isinstance(row, Mapping) else None
        if not isinstance(metrics, list):
            continue
        for c, value in enumerate(metrics[:width]):
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                grid[r, c] = float(value)
    return grid


def streams_from_details(details: Any, activity_start: datetime) -> Streams | None:
    """`metricDescriptors` + `activityDetailMetrics` -> the same channels as Strava's streams; None without time."""
    if not isinstance(details, Mapping):
        raise PayloadError("details payload is not a JSON object")
    rows = details.get("activityDetailMetrics")
    index = _indices(details)
    if not isinstance(rows, list) or not rows or not index:
        return None
    grid = _matrix(rows, max(index.values()) + 1)

    def column(*keys: str) -> FloatArray | None:
        for key in keys:
            if key in index:
                values = grid[:, index[key]]
                if np.isfinite(values).any():
                    return values
        return None

    stamps = column("directTimestamp")
    if stamps is not None:
        time_s = (stamps - activity_start.timestamp() * 1000.0) / 1000.0
    else:
        time_s = column("sumElapsedDuration", "sumDuration")  # type: ignore[assignment]
    if time_s is None:
        return None
    keep = np.isfinite(time_s)
    if not keep.any():
        return None
    order = np.argsort(time_s[keep], kind="stable")

    def pick(values: FloatArray | None) -> FloatArray | None:
        return None if values is None else values[keep][order].copy()

    cadence = column("directRunCadence")
    if cadence is None and (double := column("directDoubleCadence")) is not None:
        cadence = double / 2.0
    if cadence is not None and np.isfinite(cadence).any() and float(np.nanmedian(cadence)) > _PER_LEG_MAX:
        cadence = cadence / 2.0
    lat, lon = column("directLatitude"), column("directLongitude")
    if lat is None or lon is None:
        lat = lon = None
    return Streams(
        time_s=time_s[keep][order].copy(),
        distance_m=pick(column("sumDistance")),
        lat=pick(lat),
        lon=pick(lon),
        altitude_m=pick(column("directElevation", "directAltitude")),
        speed_mps=pick(column("directSpeed", "directEnhancedSpeed")),
        heart_rate=pick(column("directHeartRate")),
        cadence=pick(cadence),
    )


def gear_from_payload(gear: Mapping[str, Any], stats: Mapping[str, Any] | None = None) -> Gear:
    """A gear item (`filterGear`) plus its stats -> Gear; `maximumMeters` is the athlete's own limit for it."""
    uuid = gear.get("uuid")
    if not isinstance(uuid, str) or not uuid:
        raise PayloadError("gear without a 'uuid'")
    name = gear.get("displayName") or gear.get("customMakeModel") or "Garmin gear"
    distance = (number(stats, "totalDistance") if stats else None) or 0.0
    limit = number(gear, "maximumMeters")
    kind = "shoe" if str(gear.get("gearTypeName") or "").lower() in ("shoes", "shoe") else "other"
    return Gear(
        gear_id=uuid,
        name=str(name),
        distance_m=distance,
        limit_m=limit if limit and limit > 0 else None,
        retired=str(gear.get("gearStatusName") or "").lower() == "retired",
        kind=kind,
    )


def shoe_of(gear_list: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The shoe among an activity's gear (a run can also carry a watch strap or a pod: those are not shoes)."""
    for gear in gear_list:
        if str(gear.get("gearTypeName") or "").lower() in ("shoes", "shoe") and gear.get("uuid"):
            return gear
    return None
