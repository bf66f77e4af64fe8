"""Local time for recordings that carry only UTC (GPX, TCX, some FIT files): the route's first fix says where.

Weekly findings and the digest count calendar weeks in the athlete's own time zone; a Singapore morning run stored
as 23:00 the day before would land in the wrong day, sometimes the wrong week.
"""

from __future__ import annotations

import functools
from dataclasses import replace
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
from timezonefinder import TimezoneFinder

from syncd.domain.model import Activity


@functools.cache
def _finder() -> TimezoneFinder:
    return TimezoneFinder(in_memory=False)  # reads its shipped polygons lazily; ~0.2 s once per process


def with_local_time(activity: Activity) -> Activity:
    """The activity with `timezone_name` and `utc_offset_s` from its first GPS fix, when the file gave neither."""
    streams = activity.streams
    if activity.timezone_name or activity.utc_offset_s or streams is None or not streams.has_gps:
        return activity
    assert streams.lat is not None and streams.lon is not None
    fixes = np.flatnonzero(np.isfinite(streams.lat) & np.isfinite(streams.lon))
    lat, lon = float(streams.lat[fixes[0]]), float(streams.lon[fixes[0]])
    name = _finder().timezone_at(lng=lon, lat=lat)
    if name is None:  # open sea
        return activity
    try:
        offset = ZoneInfo(name).utcoffset(activity.start_utc)
    except ZoneInfoNotFoundError:
        return activity
    if offset is None:
        return activity
    return replace(activity, timezone_name=name, utc_offset_s=int(offset.total_seconds()))
