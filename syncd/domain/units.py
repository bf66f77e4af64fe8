"""Metric/imperial formatting of distances, elevations, paces and durations for notes shown on a phone.

Rules and evidence stay in SI units (metres, seconds); only this module knows about miles and feet, so a note can be
re-rendered in either system without re-running a rule. Rounding is chosen for reading, not for analysis: a runner
wants "8.2 km" and "5:04 /km", not "8213.4 m" and "304.2 s/km".
"""

from __future__ import annotations

import math
from typing import Literal

Units = Literal["metric", "imperial"]

METRES_PER_MILE = 1609.344
METRES_PER_FOOT = 0.3048

UNIT_SYSTEMS: tuple[Units, ...] = ("metric", "imperial")


def check_units(units: str) -> Units:
    """Validate a unit-system name from config or a CLI flag, so a typo fails loudly instead of picking one."""
    if units == "metric":
        return "metric"
    if units == "imperial":
        return "imperial"
    raise ValueError(f"unknown unit system {units!r}: use 'metric' or 'imperial'")


def _finite(value: float, what: str, *, positive: bool = False) -> float:
    """Reject NaN/inf (and, where asked, zero or negatives) so a bad number never prints as 'nan km'."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{what} must be a number, got {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{what} must be a finite number, got {value!r}")
    if positive and number <= 0:
        raise ValueError(f"{what} must be greater than zero, got {value!r}")
    if number < 0:
        raise ValueError(f"{what} must not be negative, got {value!r}")
    return number


def _decimals(value: float, places: int) -> str:
    """Fixed decimals, with a trailing '.0' dropped so '12.0 km' reads as '12 km'."""
    text = f"{value:.{places}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


EVIDENCE_PLACES = 1  # rules store distances in their evidence rounded to 0.1 m


def canonical_metres(metres: float) -> float:
    """Every distance is rounded to the evidence's 0.1 m before it is formatted, in this one place.

    Otherwise a run of 13 639.18 m reads "8.47 mi" in its header (formatted from the raw distance) and "8.48 mi" in
    its flag (formatted from the evidence's 13 639.2 m): the same run, two numbers.
    """
    return round(metres, EVIDENCE_PLACES)


def format_distance(metres: float, units: Units = "metric") -> str:
    """A distance: '850 m', '8.2 km', '612 km' / '0.25 mi', '5.1 mi', '380 mi'.

    Below 1 km metres read better (rounded to 10 m above 100 m); imperial stays in miles like the Strava app does.
    """
    m = canonical_metres(_finite(metres, "distance"))
    if units == "imperial":
        miles = m / METRES_PER_MILE
        if round(miles, 2) < 10:
            return f"{_decimals(miles, 2)} mi"
        if round(miles, 1) < 100:
            return f"{_decimals(miles, 1)} mi"
        return f"{round(miles):,} mi"
    if m < 100:
        return f"{round(m)} m"
    rounded_m = round(m / 10) * 10
    if rounded_m < 1000:
        return f"{rounded_m} m"
    km = m / 1000
    if round(km, 1) < 100:
        return f"{_decimals(km, 1)} km"
    return f"{round(km):,} km"


def format_elevation(metres: float, units: Units = "metric") -> str:
    """A height or descent: '245 m' / '804 ft' (whole units; barometric noise makes decimals meaningless)."""
    m = _finite(metres, "elevation")
    if units == "imperial":
        return f"{round(m / METRES_PER_FOOT):,} ft"
    return f"{round(m):,} m"


def format_climb_rate(metres_per_km: float, units: Units = "metric") -> str:
    """Descent (or climb) per distance: '22 m/km' / '116 ft/mi'."""
    rate = _finite(metres_per_km, "climb rate")
    if units == "imperial":
        return f"{round(rate / METRES_PER_FOOT * METRES_PER_MILE / 1000):,} ft/mi"
    return f"{round(rate):,} m/km"


def format_pace(seconds_per_km: float, units: Units = "metric") -> str:
    """A pace: '5:04 /km' / '8:10 /mi', rounded to the second (59.6 s carries into the next minute)."""
    pace = _finite(seconds_per_km, "pace", positive=True)
    if units == "imperial":
        pace = pace * METRES_PER_MILE / 1000
        unit = "/mi"
    else:
        unit = "/km"
    total = round(min(pace, 1e12))  # junk evidence near float max overflows to inf in miles; never crash a note
    minutes, seconds = divmod(total, 60)
    return f"{minutes}:{seconds:02d} {unit}"


def format_duration(seconds: float) -> str:
    """A short duration: '45 s', '10 min', '1 h 05 min' (the same in both unit systems)."""
    s = _finite(seconds, "duration")
    if s < 60:
        return f"{round(s)} s"
    minutes = round(s / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest:02d} min"
