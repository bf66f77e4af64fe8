"""normalise_sport: every platform's vocabulary lands on the right Sport; unknowns are OTHER, never a run."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from syncd.adapters.files.sports import is_indoor_sub_sport, normalise_sport
from syncd.domain.model import Sport


@pytest.mark.parametrize(
    ("sport", "sub_sport", "expected"),
    [
        ("running", "generic", Sport.RUN),
        ("running", None, Sport.RUN),
        ("running", "street", Sport.RUN),
        ("running", "treadmill", Sport.TREADMILL_RUN),
        ("running", "indoor_running", Sport.TREADMILL_RUN),
        ("running", "trail", Sport.TRAIL_RUN),
        ("running", "track", Sport.TRACK_RUN),
        ("running", "virtual_activity", Sport.VIRTUAL_RUN),
        ("cycling", "virtual_activity", Sport.RIDE),
        ("cycling", "indoor_cycling", Sport.RIDE),
        ("cycling", "generic", Sport.RIDE),
        ("swimming", "open_water", Sport.SWIM),
        ("walking", None, Sport.WALK),
        ("hiking", None, Sport.HIKE),
        ("fitness_equipment", "indoor_rowing", Sport.ROW),
        ("fitness_equipment", "elliptical", Sport.ELLIPTICAL),
        ("fitness_equipment", "treadmill", Sport.TREADMILL_RUN),
        ("training", "strength_training", Sport.STRENGTH),
        ("training", "yoga", Sport.YOGA),
        ("training", "cardio_training", Sport.WORKOUT),
        ("rowing", None, Sport.ROW),
        ("transition", "generic", Sport.OTHER),
        ("generic", None, Sport.OTHER),
    ],
)
def test_fit_sport_and_sub_sport(sport: str, sub_sport: str | None, expected: Sport) -> None:
    assert normalise_sport("fit", sport, sub_sport) is expected


@pytest.mark.parametrize(
    ("platform", "value", "expected"),
    [
        ("strava", "Run", Sport.RUN),
        ("strava", "Trail Run", Sport.TRAIL_RUN),
        ("strava", "TrailRun", Sport.TRAIL_RUN),
        ("strava", "VirtualRun", Sport.VIRTUAL_RUN),
        ("strava", "Virtual Ride", Sport.RIDE),
        ("strava", "Weight Training", Sport.STRENGTH),
        ("strava", "Yoga", Sport.YOGA),
        ("strava", "Rowing", Sport.ROW),
        ("strava", "Elliptical", Sport.ELLIPTICAL),
        ("strava", "Workout", Sport.WORKOUT),
        ("strava", "9", Sport.RUN),
        ("gpx", "9", Sport.RUN),
        ("gpx", "1", Sport.RIDE),
        ("gpx", "walking", Sport.WALK),
        ("gpx", "running", Sport.RUN),
        ("gpx", "jkljkl", Sport.OTHER),
        ("gpx", "42", Sport.OTHER),
        ("tcx", "Running", Sport.RUN),
        ("tcx", "Biking", Sport.RIDE),
        ("tcx", "Other", Sport.OTHER),
        ("garmin", "treadmill_running", Sport.TREADMILL_RUN),
        ("garmin", "trail_running", Sport.TRAIL_RUN),
        ("garmin", "indoor_rowing", Sport.ROW),
        ("garmin", "strength_training", Sport.STRENGTH),
        ("garmin", "lap_swimming", Sport.SWIM),
    ],
)
def test_platform_names(platform: str, value: str, expected: Sport) -> None:
    assert normalise_sport(platform, value) is expected


def test_numeric_codes_only_mean_strava_codes_for_strava_and_gpx() -> None:
    assert normalise_sport("garmin", "9") is Sport.OTHER


def test_sub_value_refines_an_unknown_platform_name() -> None:
    assert normalise_sport("garmin", "generic", "treadmill_running") is Sport.TREADMILL_RUN


@pytest.mark.parametrize(
    "value", ["treadmill", "indoor_running", "virtual_activity", "indoor_rowing", "Indoor Cycling"]
)
def test_indoor_sub_sports(value: str) -> None:
    assert is_indoor_sub_sport(value)


@pytest.mark.parametrize("value", [None, "", "generic", "trail", "open_water"])
def test_outdoor_sub_sports(value: str | None) -> None:
    assert not is_indoor_sub_sport(value)


@given(st.sampled_from(["fit", "strava", "gpx", "tcx", "garmin"]), st.text(), st.none() | st.text())
def test_any_input_gives_a_sport_and_never_raises(platform: str, value: str, sub: str | None) -> None:
    assert isinstance(normalise_sport(platform, value, sub), Sport)


@given(
    st.sampled_from(["Run", "Trail Run", "Weight Training", "Virtual Ride", "Walk"]), st.sampled_from(["", " ", "_"])
)
def test_spelling_variants_compare_equal(value: str, joiner: str) -> None:
    variant = joiner.join(value.upper().split(" "))
    assert normalise_sport("strava", variant) is normalise_sport("strava", value)


def test_common_platform_types_count_toward_the_weekly_targets() -> None:
    """Issue #13: Workout, HIIT, indoor cardio, flexibility, stair stepper... were counted as nothing."""
    from syncd.domain.history import HistoryEntry
    from syncd.domain.load import counts_as_session
    from syncd.domain.model import sport_category

    cases = {
        ("strava", "Workout", None): "strength",
        ("strava", "HIIT", None): "strength",
        ("strava", "Crossfit", None): "strength",
        ("strava", "WeightTraining", None): "strength",
        ("strava", "Yoga", None): "strength",
        ("strava", "Pilates", None): "strength",
        ("strava", "StairStepper", None): "low_impact",
        ("strava", "Elliptical", None): "low_impact",
        ("strava", "Rowing", None): "low_impact",
        ("garmin", "indoor_cardio", None): "strength",
        ("garmin", "hiit", None): "strength",
        ("garmin", "strength_training", None): "strength",
        ("garmin", "stair_climbing", None): "low_impact",
        ("fit", "training", "flexibility_training"): "strength",
        ("fit", "training", "strength_training"): "strength",
        ("fit", "training", "generic"): "strength",
        ("fit", "fitness_equipment", "elliptical"): "low_impact",
        ("strava", "Run", None): "run",
        ("strava", "Kitesurf", None): "other",
    }
    for (platform, value, sub), category in cases.items():
        assert sport_category(normalise_sport(platform, value, sub)) == category, (platform, value, sub)

    def session(sport: Sport, duration_s: float, min_session_min: float = 15.0) -> bool:
        entry = HistoryEntry(("strava", "1"), sport, datetime(2024, 5, 6, 7, tzinfo=UTC), 0, duration_s)
        return counts_as_session(entry, min_session_min)

    assert not session(Sport.WALK, 120.0)  # a 2-minute walk is not a session
    assert session(Sport.WALK, 15 * 60.0)
    assert not session(Sport.RIDE, 0.0)  # a ride logged with no duration is not cross-training
    assert session(Sport.STRENGTH, 0.0)  # a logged routine often has no timer
    assert session(Sport.RIDE, 600.0, min_session_min=5.0)
    assert session(Sport.RUN, 60.0)  # a run always counts
