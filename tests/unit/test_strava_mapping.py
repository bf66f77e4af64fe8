"""Strava payloads (shapes from the swagger spec stravalib ships) -> the model; the stravalib routing contract."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from importlib import resources
from typing import Any

import numpy as np
import pytest

from syncd.adapters.payload import PayloadError
from syncd.adapters.strava.client import make_session, stravalib_origin
from syncd.adapters.strava.mapping import (
    activity_from_payload,
    gear_from_payload,
    is_private,
    sport_of,
    streams_from_payload,
)
from syncd.domain.model import Sport


def _swagger_example(path: str) -> Any:
    spec = json.loads(resources.files("stravalib").joinpath("tests/resources/strava_swagger.json").read_text())
    return spec["paths"][path]["get"]["responses"]["200"]["examples"]["application/json"]


def test_stravalib_still_builds_urls_from_www_strava_com() -> None:
    """syncd routes stravalib by rewriting these prefixes; if an upgrade moves them, this must fail loudly."""
    assert stravalib_origin() == ("https://www.strava.com/api/v3", "https://www.strava.com/oauth")
    from stravalib.protocol import ApiV3

    api = ApiV3(access_token="x")
    assert api.resolve_url("/athlete/activities") == "https://www.strava.com/api/v3/athlete/activities"


def test_session_routes_strava_urls_to_the_configured_bases() -> None:
    session = make_session("http://127.0.0.1:9/api/v3", "http://127.0.0.1:9/oauth")
    adapter = session.get_adapter("https://www.strava.com/api/v3/athlete")
    assert adapter is session.get_adapter("https://www.strava.com/oauth/token")
    assert type(adapter).__name__ == "_RoutingAdapter"


def test_detailed_activity_example_from_the_spec() -> None:
    detail = _swagger_example("/activities/{id}")
    activity = activity_from_payload(detail)
    assert activity.external_id == "12345678987654321"
    assert activity.sport is Sport.RIDE and activity.sport_original == "MountainBikeRide"
    assert activity.start_utc == datetime(2018, 2, 16, 14, 52, 54, tzinfo=UTC)
    assert activity.utc_offset_s == -8 * 3600
    assert activity.timezone_name == "America/Los_Angeles"
    assert activity.distance_m == 28099 and activity.moving_s == 4207
    assert activity.gear_id == detail["gear_id"]
    assert activity.description == detail["description"]
    assert len(activity.laps) == len(detail["laps"])


def test_summary_list_example_from_the_spec() -> None:
    for summary in _swagger_example("/athlete/activities"):
        activity = activity_from_payload(summary)
        assert activity.external_id == str(summary["id"])
        assert activity.description is None and activity.laps == ()


@pytest.mark.parametrize(
    ("sport_type", "expected"),
    [
        ("Run", Sport.RUN),
        ("TrailRun", Sport.TRAIL_RUN),
        ("VirtualRun", Sport.VIRTUAL_RUN),
        ("Ride", Sport.RIDE),
        ("Walk", Sport.WALK),
        ("Hike", Sport.HIKE),
        ("WeightTraining", Sport.STRENGTH),
        ("Workout", Sport.WORKOUT),
        ("Yoga", Sport.YOGA),
        ("Swim", Sport.SWIM),
        ("Elliptical", Sport.ELLIPTICAL),
        ("Rowing", Sport.ROW),
        ("Pickleball", Sport.OTHER),
    ],
)
def test_sport_types(sport_type: str, expected: Sport) -> None:
    assert sport_of({"sport_type": sport_type, "type": "Run"})[0] is expected


def test_treadmill_run_and_legacy_type() -> None:
    assert sport_of({"type": "Run", "trainer": True})[0] is Sport.TREADMILL_RUN
    assert sport_of({"type": "Run"}) == (Sport.RUN, "Run")


def test_privacy() -> None:
    assert is_private({"visibility": "only_me", "private": False})
    assert not is_private({"visibility": "followers_only"})
    assert is_private({"private": True})


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"id": 1},
        {"id": 1, "start_date": 5},
        {"id": 1, "start_date": "yesterday"},
        {"id": 1, "start_date": "2026-01-01T00:00:00Z", "distance": "far"},
    ],
)
def test_malformed_activities_raise_payload_error(payload: dict[str, Any]) -> None:
    with pytest.raises(PayloadError):
        activity_from_payload(payload)


def test_nulls_and_unknown_fields_are_tolerated() -> None:
    activity = activity_from_payload(
        {
            "id": 7,
            "start_date": "2026-01-01T07:00:00Z",
            "sport_type": None,
            "type": None,
            "distance": None,
            "gear_id": None,
            "workout_type": None,
            "brand_new_field": {"x": 1},
        }
    )
    assert activity.sport is Sport.OTHER and activity.distance_m is None


def test_streams_key_by_type() -> None:
    streams = streams_from_payload(
        {
            "time": {"data": [0, 1, 2]},
            "distance": {"data": [0.0, 3.1, 6.0]},
            "latlng": {"data": [[52.5, 13.4], None, [52.5001, 13.4001]]},
            "heartrate": {"data": [120, None, 122]},
            "cadence": {"data": [80, 81]},  # wrong length: dropped, not fatal
        }
    )
    assert streams is not None and len(streams) == 3
    assert streams.lat is not None and np.isnan(streams.lat[1])
    assert streams.heart_rate is not None and np.isnan(streams.heart_rate[1])
    assert streams.cadence is None


def test_streams_list_form_and_empty_streams() -> None:
    listed = streams_from_payload([{"type": "time", "data": [0, 5]}, {"type": "altitude", "data": [1.0, 2.0]}])
    assert listed is not None and listed.altitude_m is not None
    assert streams_from_payload({}) is None
    assert streams_from_payload({"time": {"data": []}}) is None
    with pytest.raises(PayloadError):
        streams_from_payload("nope")


def test_gear() -> None:
    gear = gear_from_payload({"id": "g12", "name": "Pegasus", "distance": 512000.0, "retired": False})
    assert (gear.gear_id, gear.distance_m, gear.kind) == ("g12", 512000.0, "shoe")
    assert gear_from_payload({"id": "b1", "brand_name": "Trek", "model_name": "Domane"}).name == "Trek Domane"
    with pytest.raises(PayloadError):
        gear_from_payload({"name": "nameless"})
