"""low_cross_training and low_strength: calendar weeks in local time, the week's last run, and a finished week."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from syncd.domain.flags import Confidence, Flag, FlagCode, Severity
from syncd.domain.history import HistoryEntry
from syncd.domain.model import Activity, Source, Sport
from syncd.domain.rules import low_cross_training, low_strength
from syncd.domain.rules.context import RuleContext
from syncd.domain.thresholds import Thresholds

OFFSET_H = 2  # the athlete lives at +02:00
MONDAY = datetime(2026, 11, 23)  # local; ISO week 2026-W48
LAST_RUN = datetime(2026, 11, 29, 18, 0)  # Sunday evening local
RULES = (low_cross_training, low_strength)


def to_utc(local: datetime) -> datetime:
    return (local - timedelta(hours=OFFSET_H)).replace(tzinfo=UTC)


def activity(local: datetime = LAST_RUN, sport: Sport = Sport.RUN) -> Activity:
    return Activity(Source.FILE, "now", sport, sport.value, to_utc(local), utc_offset_s=OFFSET_H * 3600, moving_s=1800)


def hist(local: datetime, sport: Sport, minutes: float = 30, key: str | None = None) -> HistoryEntry:
    return HistoryEntry(
        ("file", key or f"{local.isoformat()}-{sport}"), sport, to_utc(local), OFFSET_H * 3600, minutes * 60
    )


def runs() -> list[HistoryEntry]:
    return [hist(MONDAY + timedelta(days=d, hours=7), Sport.RUN) for d in (0, 2, 4)]


def both(history: list[HistoryEntry], act: Activity | None = None, **kw: object) -> tuple[Flag | None, Flag | None]:
    ctx = RuleContext(activity=act or activity(), history=history, **kw)  # type: ignore[arg-type]
    return low_cross_training.evaluate(ctx), low_strength.evaluate(ctx)


def test_a_week_of_running_only_flags_both_as_caution() -> None:
    cross, strength = both(runs())
    assert cross is not None and strength is not None
    assert cross.code is FlagCode.LOW_CROSS_TRAINING and strength.code is FlagCode.LOW_STRENGTH
    for flag, target in ((cross, 2), (strength, 3)):
        assert flag.severity is Severity.CAUTION and flag.confidence is Confidence.MEDIUM
        assert flag.evidence == {"sessions": 0, "target": target, "week": "2026-W48", "sports_seen": ""}
        assert flag.advice and not re.search(r"\d", flag.advice)
    assert cross.advice != strength.advice


def test_one_activity_and_no_history_still_has_a_known_week() -> None:
    cross, strength = both([])
    assert cross is not None and strength is not None and cross.evidence["sessions"] == 0


def test_partial_targets_are_info_and_name_the_sports() -> None:
    history = [
        *runs(),
        hist(MONDAY + timedelta(days=1, hours=18), Sport.SWIM),
        hist(MONDAY + timedelta(days=3, hours=18), Sport.YOGA),
        hist(MONDAY + timedelta(days=5, hours=9), Sport.STRENGTH, minutes=0),  # untimed sessions still count
    ]
    cross, strength = both(history)
    assert cross is not None and cross.severity is Severity.INFO
    assert cross.evidence["sessions"] == 1 and cross.evidence["sports_seen"] == "swim"
    assert strength is not None and strength.severity is Severity.INFO
    assert strength.evidence["sessions"] == 2 and strength.evidence["sports_seen"] == "strength,yoga"


def test_meeting_the_targets_is_quiet() -> None:
    history = [
        *runs(),
        hist(MONDAY + timedelta(days=1, hours=18), Sport.RIDE),
        hist(MONDAY + timedelta(days=3, hours=18), Sport.ELLIPTICAL),
        *[hist(MONDAY + timedelta(days=d, hours=20), Sport.STRENGTH) for d in (0, 2, 4)],
    ]
    assert both(history) == (None, None)


def test_targets_come_from_thresholds() -> None:
    history = [*runs(), hist(MONDAY + timedelta(days=1, hours=18), Sport.RIDE)]
    t = Thresholds(low_impact_sessions_per_week=1, strength_sessions_per_week=0)
    assert both(history, thresholds=t) == (None, None)
    cross, _ = both(history, thresholds=Thresholds(low_impact_sessions_per_week=4))
    assert cross is not None and cross.evidence["target"] == 4


def test_only_the_weeks_last_run_carries_the_flags() -> None:
    wednesday = activity(MONDAY + timedelta(days=2, hours=7))
    history = [h for h in runs() if h.start_utc != wednesday.start_utc] + [hist(LAST_RUN, Sport.RUN, key="sun")]
    assert both(history, wednesday) == (None, None)
    # A run in the next week does not make this one any less the last of its week.
    next_week = [*runs(), hist(MONDAY + timedelta(days=7, hours=7), Sport.RUN)]
    assert all(flag is not None for flag in both(next_week))
    # A later walk is not a run: the Sunday run is still the last run.
    walk = [*runs(), hist(LAST_RUN + timedelta(hours=2), Sport.WALK)]
    cross, _ = both(walk)
    assert cross is not None and cross.evidence["sessions"] == 1


def test_sunday_night_and_monday_morning_at_plus_two_belong_to_different_weeks() -> None:
    # Both are on Sunday 29 Nov in UTC (21:30 and 22:10); locally one is Sunday 23:30, the other Monday 00:10.
    sunday_swim = hist(datetime(2026, 11, 29, 23, 30), Sport.SWIM)
    monday_ride = hist(datetime(2026, 11, 30, 0, 10), Sport.RIDE)
    assert sunday_swim.start_utc.date() == monday_ride.start_utc.date()
    cross, _ = both([*runs(), sunday_swim, monday_ride])
    assert cross is not None and cross.evidence["sessions"] == 1 and cross.evidence["sports_seen"] == "swim"
    # A Monday 00:10 run starts the next week: the Sunday 18:00 run stays the last run of W48.
    monday_run = hist(datetime(2026, 11, 30, 0, 10), Sport.RUN)
    assert all(flag is not None for flag in both([*runs(), monday_run]))
    sunday_late_run = hist(datetime(2026, 11, 29, 23, 30), Sport.RUN)
    assert both([*runs(), sunday_late_run]) == (None, None)


@pytest.mark.parametrize(
    ("now_utc", "expect_flags"),
    [
        (datetime(2026, 11, 29, 21, 59, tzinfo=UTC), False),  # Sunday 23:59 local: the week is not over
        (datetime(2026, 11, 29, 22, 0, tzinfo=UTC), True),  # Monday 00:00 local
        (datetime(2026, 12, 15, 9, 0, tzinfo=UTC), True),
        (None, True),
    ],
)
def test_only_a_finished_week_is_judged(now_utc: datetime | None, expect_flags: bool) -> None:
    flags = both(runs(), now=now_utc)
    assert all((f is not None) == expect_flags for f in flags)


def test_a_naive_now_is_read_as_utc() -> None:
    assert both(runs(), now=datetime(2026, 11, 29, 21, 59)) == (None, None)
    assert all(f is not None for f in both(runs(), now=datetime(2026, 11, 29, 22, 0)))


def test_a_week_of_only_cross_training_flags_nothing() -> None:
    rides = [hist(MONDAY + timedelta(days=d, hours=7), Sport.RIDE) for d in range(3)]
    assert both(rides, activity(sport=Sport.SWIM)) == (None, None)
    assert both([], activity(sport=Sport.STRENGTH)) == (None, None)


def test_week_label_uses_the_iso_year() -> None:
    new_year = datetime(2027, 1, 1, 9)  # a Friday in ISO week 2026-W53
    cross, strength = both([], activity(new_year))
    assert cross is not None and cross.evidence["week"] == "2026-W53"
    assert strength is not None and strength.evidence["week"] == "2026-W53"
