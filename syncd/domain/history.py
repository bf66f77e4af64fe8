"""What rules need to know about an athlete's other activities: small summaries, not whole activities."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from syncd.domain.model import Activity, Sport


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One activity of the athlete as history: enough for load, weekly counts and the easy-pace baseline."""

    key: tuple[str, str]
    sport: Sport
    start_utc: datetime
    utc_offset_s: int
    duration_s: float
    distance_m: float | None = None
    average_heart_rate: float | None = None
    average_speed_mps: float | None = None
    workout_type: int | None = None

    @property
    def local_date(self) -> date:
        return (self.start_utc + timedelta(seconds=self.utc_offset_s)).date()


def summarize(activity: Activity) -> HistoryEntry:
    duration = activity.duration_s or 0.0
    speed = activity.distance_m / duration if activity.distance_m and duration else None
    return HistoryEntry(
        key=activity.key,
        sport=activity.sport,
        start_utc=activity.start_utc,
        utc_offset_s=activity.utc_offset_s,
        duration_s=duration,
        distance_m=activity.distance_m,
        average_heart_rate=activity.average_heart_rate,
        average_speed_mps=speed,
        workout_type=activity.workout_type,
    )
