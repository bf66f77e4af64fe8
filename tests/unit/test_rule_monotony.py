"""monotony on plain history: Foster's ratio over the 7 local days ending on the run, rest days as zero.

Monotony is judged from TRIMP only (issue 28): the runs here carry an average heart rate of 150 and the athlete a
maximum of 190, so a minute of running is K TRIMP and the ratios are those of the minutes."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta

import pytest

from syncd.domain.flags import Confidence, FlagCode, Severity
from syncd.domain.history import HistoryEntry
from syncd.domain.load import MONOTONY_CAP, trimp
from syncd.domain.model import Activity, Source, Sport
from syncd.domain.rules import monotony
from syncd.domain.rules.context import RuleContext
from syncd.domain.thresholds import Thresholds

TODAY = datetime(2026, 11, 23, 7)  # a Monday: the run is the first of its week
HR, MAX_HR = 150.0, 190.0
K = (trimp(60.0, HR, MAX_HR) or 0.0) / 1.0  # TRIMP of one minute at HR


def ctx(**kwargs: object) -> RuleContext:
    return RuleContext(max_heart_rate=MAX_HR, **kwargs)  # type: ignore[arg-type]


def activity(local: datetime = TODAY, minutes: float = 30, sport: Sport = Sport.RUN, offset_h: float = 0) -> Activity:
    offset = int(offset_h * 3600)
    start = (local - timedelta(seconds=offset)).replace(tzinfo=UTC)
    return Activity(
        Source.FILE,
        "now",
        sport,
        sport.value,
        start,
        utc_offset_s=offset,
        elapsed_s=minutes * 60,
        average_heart_rate=HR,
    )


def hist(local: datetime, minutes: float, sport: Sport = Sport.RUN, offset_h: float = 0) -> HistoryEntry:
    offset = int(offset_h * 3600)
    start = (local - timedelta(seconds=offset)).replace(tzinfo=UTC)
    return HistoryEntry(("file", f"{start.isoformat()}-{sport}"), sport, start, offset, minutes * 60, None, HR)


def week(loads: list[float], sport: Sport = Sport.RUN) -> list[HistoryEntry]:
    """The six days before TODAY, oldest first (0 = rest)."""
    return [hist(TODAY - timedelta(days=6 - i), m, sport) for i, m in enumerate(loads) if m]


def evaluate(history: list[HistoryEntry], minutes: float = 30, **t: float):
    """The rule on TODAY's run; the minimum weekly load is off unless given, so the ratio itself is tested."""
    t.setdefault("monotony_min_week_load_trimp", 0.0)
    return monotony.evaluate(ctx(activity=activity(minutes=minutes), history=history, thresholds=Thresholds(**t)))


def test_same_run_every_day_is_high_and_capped() -> None:
    flag = evaluate(week([40] * 6), 40)
    assert flag is not None and flag.code is FlagCode.MONOTONY
    assert flag.severity is Severity.HIGH and flag.confidence is Confidence.MEDIUM
    assert flag.evidence["monotony"] == MONOTONY_CAP and flag.evidence["sd_daily_load"] == 0.0
    assert flag.evidence["week_load"] == pytest.approx(280.0 * K, abs=0.1)
    assert flag.evidence["load_unit"] == "trimp" and flag.evidence["days"] == 7
    assert not re.search(r"\d", flag.advice)


def test_known_caution_week() -> None:
    loads = [30, 30, 30, 0, 30, 30]  # + 30 today: five-of-seven days alike
    flag = evaluate(week(loads), 30)
    mean = 180 / 7
    sd = math.sqrt((6 * (30 - mean) ** 2 + mean**2) / 7)
    assert flag is not None and flag.evidence["monotony"] == pytest.approx(round(mean / sd, 2))
    assert flag.severity is Severity.HIGH  # 2.45
    flag = evaluate(week([30, 30, 0, 30, 30, 0]), 30)  # 150 over 7 days, two rest days: 1.58
    assert flag is not None and flag.severity is Severity.CAUTION and flag.evidence["monotony"] == 1.58
    assert flag.evidence["week_load"] == pytest.approx(150.0 * K, abs=0.1)
    assert flag.evidence["sd_daily_load"] == pytest.approx(13.6 * K, abs=0.1)


def test_varied_week_is_quiet() -> None:
    assert evaluate(week([60, 0, 20, 0, 90, 0]), 30) is None


def test_thresholds_come_from_the_context() -> None:
    history = week([30, 30, 0, 30, 30, 0])
    assert evaluate(history, 30, monotony_caution=1.6) is None
    flag = evaluate(history, 30, monotony_high=1.5)
    assert flag is not None and flag.severity is Severity.HIGH


