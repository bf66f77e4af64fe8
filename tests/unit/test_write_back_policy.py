from __future__ import annotations

from datetime import UTC, datetime

import pytest

from syncd.domain.model import Activity, Source, Sport
from syncd.services.write_back_policy import write_back_providers

START = datetime(2026, 11, 20, 7, tzinfo=UTC)


def activity(source: Source, *, private: bool = False) -> Activity:
    return Activity(source, "1", Sport.RUN, "Run", START, private=private)


@pytest.mark.parametrize(
    ("strava", "garmin", "source", "private", "expected"),
    [
        ("all", "off", Source.STRAVA, False, ("strava",)),
        ("all", "off", Source.GARMIN, False, ()),
        ("off", "all", Source.GARMIN, False, ("garmin",)),
        ("private", "off", Source.STRAVA, False, ()),
        ("private", "off", Source.STRAVA, True, ("strava",)),
        ("all", "all", Source.FILE, False, ()),
    ],
)
def test_a_note_goes_only_to_its_own_platform_when_allowed(
    strava: str, garmin: str, source: Source, private: bool, expected: tuple[str, ...]
) -> None:
    providers = write_back_providers(strava=strava, garmin=garmin)  # type: ignore[arg-type]
    assert tuple(providers(activity(source, private=private))) == expected
