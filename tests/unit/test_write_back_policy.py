"""The write-back policy, decided once at drain: the enqueue queues every changed note for its own platform, and
`skip_reason` alone says whether the drain writes it, and if not, why."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from syncd.domain.model import Activity, Source, Sport
from syncd.records import HeldItem
from syncd.services.write_back_policy import (
    SKIP_STATUS,
    allows,
    effective_mode,
    own_platform,
    releasable,
    skip_reason,
    skip_text,
)

START = datetime(2026, 11, 20, 7, tzinfo=UTC)


def activity(source: Source, *, private: bool = False) -> Activity:
    return Activity(source, "1", Sport.RUN, "Run", START, private=private)


@pytest.mark.parametrize(
    ("source", "expected"),
    [(Source.STRAVA, ("strava",)), (Source.GARMIN, ("garmin",)), (Source.FILE, ())],
)
@pytest.mark.parametrize("private", [False, True])
def test_a_note_is_queued_for_its_own_platform_whatever_the_settings(
    source: Source, expected: tuple[str, ...], private: bool
) -> None:
    assert own_platform(activity(source, private=private)) == expected


@pytest.mark.parametrize(
    ("athlete", "configured", "private", "expected"),
    [
        (None, "all", False, None),
        (None, "off", False, "config_off"),
        ("off", "all", True, "athlete_off"),
        ("all", "off", False, None),  # the athlete's own choice over the configuration
        (None, "private", False, "public"),
        (None, "private", True, None),
        ("private", "all", False, "public"),
        ("default-garbage", "off", True, "config_off"),  # an unknown stored value falls back to the configuration
    ],
)
def test_skip_reason_decides_write_or_hold(
    athlete: str | None, configured: str, private: bool, expected: str | None
) -> None:
    assert skip_reason(athlete, configured, private=private) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize("athlete_mode", [None, "all", "private", "off"])
@pytest.mark.parametrize("configured", ["all", "private", "off"])
@pytest.mark.parametrize("private", [False, True])
def test_skip_reason_is_the_one_rule(athlete_mode: str | None, configured: str, private: bool) -> None:
    """Written exactly when the effective mode allows it; before the visibility is known only "off" holds."""
    mode = effective_mode(athlete_mode, configured)  # type: ignore[arg-type]
    assert (skip_reason(athlete_mode, configured, private=private) is None) == allows(mode, private=private)  # type: ignore[arg-type]
    assert (skip_reason(athlete_mode, configured, private=None) is None) == (mode != "off")  # type: ignore[arg-type]


def test_each_reason_has_its_outcome_and_a_line_that_says_the_fix() -> None:
    assert SKIP_STATUS == {"athlete_off": "off", "config_off": "off", "public": "skipped_public"}
    assert "syncd athlete set --write-back all" in skip_text("athlete_off", "strava")
    assert "`[garmin] write_back` is off" in skip_text("config_off", "garmin")
    assert '"only me"' in skip_text("public", "strava")


def test_held_items_are_released_when_the_settings_allow_them() -> None:
    held = [
        HeldItem(1, 10, "strava", "off", False),  # the athlete's own off: stays
        HeldItem(2, 11, "strava", None, False),  # follows the configuration
        HeldItem(3, 12, "strava", "private", False),  # public under "private": stays
        HeldItem(4, 13, "strava", "private", True),  # made "only me" since: goes
        HeldItem(5, 14, "garmin", None, False),
    ]
    assert releasable(held, {"strava": "all", "garmin": "off"}) == [2, 4]
    assert releasable(held, {"strava": "off", "garmin": "all"}) == [4, 5]
