"""The one plausibility check every parsed activity passes before it is stored, whatever its format.

Why one place: the FIT, GPX and TCX readers each turn bytes into a `ParsedActivity`; what makes a recording absurd
(a clock that says 1971, a span of 55 years, coordinates that are NaN, infinite or off the globe, a million
kilometres) is the same for all of them. An absurd recording is refused with one line instead of being stored,
because everything downstream (resampling by time or distance, JSON, local time) sizes itself from these values:
two trackpoints 55 years apart resampled every second are 1.7 billion samples.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np

from syncd.domain.model import Activity, Streams

from .errors import FileImportError
from .parsed import FIT_EPOCH_UNIX, ParsedActivity

# The longest recording worth annotating: multi-day ultras and bikepacking legs fit, a wrong clock does not.
MAX_SPAN_S = 7 * 86_400
# FIT's epoch (1989-12-31): no consumer GPS device recorded earlier, and FIT device-relative times start here.
EARLIEST_START = datetime.fromtimestamp(FIT_EPOCH_UNIX, tz=UTC)
# A start this far ahead of the clock is a device clock error, not a time zone.
FUTURE_SLACK = timedelta(days=2)
# 7 days at 4 Hz; real files are far below (a 24 h run at 1 Hz is 86,400 samples).
MAX_SAMPLES = 7 * 86_400 * 4
# No human covers more in 7 days; a longer track is GPS teleporting between continents.
MAX_DISTANCE_M = 7 * 1_000_000.0
_ALTITUDE_LIMIT_M = 20_000.0
_RATE_LIMIT = 1_000.0  # bpm, rpm, m/s
_FIX_CLOCK = "fix the device clock (or split the recording) and export it again"
_RE_EXPORT = "export the recorded activity again from the device or platform"
_SUMMARY_FIELDS = (
    "distance_m",
    "elapsed_s",
    "moving_s",
    "elevation_gain_m",
    "elevation_loss_m",
    "average_heart_rate",
    "max_heart_rate",
)


def check_parsed(parsed: ParsedActivity, *, now: datetime | None = None) -> None:
    """Raise FileImportError (one line) when the activity cannot be a real recording; return quietly otherwise."""
    activity, name = parsed.activity, parsed.source_name
    _check_start(activity, name, now or datetime.now(UTC))
    if activity.streams is not None:
        _check_streams(activity.streams, name)
    _check_summary(activity, name)


def _check_start(activity: Activity, name: str, now: datetime) -> None:
    start = activity.start_utc
    if start < EARLIEST_START:
        raise FileImportError(name, f"activity starts in {start.year}, before GPS watches existed", _FIX_CLOCK)
    if start > now + FUTURE_SLACK:
        raise FileImportError(name, f"activity starts in the future ({start.date().isoformat()})", _FIX_CLOCK)


def _check_summary(activity: Activity, name: str) -> None:
    for field in _SUMMARY_FIELDS:
        value = getattr(activity, field)
        if value is not None and not math.isfinite(value):
            raise FileImportError(name, f"{field} is not a finite number ({value})", _RE_EXPORT)
    if activity.elapsed_s is not None and activity.elapsed_s > MAX_SPAN_S:
        raise FileImportError(name, f"activity spans {_days(activity.elapsed_s)} days", "split it or fix the clock")
    if activity.distance_m is not None and not 0 <= activity.distance_m <= MAX_DISTANCE_M:
        problem = f"implausible distance ({activity.distance_m / 1000:.0f} km)"
        raise FileImportError(name, problem, "the GPS track jumps around the globe; " + _RE_EXPORT)


def _check_streams(streams: Streams, name: str) -> None:
    n = len(streams)
    if n > MAX_SAMPLES:
        raise FileImportError(name, f"{n:,} samples, more than {MAX_SAMPLES:,} (7 days at 4 per second)", _RE_EXPORT)
    if n == 0:
        return
    time = streams.time_s
    if not np.isfinite(time).all():
        raise FileImportError(name, "sample times are not finite numbers", _RE_EXPORT)
    span = float(time.max() - time.min())
    if span > MAX_SPAN_S:
        raise FileImportError(name, f"activity spans {_days(span)} days", "split it or fix the clock")
    _check_range(streams.lat, -90.0, 90.0, "latitude", name)
    _check_range(streams.lon, -180.0, 180.0, "longitude", name)
    _check_range(streams.altitude_m, -_ALTITUDE_LIMIT_M, _ALTITUDE_LIMIT_M, "altitude", name)
    _check_range(streams.distance_m, -math.inf, math.inf, "distance", name, closed=False)
    for channel in ("speed_mps", "heart_rate", "cadence"):  # no body reaches these: a corrupt or forged file
        _check_range(streams.channel(channel), -_RATE_LIMIT, _RATE_LIMIT, channel, name)
    if streams.distance_m is not None and float(np.nanmax(streams.distance_m, initial=0.0)) > MAX_DISTANCE_M:
        problem = f"implausible distance ({float(np.nanmax(streams.distance_m)) / 1000:.0f} km)"
        raise FileImportError(name, problem, "the GPS track jumps around the globe; " + _RE_EXPORT)


def _check_range(column: np.ndarray | None, lo: float, hi: float, what: str, name: str, *, closed: bool = True) -> None:
    """NaN means "no value" and passes; infinities and values outside [lo, hi] are refused."""
    if column is None:
        return
    values = column[~np.isnan(column)]
    if not len(values):
        return
    bad = ~np.isfinite(values) if not closed else ~((values >= lo) & (values <= hi))
    if bad.any():
        first = float(values[np.flatnonzero(bad)[0]])
        raise FileImportError(name, f"{what} out of range ({first:g})", _RE_EXPORT)


def _days(seconds: float) -> str:
    return f"{seconds / 86_400:,.0f}" if seconds >= 86_400 * 10 else f"{seconds / 86_400:,.1f}"
