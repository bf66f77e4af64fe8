"""What a file import yields, and the small builders every format shares.

`raw` keeps a JSON summary of what the file said (not the samples) so the store can re-derive activities later
without the original file.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np

from syncd.domain.gps_distance import track_distance
from syncd.domain.model import Activity, FloatArray, Streams

from . import numeric

# FIT "system time": timestamps below this count from device power-on, not from 1989 (FIT profile, date_time).
FIT_EPOCH_UNIX = 631_065_600
FIT_SYSTEM_TIME_LIMIT_UNIX = FIT_EPOCH_UNIX + 0x10000000
MAX_UTC_OFFSET_S = 14 * 3600


@dataclass(frozen=True)
class ParsedActivity:
    """One activity from a file, ready for the store; `external_id` of `activity` derives from `content_sha256`."""

    activity: Activity
    raw: dict[str, object]
    source_name: str
    content_sha256: str


def external_id(sha256: str, leg_index: int, legs: int) -> str:
    """Stable id from content: the hash alone, or "<hash>:<leg>" when one file holds several activities."""
    return sha256 if legs == 1 else f"{sha256}:{leg_index}"


def utc_from_unix(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


def clock_suspect(start_unix: float) -> bool:
    """True when the start is a FIT device-relative time (before mid-1998), not a real date."""
    return start_unix < FIT_SYSTEM_TIME_LIMIT_UNIX


def plausible_offset(local_minus_utc: float | None) -> int:
    """A UTC offset in seconds if it looks like a real time zone (|x| <= 14 h), else 0."""
    if local_minus_utc is None or not math.isfinite(local_minus_utc) or abs(local_minus_utc) > MAX_UTC_OFFSET_S:
        return 0
    return round(local_minus_utc / 60.0) * 60


def make_streams(
    time_s: FloatArray,
    *,
    distance_m: FloatArray | None = None,
    lat: FloatArray | None = None,
    lon: FloatArray | None = None,
    altitude_m: FloatArray | None = None,
    speed_mps: FloatArray | None = None,
    heart_rate: FloatArray | None = None,
    cadence: FloatArray | None = None,
) -> Streams:
    """Streams with absent channels as None, (0, 0) fixes as missing and distance made monotonic.

    Distance comes from the file when it has one, else from the smoothed GPS track (domain/gps_distance.py).
    """
    lat, lon = numeric.present(lat), numeric.present(lon)
    if lat is not None and lon is not None:
        null_island = (lat == 0.0) & (lon == 0.0)
        if null_island.any():
            lat, lon = lat.copy(), lon.copy()
            lat[null_island] = np.nan
            lon[null_island] = np.nan
            lat, lon = numeric.present(lat), numeric.present(lon)
    if lat is None or lon is None:
        lat = lon = None
    distance = numeric.present(distance_m)
    if distance is None and lat is not None and lon is not None:
        distance = track_distance(np.asarray(time_s, dtype=np.float64), lat, lon)
    if distance is not None:
        distance = numeric.monotonic_distance(distance)
    heart_rate = numeric.present(heart_rate)
    if heart_rate is not None and (heart_rate <= 0).any():  # 0 bpm means "no strap", not a reading
        heart_rate = numeric.present(np.where(heart_rate > 0, heart_rate, np.nan))
    return Streams(
        time_s=np.asarray(time_s, dtype=np.float64),
        distance_m=distance,
        lat=lat,
        lon=lon,
        altitude_m=numeric.present(altitude_m),
        speed_mps=numeric.present(speed_mps),
        heart_rate=heart_rate,
        cadence=numeric.present(cadence),
    )


def json_safe(value: object) -> object:
    """A JSON-serialisable copy: str keys, finite numbers, lists; bytes and odd objects are dropped (None)."""
    if value is None or isinstance(value, bool | str | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, np.generic):
        return json_safe(value.item())
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Mapping):
        out = {str(k): json_safe(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v is not None}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return None


def summary(message: Mapping[Any, object]) -> dict[str, object]:
    """The named, JSON-safe fields of a decoded message (unnamed manufacturer fields are dropped)."""
    named = {k: v for k, v in message.items() if isinstance(k, str) and not k.startswith("unknown")}
    safe = json_safe(named)
    assert isinstance(safe, dict)
    return safe
