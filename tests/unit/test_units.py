"""Unit formatting: the exact strings a runner reads, rounding edges, and bad input failing loudly."""

from __future__ import annotations

import math
import random
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from syncd.domain.units import (
    METRES_PER_MILE,
    check_units,
    format_climb_rate,
    format_distance,
    format_duration,
    format_elevation,
    format_pace,
)


@pytest.mark.parametrize(
    ("metres", "expected"),
    [
        (0, "0 m"),
        (42.4, "42 m"),
        (847, "850 m"),
        (994, "990 m"),
        (996, "1 km"),
        (8213.4, "8.2 km"),
        (12_000, "12 km"),
        (99_960, "100 km"),
        (612_400, "612 km"),
        (1_234_567, "1,235 km"),
    ],
)
def test_metric_distance(metres: float, expected: str) -> None:
    assert format_distance(metres, "metric") == expected


@pytest.mark.parametrize(
    ("metres", "expected"),
    [
        (400, "0.25 mi"),
        (METRES_PER_MILE, "1 mi"),
        (8213.4, "5.1 mi"),
        (16_090, "10 mi"),
        (600_000, "373 mi"),
        (5_000_000, "3,107 mi"),
    ],
)
def test_imperial_distance(metres: float, expected: str) -> None:
    assert format_distance(metres, "imperial") == expected


def test_elevation_and_climb_rate() -> None:
    assert format_elevation(245.3) == "245 m"
    assert format_elevation(245.3, "imperial") == "805 ft"
    assert format_climb_rate(22.1) == "22 m/km"
    assert format_climb_rate(22.1, "imperial") == "117 ft/mi"


@pytest.mark.parametrize(
    ("seconds_per_km", "units", "expected"),
    [
        (304, "metric", "5:04 /km"),
        (304.4, "metric", "5:04 /km"),
        (359.6, "metric", "6:00 /km"),
        (59.4, "metric", "0:59 /km"),
        (300, "imperial", "8:03 /mi"),
        (224.6, "imperial", "6:01 /mi"),
    ],
)
def test_pace(seconds_per_km: float, units: str, expected: str) -> None:
    assert format_pace(seconds_per_km, check_units(units)) == expected


def test_duration() -> None:
    assert format_duration(45) == "45 s"
    assert format_duration(600) == "10 min"
    assert format_duration(3900) == "1 h 05 min"


@pytest.mark.parametrize("bad", [math.nan, math.inf, -1.0])
def test_bad_numbers_raise_clear_errors(bad: float) -> None:
    with pytest.raises(ValueError, match="distance"):
        format_distance(bad)
    with pytest.raises(ValueError, match="pace"):
        format_pace(bad)


def test_zero_pace_and_wrong_types_are_rejected() -> None:
    with pytest.raises(ValueError, match="greater than zero"):
        format_pace(0)
    with pytest.raises(TypeError, match="must be a number"):
        format_distance(True)
    with pytest.raises(TypeError, match="must be a number"):
        format_elevation("12")  # type: ignore[arg-type]


def test_check_units_names_the_fix() -> None:
    assert check_units("imperial") == "imperial"
    with pytest.raises(ValueError, match="use 'metric' or 'imperial'"):
        check_units("Metric ")


PACE = re.compile(r"^(\d+):([0-5]\d) /(km|mi)$")


@given(st.floats(min_value=1, max_value=3600, allow_nan=False), st.sampled_from(["metric", "imperial"]))
def test_pace_round_trips_to_the_second(seconds_per_km: float, units: str) -> None:
    text = format_pace(seconds_per_km, check_units(units))
    match = PACE.match(text)
    assert match is not None, text
    shown = int(match.group(1)) * 60 + int(match.group(2))
    expected = seconds_per_km * (METRES_PER_MILE / 1000 if units == "imperial" else 1)
    assert abs(shown - expected) <= 0.5 + 1e-9


@given(st.floats(min_value=0, max_value=1e8, allow_nan=False), st.sampled_from(["metric", "imperial"]))
def test_distance_is_close_and_well_formed(metres: float, units: str) -> None:
    text = format_distance(metres, check_units(units))
    match = re.match(r"^([\d,]+(?:\.\d+)?) (m|km|mi)$", text)
    assert match is not None, text
    value = float(match.group(1).replace(",", ""))
    factor = {"m": 1.0, "km": 1000.0, "mi": METRES_PER_MILE}[match.group(2)]
    # rounding to the shown precision: never off by more than 5 % or 10 m
    assert abs(value * factor - metres) <= max(0.05 * metres, 10), (metres, text)


@pytest.mark.parametrize("units", ["metric", "imperial"])
def test_a_distance_reads_the_same_raw_and_as_rounded_evidence(units: str) -> None:
    """Issue 12: 8.47 mi in a run's header, 8.48 mi in its flag (raw 13 639.18 m vs the evidence's 13 639.2 m)."""
    assert format_distance(13_639.18, "imperial") == format_distance(13_639.2, "imperial") == "8.48 mi"
    rng = random.Random(12)
    for _ in range(20_000):
        metres = rng.uniform(50.0, 60_000.0)
        assert format_distance(metres, units) == format_distance(round(metres, 1), units), metres  # type: ignore[arg-type]
