"""Garmin Connect JSON -> the model: list items, activities, details metrics, splits, gear; sports; errors."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from garminconnect import (
    GarminConnectAuthenticationError,
    GarminConnectConnectionError,
    GarminConnectNotFoundError,
    GarminConnectTooManyRequestsError,
)

from syncd.adapters.files.sports import normalise_sport
from syncd.adapters.garmin.errors import (
    GarminBadResponseError,
    GarminGoneError,
    GarminRateLimitedError,
    GarminTransientError,
    GarminUnauthorizedError,
    classify,
)
from syncd.adapters.garmin.mapping import (
    activity_from_payload,
    gear_from_payload,
    laps_from_payload,
    shoe_of,
    sport_of,
    streams_from_details,
)
from syncd.adapters.payload import PayloadError
from syncd.domain.model import Source, Sport
from syncd.platform_errors import PlatformRateLimitedError

START = datetime(2026, 11, 20, 6, 30, tzinfo=UTC)
LIST_ITEM = {
    "activityId": 21_000_000_001,
    "activityName": "Morning Run",
    "startTimeLocal": "2026-11-20 07:30:00",
    "startTimeGMT": "2026-11-20 06:30:00",
    "activityType": {"typeId": 1, "typeKey": "trail_running", "parentTypeId": 17},
    "distance": 10_012.5,
    "duration": 3_120.0,
    "elapsedDuration": 3_300.0,
    "movingDuration": 3_050.0,
    "elevationGain": 120.0,
    "elevationLoss": 118.0,
    "averageHR": 141.0,
    "maxHR": 171.0,
    "privacy": {"typeId": 2, "typeKey": "private"},
    "manualActivity": False,
}
ACTIVITY = {
    "activityId": 21_000_000_001,
    "activityName": "Morning Run",
    "description": "Felt good",
    "activityTypeDTO": {"typeKey": "treadmill_running"},
    "accessControlRuleDTO": {"typeKey": "public"},
    "timeZoneUnitDTO": {"timeZone": "Europe/Berlin"},
    "metadataDTO": {"manualActivity": False},
    "summaryDTO": {
        "startTimeLocal": "2026-11-20T07:30:00.0",
        "startTimeGMT": "2026-11-20T06:30:00.0",
        "distance": 8000.0,
        "duration": 2400.0,
        "movingDuration": 2390.0,
        "elapsedDuration": 2450.0,
    },
}
RUN_KEYS = {
    "running": Sport.RUN,
    "trail_running": Sport.TRAIL_RUN,
    "street_running": Sport.RUN,
    "track_running": Sport.TRACK_RUN,
    "treadmill_running": Sport.TREADMILL_RUN,
    "indoor_running": Sport.TREADMILL_RUN,
    "virtual_run": Sport.VIRTUAL_RUN,
    "ultra_run": Sport.RUN,
    "obstacle_run": Sport.TRAIL_RUN,
}


@pytest.mark.parametrize(("key", "sport"), sorted(RUN_KEYS.items()))
def test_every_garmin_running_type_is_a_run(key: str, sport: Sport) -> None:
    assert normalise_sport("garmin", key) is sport and sport.is_run
    assert sport_of({"activityType": {"typeKey": key}}) == (sport, key)


@pytest.mark.parametrize(
    ("key", "sport"),
    [
        ("cycling", Sport.RIDE),
        ("lap_swimming", Sport.SWIM),
        ("strength_training", Sport.STRENGTH),
        ("golf", Sport.OTHER),
    ],
)
def test_other_types_are_not_runs(key: str, sport: Sport) -> None:
    assert sport_of({"activityType": {"typeKey": key}})[0] is sport


def test_list_item_maps_to_an_activity() -> None:
    activity = activity_from_payload(LIST_ITEM)
    assert activity.source is Source.GARMIN and activity.external_id == "21000000001"
    assert activity.sport is Sport.TRAIL_RUN and activity.sport_original == "trail_running"
    assert activity.start_utc == START and activity.utc_offset_s == 3600
    assert activity.distance_m == 10_012.5 and activity.moving_s == 3_050.0 and activity.elapsed_s == 3_300.0
    assert activity.private and not activity.indoor and activity.average_heart_rate == 141.0


def test_activity_with_summary_dto_maps_description_zone_and_indoor() -> None:
    activity = activity_from_payload(ACTIVITY, gear_id="abc")
    assert activity.description == "Felt good" and activity.timezone_name == "Europe/Berlin"
    assert activity.sport is Sport.TREADMILL_RUN and activity.indoor and not activity.private
    assert activity.distance_m == 8000.0 and activity.gear_id == "abc"


@pytest.mark.parametrize(
    "broken",
    [{"activityName": "x"}, {**LIST_ITEM, "startTimeGMT": "yesterday"}, {**LIST_ITEM, "distance": "far"}],
)
def test_malformed_payloads_name_the_field(broken: dict[str, object]) -> None:
    with pytest.raises(PayloadError):
        activity_from_payload(broken)


def test_details_metrics_become_streams_by_descriptor_not_position() -> None:
    descriptors = [
        {"metricsIndex": 3, "key": "directTimestamp"},
        {"metricsIndex": 0, "key": "sumDistance"},
        {"metricsIndex": 1, "key": "directHeartRate"},
        {"metricsIndex": 2, "key": "directRunCadence"},
        {"metricsIndex": 4, "key": "directLatitude"},
        {"metricsIndex": 5, "key": "directLongitude"},
        {"metricsIndex": 6, "key": "directSpeed"},
        {"metricsIndex": 7, "key": "directElevation"},
    ]
    base = START.timestamp() * 1000
    rows = [
        {"metrics": [0.0, 120, 168, base, 52.5, 13.4, 2.9, 40.0]},
        {"metrics": [3.0, None, 170, base + 1000, 52.50002, 13.40001, 3.0, 40.2]},
        {"metrics": [6.1, 125, 172, base + 2000, None, None, 3.1, 40.1]},
        {"metrics": [9.0, 126, 170, None]},  # no timestamp: dropped
    ]
    streams = streams_from_details({"metricDescriptors": descriptors, "activityDetailMetrics": rows}, START)
    assert streams is not None
    assert list(streams.time_s) == [0.0, 1.0, 2.0]
    assert streams.distance_m is not None and list(streams.distance_m) == [0.0, 3.0, 6.1]
    assert streams.heart_rate is not None and math.isnan(streams.heart_rate[1])
    # steps per minute (both legs) -> per leg, as FIT files and Strava keep cadence
    assert streams.cadence is not None and list(streams.cadence) == [84.0, 85.0, 86.0]
    assert streams.lat is not None and streams.has_gps and math.isnan(streams.lat[2])
    assert streams.speed_mps is not None and streams.altitude_m is not None


def test_details_without_time_or_samples_give_no_streams() -> None:
    assert streams_from_details({"metricDescriptors": [], "activityDetailMetrics": []}, START) is None
    only_hr = {
        "metricDescriptors": [{"metricsIndex": 0, "key": "directHeartRate"}],
        "activityDetailMetrics": [{"metrics": [1]}],
    }
    assert streams_from_details(only_hr, START) is None
    with pytest.raises(PayloadError):
        streams_from_details([1, 2], START)


def test_elapsed_duration_is_the_time_axis_when_timestamps_are_missing() -> None:
    details = {
        "metricDescriptors": [
            {"metricsIndex": 0, "key": "sumElapsedDuration"},
            {"metricsIndex": 1, "key": "sumDistance"},
        ],
        "activityDetailMetrics": [{"metrics": [0, 0]}, {"metrics": [5, 14.0]}],
    }
    streams = streams_from_details(details, START)
    assert streams is not None and np.array_equal(streams.time_s, [0.0, 5.0])


def test_laps_from_splits() -> None:
    splits = {
        "lapDTOs": [
            {
                "startTimeGMT": "2026-11-20T06:30:00.0",
                "distance": 1000.0,
                "elapsedDuration": 330.0,
                "intensityType": "WARMUP",
            },
            {"startTimeGMT": "2026-11-20T06:35:30.0", "distance": 200.0, "duration": 50.0, "intensityType": "INTERVAL"},
            {"startTimeGMT": None, "distance": 1.0, "duration": 1.0},
        ]
    }
    laps = laps_from_payload(splits, START)
    assert [(lap.start_offset_s, lap.elapsed_s, lap.intensity) for lap in laps] == [
        (0.0, 330.0, "warmup"),
        (330.0, 50.0, "active"),
    ]


def test_gear_carries_the_athletes_own_maximum_distance() -> None:
    shoe = {"uuid": "a" * 32, "displayName": "Novablast", "gearTypeName": "Shoes", "maximumMeters": 700_000.0}
    gear = gear_from_payload(shoe, {"totalDistance": 512_345.0})
    assert (gear.gear_id, gear.name, gear.distance_m, gear.limit_m, gear.kind) == (
        "a" * 32,
        "Novablast",
        512_345.0,
        700_000.0,
        "shoe",
    )
    assert gear_from_payload({**shoe, "maximumMeters": 0}).limit_m is None
    assert shoe_of([{"uuid": "b", "gearTypeName": "Bike"}, shoe]) == shoe
    assert shoe_of([{"uuid": "b", "gearTypeName": "Bike"}]) is None


NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def _http_error(status: int) -> GarminConnectConnectionError:
    return GarminConnectConnectionError(f"API Error {status} - nope")


def _wrapped_not_json() -> GarminConnectConnectionError:
    """What garminconnect raises for a 200 whose body is not JSON: its ConnectionError around the decode error."""
    try:
        try:
            json.loads("<html>")
        except ValueError as exc:
            raise GarminConnectConnectionError(f"Connection error: {exc}") from exc
    except GarminConnectConnectionError as wrapped:
        return wrapped
    raise AssertionError("unreachable")


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (GarminConnectTooManyRequestsError("Rate limit exceeded"), GarminRateLimitedError),
        (_http_error(429), GarminRateLimitedError),  # a 429 on a write surfaces as a connection error
        (GarminConnectAuthenticationError("Authentication failed"), GarminUnauthorizedError),
        (_http_error(401), GarminUnauthorizedError),
        (GarminConnectNotFoundError("404"), GarminGoneError),
        (_http_error(503), GarminTransientError),
        (_http_error(400), GarminBadResponseError),
        (GarminConnectConnectionError("Connection error: reset"), GarminTransientError),
        # errno 104 is not an HTTP status: a reset is transient, not "answered 104"
        (
            GarminConnectConnectionError(
                "Connection error: ('Connection aborted.', ConnectionResetError(104, 'Connection reset by peer'))"
            ),
            GarminTransientError,
        ),
        (GarminConnectConnectionError("Activity client error (404): API Error 404"), GarminGoneError),
        (_wrapped_not_json(), GarminBadResponseError),  # an HTML page on a 200: a bad answer, not a network fault
        (ValueError("activity_id must be an integer"), GarminBadResponseError),
    ],
)
def test_errors_are_sorted_by_what_to_do(exc: Exception, kind: type[Exception]) -> None:
    error = classify(exc, "list activities", now=NOW, backoff=timedelta(hours=6))
    assert isinstance(error, kind) and "\n" not in str(error) and str(error).startswith("list activities")


def test_rate_limits_back_off_for_hours_and_share_the_common_base() -> None:
    error = classify(_http_error(429), "update description", now=NOW, backoff=timedelta(hours=5))
    assert isinstance(error, PlatformRateLimitedError) and error.resume_at == NOW + timedelta(hours=5)
    assert "backoff_hours" in str(error)
