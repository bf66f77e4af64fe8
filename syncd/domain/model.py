"""The activity model every stage shares: plain, immutable data with no I/O.

Adapters (files, Strava, Garmin, the store) translate into these types; rules, notes and digests only ever see
these types. Units are SI throughout (metres, seconds, m/s); conversion to miles happens when rendering.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    FloatArray = npt.NDArray[np.float64]
    BoolArray = npt.NDArray[np.bool_]


def __getattr__(name: str) -> Any:
    """The array aliases are made on first use: a command that only reads settings (`syncd status`, `syncd pain`)
    imports this module for Sport and Activity and must not pay for numpy (issue 32)."""
    if name not in ("FloatArray", "BoolArray"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import numpy as np
    import numpy.typing as npt

    value = npt.NDArray[np.float64] if name == "FloatArray" else npt.NDArray[np.bool_]
    globals()[name] = value
    return value


class Sport(StrEnum):
    """One vocabulary for every platform; the platform's own value is kept beside it (`sport_original`)."""

    RUN = "run"
    TRAIL_RUN = "trail_run"
    TREADMILL_RUN = "treadmill_run"
    TRACK_RUN = "track_run"
    VIRTUAL_RUN = "virtual_run"
    RIDE = "ride"
    SWIM = "swim"
    WALK = "walk"
    HIKE = "hike"
    ELLIPTICAL = "elliptical"
    ROW = "row"
    STRENGTH = "strength"
    YOGA = "yoga"
    WORKOUT = "workout"  # a gym, HIIT, circuit or indoor-cardio class: Strava Workout/HIIT, Garmin hiit/indoor_cardio
    OTHER = "other"

    @property
    def is_run(self) -> bool:
        return self in RUN_SPORTS


# Activity.extra key: the sports (Sport values, in order) of the legs before this one in one multisport recording
# (a FIT triathlon or duathlon file: swim, ride, then this run).
MULTISPORT_AFTER = "multisport_after"
# Activity.extra key: the device's aerobic Training Effect for the session (0-5; a FIT session's
# total_training_effect), which the watch computes from heart rate against the runner's own profile.
TRAINING_EFFECT = "training_effect"

RUN_SPORTS: frozenset[Sport] = frozenset(
    {Sport.RUN, Sport.TRAIL_RUN, Sport.TREADMILL_RUN, Sport.TRACK_RUN, Sport.VIRTUAL_RUN}
)
# RISK-FACTS.md: "ride, swim, elliptical, walk, row, aqua-jog" count as low-impact sessions.
LOW_IMPACT_SPORTS: frozenset[Sport] = frozenset(
    {Sport.RIDE, Sport.SWIM, Sport.WALK, Sport.HIKE, Sport.ELLIPTICAL, Sport.ROW}
)
# RISK-FACTS.md: core/strength sessions (abdominals, hip flexors, glutes). Yoga, Pilates, flexibility and
# gym/HIIT workouts are counted as core work: they are what platforms call the sessions that build it.
STRENGTH_SPORTS: frozenset[Sport] = frozenset({Sport.STRENGTH, Sport.YOGA, Sport.WORKOUT})


def sport_category(sport: Sport) -> str:
    """ "run", "low_impact", "strength" or "other": what the sport counts as in the weekly targets."""
    if sport.is_run:
        return "run"
    if sport in LOW_IMPACT_SPORTS:
        return "low_impact"
    if sport in STRENGTH_SPORTS:
        return "strength"
    return "other"


class Source(StrEnum):
    STRAVA = "strava"
    GARMIN = "garmin"
    FILE = "file"


