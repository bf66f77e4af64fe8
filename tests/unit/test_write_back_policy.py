from __future__ import annotations

from datetime import UTC, datetime

import pytest

from syncd.domain.model import Activity, Source, Sport
from syncd.records import AthleteRecord
from syncd.services.write_back_policy import allows, athlete_write_back, effective_mode, write_back_providers

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


class _Athlete:
    def __init__(self, mode: str | None) -> None:
        self.mode = mode

    def get_athlete(self, athlete_id: int) -> AthleteRecord:
        return AthleteRecord(athlete_id, "a", "Ada", None, "metric", None, False, write_back=self.mode)


@pytest.mark.parametrize("athlete_mode", [None, "all", "private", "off"])
@pytest.mark.parametrize("configured", ["all", "private", "off"])
@pytest.mark.parametrize("private", [False, True])
def test_the_enqueue_and_the_drain_apply_one_rule(athlete_mode: str | None, configured: str, private: bool) -> None:
    """The athlete's own choice over the platform's `write_back`; "private" only on "only me" activities: what is
    queued (athlete_write_back over the configured providers) is what the drain would write (effective_mode)."""
    run = activity(Source.STRAVA, private=private)
    defaults = write_back_providers(strava=configured)(run)  # type: ignore[arg-type]
    queued = tuple(athlete_write_back(_Athlete(athlete_mode), 1, run, defaults))  # type: ignore[arg-type]
    mode = effective_mode(athlete_mode, configured)  # type: ignore[arg-type]
    assert (queued == ("strava",)) == allows(mode, private=private)
    assert mode == (athlete_mode or configured)
