"""Sport from the movement when a file names none (domain/sport_inference.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from syncd.domain.model import Activity, Source, Sport, Streams
from syncd.domain.sport_inference import infer_sport, is_inferred, with_given_sport, with_inferred_sport


def streams_at(speed_mps: float, minutes: float, *, cadence: float | None = None, jump_m: float = 0.0) -> Streams:
    t = np.arange(0.0, minutes * 60.0)
    distance = speed_mps * t
    if jump_m:
        distance[len(t) // 2 :] += jump_m  # one GPS teleport mid-way
    return Streams(
        time_s=t, distance_m=distance, cadence=None if cadence is None else np.full(len(t), cadence, dtype=np.float64)
    )


def activity(streams: Streams | None, sport_original: str = "") -> Activity:
    return Activity(
        source=Source.FILE,
        external_id="x",
        sport=Sport.OTHER,
        sport_original=sport_original,
        start_utc=datetime(2026, 1, 1, tzinfo=UTC),
        streams=streams,
    )


def test_speed_bands() -> None:
    assert infer_sport(streams_at(2.8, 30)).sport is Sport.RUN  # 5:57/km
    assert infer_sport(streams_at(1.3, 30)).sport is Sport.WALK  # 12:49/km
    assert infer_sport(streams_at(1.3, 60), elevation_gain_m=400.0).sport is Sport.HIKE
    assert infer_sport(streams_at(8.0, 60)).sport is Sport.RIDE


def test_a_gps_jump_does_not_turn_a_run_into_a_ride() -> None:
    assert infer_sport(streams_at(2.6, 40, jump_m=15_000.0)).sport is Sport.RUN


def test_the_middle_ground_says_it_cannot_tell_unless_cadence_does() -> None:
    verdict = infer_sport(streams_at(1.87, 30))  # 8:55/km: brisk walk or very slow jog
    assert verdict.sport is None and "cannot tell" in verdict.reason
    assert infer_sport(streams_at(1.87, 30, cadence=82.0)).sport is Sport.RUN


def test_too_short_or_no_distance_gives_a_clear_verdict() -> None:
    short = infer_sport(streams_at(3.0, 3))
    assert short.sport is None and short.reason.startswith("too short to tell the sport")
    assert infer_sport(None).reason.startswith("not enough data")
    one = Streams(time_s=np.zeros(1), distance_m=np.zeros(1))
    assert infer_sport(one).sport is None


def test_only_files_that_name_no_sport_are_inferred_and_the_athlete_wins() -> None:
    guessed = with_inferred_sport(activity(streams_at(2.8, 30)))
    assert guessed.sport is Sport.RUN and is_inferred(guessed)
    assert "running" in str(guessed.extra["sport_inference"])
    named_unknown = with_inferred_sport(activity(streams_at(2.8, 30), sport_original="Kitesurfing"))
    assert named_unknown.sport is Sport.OTHER and not is_inferred(named_unknown)
    unknown = with_inferred_sport(activity(streams_at(3.0, 2)))
    assert unknown.sport is Sport.OTHER and "too short" in str(unknown.extra["sport_inference"])
    given = with_given_sport(guessed, Sport.WALK)
    assert given.sport is Sport.WALK and not is_inferred(given)