@dataclass(frozen=True, slots=True, eq=False)
class Streams:
    """Columnar samples of one activity. `time_s` is seconds since the start; absent channels are None.

    Within a present channel a missing sample is NaN, so every channel has the length of `time_s`.
    """

    time_s: FloatArray
    distance_m: FloatArray | None = None
    lat: FloatArray | None = None
    lon: FloatArray | None = None
    altitude_m: FloatArray | None = None
    speed_mps: FloatArray | None = None
    heart_rate: FloatArray | None = None
    cadence: FloatArray | None = None

    CHANNELS = ("time_s", "distance_m", "lat", "lon", "altitude_m", "speed_mps", "heart_rate", "cadence")

    def __post_init__(self) -> None:
        n = len(self.time_s)
        for name in self.CHANNELS[1:]:
            column = getattr(self, name)
            if column is not None and len(column) != n:
                raise ValueError(f"stream {name} has {len(column)} samples, time has {n}")

    def __len__(self) -> int:
        return len(self.time_s)

    @property
    def has_gps(self) -> bool:
        import numpy as np  # streams exist only where numpy is already loaded

        return (
            self.lat is not None
            and self.lon is not None
            and bool(np.isfinite(self.lat).any() and np.isfinite(self.lon).any())
        )

    def channel(self, name: str) -> FloatArray | None:
        column: FloatArray | None = getattr(self, name)
        return column

    def channels(self) -> dict[str, FloatArray]:
        """The present channels by name (for storage)."""
        return {name: col for name in self.CHANNELS if (col := getattr(self, name)) is not None}

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Streams):
            return NotImplemented
        import numpy as np

        mine, theirs = self.channels(), other.channels()
        return mine.keys() == theirs.keys() and all(np.array_equal(mine[k], theirs[k], equal_nan=True) for k in mine)

    __hash__ = None  # type: ignore[assignment]


@dataclass(frozen=True, slots=True)
class Lap:
    """A lap as the device or platform recorded it; `intensity` is "active", "rest", "warmup", "cooldown" or None.

    `trigger` says what ended the lap: "manual" (the runner pressed lap: a rep or a recovery), "distance", "time"
    or "position" (auto laps: splits, not structure), "session_end", or None when the source does not say.
    """

    start_offset_s: float
    elapsed_s: float
    distance_m: float | None = None
    moving_s: float | None = None
    intensity: str | None = None
    trigger: str | None = None

    @property
    def usable(self) -> bool:
        """A lap with a positive, finite duration and a distance that is absent or not negative (bad payloads
        carry zero or negative laps: they say nothing about the run)."""
        duration = self.moving_s or self.elapsed_s
        if not (math.isfinite(duration) and duration > 0):
            return False
        return self.distance_m is None or (math.isfinite(self.distance_m) and self.distance_m >= 0)

    @property
    def speed_mps(self) -> float | None:
        duration = self.moving_s or self.elapsed_s
        if self.distance_m is None or not duration:
            return None
        return self.distance_m / duration


@dataclass(frozen=True, slots=True)
class Gear:
    """A pair of shoes (or other kit). `limit_m` is the per-item maximum the platform carries, if any."""

    gear_id: str
    name: str
    distance_m: float
    limit_m: float | None = None
    retired: bool = False
    kind: str = "shoe"


@dataclass(frozen=True, slots=True)
class Activity:
    """One recorded activity. `start_utc` is timezone-aware UTC; `utc_offset_s` gives the athlete's local time."""

    source: Source
    external_id: str
    sport: Sport
    sport_original: str
    start_utc: datetime
    name: str = ""
    utc_offset_s: int = 0
    timezone_name: str | None = None
    distance_m: float | None = None
    elapsed_s: float | None = None
    moving_s: float | None = None
    elevation_gain_m: float | None = None
    elevation_loss_m: float | None = None
    gear_id: str | None = None
    description: str | None = None
    workout_type: int | None = None
    indoor: bool = False
    private: bool = False
    average_heart_rate: float | None = None
    max_heart_rate: float | None = None
    streams: Streams | None = None
    laps: tuple[Lap, ...] = ()
    extra: Mapping[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.start_utc.tzinfo is None:
            raise ValueError("start_utc must be timezone-aware")

    @property
    def start_local(self) -> datetime:
        """Local wall-clock time as a naive datetime (what the athlete saw on their watch)."""
        return (self.start_utc + timedelta(seconds=self.utc_offset_s)).replace(tzinfo=None)

    @property
    def duration_s(self) -> float | None:
        return self.moving_s if self.moving_s is not None else self.elapsed_s

    @property
    def has_gps(self) -> bool:
        return self.streams is not None and self.streams.has_gps

    @property
    def key(self) -> tuple[str, str]:
        return (self.source.value, self.external_id)


def utc(dt: datetime) -> datetime:
    """Normalise a datetime to aware UTC (naive values are taken to be UTC already)."""
    if dt.tzinfo is None:
        return dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)
