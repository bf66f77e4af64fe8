"""Recordings that carry only UTC get their local time from where the route starts (weekly counts need it)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from syncd.adapters.files import load_activities
from syncd.adapters.files.local_time import with_local_time

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real"


@pytest.mark.parametrize(
    ("name", "zone", "offset_s", "local_start"),
    [
        # Strava GPX of a Singapore morning run: 23:00 UTC the day before is 07:00 local, a different day.
        ("Morning_Run_with_H10.gpx", "Asia/Singapore", 8 * 3600, datetime(2022, 8, 20, 7, 0, 8)),
        # Croatian hike in October: summer time, UTC+2.
        ("korita-zbevnica.gpx", "Europe/Zagreb", 2 * 3600, datetime(2010, 10, 3, 11, 36, 30)),
        # Brasilia in December 2016 still kept summer time (UTC-2): the zone's history is applied, not today's rule.
        ("c2eb1b_6.tcx", "America/Sao_Paulo", -2 * 3600, datetime(2016, 12, 29, 17, 5, 22)),
    ],
)
def test_utc_only_files_get_the_zone_of_their_first_fix(
    name: str, zone: str, offset_s: int, local_start: datetime
) -> None:
    activity = load_activities(REAL / name)[0].activity
    assert activity.timezone_name == zone
    assert activity.utc_offset_s == offset_s
    assert activity.start_local == local_start


def test_a_file_with_its_own_offset_keeps_it() -> None:
    activity = load_activities(REAL / "run.fit")[0].activity  # FIT local_timestamp says +02:00
    assert activity.utc_offset_s == 7200
    assert activity.timezone_name is None


def test_no_gps_keeps_utc_and_open_sea_gets_nautical_time() -> None:
    treadmill = load_activities(REAL / "compressed-speed-distance.fit")[0].activity
    assert treadmill.utc_offset_s == 0 and treadmill.timezone_name is None
    run = load_activities(REAL / "Morning_Run_with_H10.gpx")[0].activity
    streams = run.streams
    assert streams is not None and streams.lat is not None and streams.lon is not None
    at_sea = replace(
        run,
        timezone_name=None,
        utc_offset_s=0,
        streams=replace(streams, lat=np.full_like(streams.lat, -40.0), lon=np.full_like(streams.lon, -30.0)),
    )
    local = with_local_time(at_sea)  # mid-Atlantic: no land zone, the nautical one (UTC-2 at 30 degrees W)
    assert (local.timezone_name, local.utc_offset_s) == ("Etc/GMT+2", -2 * 3600)
