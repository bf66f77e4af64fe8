"""Cross-platform identity rule: starts within 2 minutes and distances within 3 % make one logical activity."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from syncd.domain.model import Streams
from syncd.records import TwinFacts
from syncd.services.identity import richness, same_run

START = datetime(2026, 11, 20, 6, 30, tzinfo=UTC)
GARMIN = TwinFacts(1, 7, "garmin", "g1", "run", START, 10_000.0, 3000.0, None)
STRAVA = TwinFacts(2, 7, "strava", "s1", "run", START + timedelta(seconds=40), 10_150.0, 2990.0, None)


def test_the_same_run_from_both_platforms_matches() -> None:
    assert same_run(GARMIN, STRAVA) and same_run(STRAVA, GARMIN)


@pytest.mark.parametrize(
    "other",
    [
        replace(STRAVA, start_utc=START + timedelta(seconds=121)),  # more than 2 minutes apart
        replace(STRAVA, start_utc=START - timedelta(minutes=3)),
        replace(STRAVA, distance_m=10_310.0),  # 3.0 % more than 10 000 m would be 10 309.3
        replace(STRAVA, distance_m=9_690.0),
        replace(STRAVA, source="garmin"),  # two activities on one platform are two runs
        replace(STRAVA, athlete_id=8),
    ],
)
def test_anything_further_apart_is_another_activity(other: TwinFacts) -> None:
    assert not same_run(GARMIN, other)


def test_edges_are_inclusive() -> None:
    assert same_run(GARMIN, replace(STRAVA, start_utc=START + timedelta(seconds=120), distance_m=10_300.0))


def test_without_distances_durations_decide() -> None:
    g, s = replace(GARMIN, distance_m=None), replace(STRAVA, distance_m=None)
    assert same_run(g, s)
    assert not same_run(g, replace(s, duration_s=2000.0))
    assert not same_run(replace(g, duration_s=None), replace(s, duration_s=None))


def test_richer_recording_has_gps_more_channels_more_samples() -> None:
    t = np.arange(10.0)
    gps = Streams(time_s=t, lat=np.full(10, 52.5), lon=np.full(10, 13.4))
    hr_only = Streams(time_s=np.arange(100.0), heart_rate=np.full(100, 130.0), distance_m=np.arange(100.0))
    assert richness(gps) > richness(hr_only) > richness(None)
    assert richness(Streams(time_s=t, heart_rate=np.full(10, np.nan))) == (0, 1, 10)
