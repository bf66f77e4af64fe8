"""Synthetic 1 Hz runs for benchmarks: realistic shape (hills, intervals, GPS jitter), deterministic per seed."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np

from syncd.domain.history import HistoryEntry, summarize
from syncd.domain.model import Activity, Source, Sport, Streams


def one_hour_run(seed: int, *, start: datetime | None = None, samples: int = 3600) -> Activity:
    rng = np.random.default_rng(seed)
    t = np.arange(samples, dtype=np.float64)
    base = 2.9 + 0.3 * rng.random()
    speed = base + 0.15 * rng.standard_normal(samples)
    if seed % 3 == 0:  # every third run has 6 x 2 min fast reps
        for rep in range(6):
            begin = 900 + rep * 300
            speed[begin : begin + 120] += 1.2
    speed = np.clip(speed, 0.5, 7.0)
    distance = np.cumsum(speed)
    hill = 40 * np.sin(distance / 1500.0 + seed) + 60
    altitude = hill + rng.normal(0, 1.5, samples)
    heading = rng.random() * 2 * np.pi
    metres_per_deg = 111_320.0
    lat = 49.4 + np.cos(heading) * distance / metres_per_deg + rng.normal(0, 2e-5, samples)
    lon = 8.7 + np.sin(heading) * distance / (metres_per_deg * 0.65) + rng.normal(0, 2e-5, samples)
    heart_rate = np.clip(130 + 12 * (speed - base) + rng.normal(0, 3, samples), 80, 200)
    cadence = np.clip(84 + 4 * (speed - base) + rng.normal(0, 1, samples), 60, 110)
    begin = start or datetime(2026, 10, 1, 7, 0, tzinfo=UTC) + timedelta(hours=seed * 13)
    streams = Streams(
        time_s=t,
        distance_m=distance,
        lat=lat,
        lon=lon,
        altitude_m=altitude,
        speed_mps=speed,
        heart_rate=heart_rate,
        cadence=cadence,
    )
    return Activity(
        source=Source.FILE,
        external_id=f"bench-{seed}",
        sport=Sport.RUN,
        sport_original="running",
        start_utc=begin,
        name=f"bench run {seed}",
        distance_m=float(distance[-1]),
        elapsed_s=float(samples),
        moving_s=float(samples),
        average_heart_rate=float(heart_rate.mean()),
        streams=streams,
    )


def history_for(activity: Activity, count: int = 40) -> list[HistoryEntry]:
    """About six weeks of mixed training before `activity` (runs, rides, strength) as summaries."""
    entries = []
    sports = (Sport.RUN, Sport.RUN, Sport.RIDE, Sport.RUN, Sport.STRENGTH)
    for i in range(count):
        start = activity.start_utc - timedelta(hours=25 * (i + 1))
        sport = sports[i % len(sports)]
        entries.append(
            HistoryEntry(
                key=("file", f"h{i}"),
                sport=sport,
                start_utc=start,
                utc_offset_s=0,
                duration_s=2400.0 + 300 * (i % 4),
                distance_m=8000.0 if sport is Sport.RUN else None,
                average_speed_mps=3.0 + 0.1 * (i % 5) if sport is Sport.RUN else None,
            )
        )
    entries.append(summarize(activity))
    return entries


# What devices store (FIT profile resolutions): stored channels are then decimals, as in real recordings, and the
# streams codec packs them as small integers instead of float bit patterns.
DEVICE_DIGITS = {"lat": 7, "lon": 7, "altitude_m": 1, "speed_mps": 3, "heart_rate": 0, "cadence": 0, "distance_m": 2}


def at_device_precision(activity: Activity) -> Activity:
    """`activity` with its streams rounded the way a watch records them."""
    streams = activity.streams
    if streams is None:
        return activity
    columns = streams.channels()
    rounded = {
        name: np.round(column, DEVICE_DIGITS[name]) if name in DEVICE_DIGITS else column
        for name, column in columns.items()
    }
    return replace(activity, streams=Streams(**rounded))