def test_needs_a_week_of_history_span() -> None:
    assert evaluate([], 30) is None
    five_days = [hist(TODAY - timedelta(days=d), 40) for d in range(1, 6)]
    assert evaluate(five_days, 40) is None  # the week before recording started is unknown, not rest
    assert evaluate([*five_days, hist(TODAY - timedelta(days=6), 40)], 40) is not None


def test_cross_training_days_are_days_off_impact() -> None:
    assert evaluate(week([40] * 6, sport=Sport.RIDE), 40) is None  # only this run: one loaded day
    alternate = [hist(TODAY - timedelta(days=d), 40, Sport.RUN if d % 2 == 0 else Sport.SWIM) for d in range(1, 7)]
    assert evaluate(alternate, 40) is None
    ride = ctx(activity=activity(sport=Sport.RIDE, minutes=40), history=week([40] * 6))
    assert monotony.evaluate(ride) is None


def test_zero_duration_run_in_an_empty_week() -> None:
    old = [hist(TODAY - timedelta(days=10), 30)]
    assert evaluate(old, 0) is None  # no load in the window at all


def test_later_runs_do_not_count() -> None:
    history = week([60, 0, 20, 0, 90, 0]) + [hist(TODAY + timedelta(hours=d * 24 + 1), 30) for d in range(3)]
    assert evaluate(history, 30) is None


def test_days_are_local_across_a_dst_change() -> None:
    # 01:30 local every day; Berlin leaves summer time on 25 Oct (+02:00 -> +01:00). In UTC, 24 Oct 01:30 (+2) is
    # 23 Oct 23:30 and 26 Oct 01:30 (+1) is 26 Oct 00:30: UTC days would show a hole. Local days are all loaded.
    today = datetime(2026, 10, 27, 1, 30)
    history = [
        hist(today - timedelta(days=d), 60, offset_h=2 if (today - timedelta(days=d)).day <= 24 else 1)
        for d in range(1, 7)
    ]
    context = ctx(activity=activity(today, 60, offset_h=1), history=history)
    flag = monotony.evaluate(context)
    assert flag is not None and flag.evidence["monotony"] == MONOTONY_CAP


def test_a_light_regular_week_is_a_habit_not_a_risk() -> None:
    # Five 30-minute runs with two rest days (1.58) and a 7-day streak of 5-minute jogs (capped at 10): light weeks.
    assert evaluate(week([30, 30, 0, 30, 30, 0]), 30, monotony_min_week_load_trimp=450.0) is None
    assert evaluate(week([5] * 6), 5, monotony_min_week_load_trimp=450.0) is None
    default = ctx(activity=activity(minutes=5), history=week([5] * 6))
    assert monotony.evaluate(default) is None
    # The same pattern at an hour a day carries real load and is raised.
    heavy = ctx(activity=activity(minutes=60), history=week([60] * 6))
    flag = monotony.evaluate(heavy)
    assert flag is not None and flag.evidence["week_load"] == pytest.approx(420.0 * K, abs=0.1)


def test_raised_once_per_calendar_week() -> None:
    """Every day an hour: raised on Monday's run, silent on the rest of that week, raised again next Monday."""
    days = [hist(TODAY + timedelta(days=d), 60) for d in range(-6, 14)]
    flagged = []
    for d in range(0, 14):
        run = activity(TODAY + timedelta(days=d), 60)
        earlier = [e for e in days if e.start_utc < run.start_utc]
        flagged.append(monotony.evaluate(ctx(activity=run, history=earlier)) is not None)
    assert flagged == [True] + [False] * 6 + [True] + [False] * 6


def test_raised_on_the_first_run_that_crosses_the_threshold() -> None:
    """A varied week, then the same hour every day: raised once, on Friday, the first day the 7 days cross 1.5."""
    loads = {-6: 90, -5: 0, -4: 30, -3: 0, -2: 120, -1: 0}
    loads.update(dict.fromkeys(range(0, 7), 60))
    entries = [hist(TODAY + timedelta(days=d), m) for d, m in loads.items() if m]
    flagged = []
    for d in range(0, 7):
        run = activity(TODAY + timedelta(days=d), loads[d])
        earlier = [e for e in entries if e.start_utc < run.start_utc]
        flag = monotony.evaluate(ctx(activity=run, history=earlier))
        flagged.append(flag is not None)
    assert flagged == [False, False, False, False, True, False, False]


def test_never_from_minutes() -> None:
    """Six 50-minute runs and a rest day: "high" on minutes, but minutes cannot tell easy days from hard ones."""
    six = week([50, 50, 50, 0, 50, 50])
    assert evaluate(six, 50) is not None  # with heart rates, as TRIMP
    no_max = RuleContext(activity=activity(minutes=50), history=six)
    assert monotony.evaluate(no_max) is None
    no_hr = [HistoryEntry(e.key, e.sport, e.start_utc, 0, e.duration_s) for e in six]
    assert monotony.evaluate(ctx(activity=activity(minutes=50), history=no_hr)) is None
