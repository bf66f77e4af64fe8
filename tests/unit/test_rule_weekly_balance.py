"""low_cross_training and low_strength: last calendar week in local time, judged on the next week's first run."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from syncd.domain.flags import Confidence, Flag, FlagCode, Severity
from syncd.domain.history import HistoryEntry
from syncd.domain.model import Activity, Source, Sport
from syncd.domain.rules import low_cross_training, low_strength
from syncd.domain.rules.context import RuleContext
from syncd.domain.thresholds import Thresholds

OFFSET_H = 2  # the athlete lives at +02:00
MONDAY = datetime(2026, 11, 23)  # local; ISO week 2026-W48
NEXT_RUN = datetime(2026, 11, 30, 7, 0)  # Monday morning local, W49: the first run after W48


def to_utc(local: datetime) -> datetime:
    return (local - timedelta(hours=OFFSET_H)).replace(tzinfo=UTC)


def activity(local: datetime = NEXT_RUN, sport: Sport = Sport.RUN) -> Activity:
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


def test_a_week_the_history_does_not_cover_gets_no_finding() -> None:
    assert both([]) == (None, None)  # a single annotated file
    from_wednesday = [h for h in runs() if h.start_utc > to_utc(MONDAY + timedelta(days=1))]
    assert both(from_wednesday) == (None, None)  # recording started mid-week: the week is not known
    older = hist(MONDAY - timedelta(days=10), Sport.RUN)
    assert all(f is not None for f in both([older, *from_wednesday]))


def test_a_week_without_running_is_rest_not_a_shortfall() -> None:
    older = hist(MONDAY - timedelta(days=10), Sport.RUN)
    assert both([older]) == (None, None)


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


def test_short_sessions_do_not_count() -> None:
    history = [
        *runs(),
        hist(MONDAY + timedelta(days=1, hours=18), Sport.WALK, minutes=2),  # a 2-minute walk is not a session
        hist(MONDAY + timedelta(days=2, hours=18), Sport.RIDE, minutes=45),
        hist(MONDAY + timedelta(days=3, hours=18), Sport.STRENGTH, minutes=3),
    ]
    cross, strength = both(history)
    assert cross is not None and cross.evidence["sessions"] == 1 and cross.evidence["sports_seen"] == "ride"
    assert strength is not None and strength.evidence["sessions"] == 0
    lenient = Thresholds(min_session_min=1.0)
    cross, strength = both(history, thresholds=lenient)
    assert cross is None  # two sessions now count
    assert strength is not None and strength.evidence["sessions"] == 1


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


def test_only_the_next_weeks_first_run_carries_the_flags() -> None:
    tuesday = activity(NEXT_RUN + timedelta(days=1))
    history = [*runs(), hist(NEXT_RUN, Sport.RUN, key="monday")]
    assert both(history, tuesday) == (None, None)
    # A walk earlier that Monday is not a run: the Monday run is still the week's first run.
    walk = [*runs(), hist(NEXT_RUN - timedelta(hours=2), Sport.WALK)]
    assert all(flag is not None for flag in both(walk))
    # A run of W48 itself is never judged on W48 (the week is not over when it is run).
    sunday = activity(MONDAY + timedelta(days=6, hours=18))
    assert both(runs(), sunday) == (None, None)


def test_later_activities_never_change_the_finding() -> None:
    history = runs()
    before = both(history)
    later = [hist(NEXT_RUN + timedelta(hours=3), Sport.SWIM), hist(NEXT_RUN + timedelta(days=1), Sport.RUN)]
    assert before[0] is not None and both(history + later) == before


def test_sunday_night_and_monday_morning_at_plus_two_belong_to_different_weeks() -> None:
    # Both are on Sunday 29 Nov in UTC (21:30 and 22:10); locally one is Sunday 23:30, the other Monday 00:10.
    sunday_swim = hist(datetime(2026, 11, 29, 23, 30), Sport.SWIM)
    monday_ride = hist(datetime(2026, 11, 30, 0, 10), Sport.RIDE)
    assert sunday_swim.start_utc.date() == monday_ride.start_utc.date()
    cross, _ = both([*runs(), sunday_swim, monday_ride])
    assert cross is not None and cross.evidence["sessions"] == 1 and cross.evidence["sports_seen"] == "swim"
    # A Monday 00:10 run is the first run of W49: the 07:00 run is not, and carries nothing.
    monday_run = hist(datetime(2026, 11, 30, 0, 10), Sport.RUN)
    assert both([*runs(), monday_run]) == (None, None)
    sunday_late_run = hist(datetime(2026, 11, 29, 23, 30), Sport.RUN)
    assert all(flag is not None for flag in both([*runs(), sunday_late_run]))


def test_a_week_of_only_cross_training_flags_nothing() -> None:
    rides = [hist(MONDAY + timedelta(days=d, hours=7), Sport.RIDE) for d in range(3)]
    assert both(rides, activity(sport=Sport.SWIM)) == (None, None)
    assert both(rides) == (None, None)  # no run last week
    assert both([], activity(sport=Sport.STRENGTH)) == (None, None)


def test_week_label_uses_the_iso_year() -> None:
    new_year = datetime(2027, 1, 4, 9)  # Monday of 2027-W01; last week is ISO 2026-W53
    history = [hist(datetime(2026, 12, 28, 7) + timedelta(days=d), Sport.RUN) for d in (0, 4)]
    cross, strength = both(history, activity(new_year))
    assert cross is not None and cross.evidence["week"] == "2026-W53"
    assert strength is not None and strength.evidence["week"] == "2026-W53"
