"""load_spike on plain history: ratios, thresholds, history span, what counts as load, and the load unit."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from syncd.domain.flags import Confidence, FlagCode, Severity
from syncd.domain.history import HistoryEntry
from syncd.domain.model import Activity, Source, Sport
from syncd.domain.rules import load_spike
from syncd.domain.rules.context import RuleContext
from syncd.domain.thresholds import Thresholds

TODAY = datetime(2026, 11, 20, 7)  # local wall-clock time of the evaluated run


def run(local: datetime, minutes: float, sport: Sport = Sport.RUN, hr: float | None = None, offset_h: float = 0):
    offset = int(offset_h * 3600)
    return Activity(
        Source.FILE,
        f"{local.isoformat()}-{sport}",
        sport,
        sport.value,
        (local - timedelta(seconds=offset)).replace(tzinfo=UTC),
        utc_offset_s=offset,
        moving_s=minutes * 60,
        average_heart_rate=hr,
    )


def hist(local: datetime, minutes: float, sport: Sport = Sport.RUN, hr: float | None = None) -> HistoryEntry:
    return HistoryEntry(
        key=("file", f"{local.isoformat()}-{sport}"),
        sport=sport,
        start_utc=local.replace(tzinfo=UTC),
        utc_offset_s=0,
        duration_s=minutes * 60,
        average_heart_rate=hr,
    )


def days(loads: list[float], end: datetime = TODAY, sport: Sport = Sport.RUN) -> list[HistoryEntry]:
    """One session a day for the days before `end`, oldest first; zero minutes means a rest day."""
    n = len(loads)
    return [hist(end - timedelta(days=n - i), m, sport) for i, m in enumerate(loads) if m]


def evaluate(history: list[HistoryEntry], minutes: float, max_hr: float | None = None, **t: float):
    ctx = RuleContext(
        activity=run(TODAY, minutes),
        history=history,
        thresholds=Thresholds(**t),
        max_heart_rate=max_hr,  # type: ignore[arg-type]
    )
    return load_spike.evaluate(ctx)


def test_steady_training_is_not_a_spike() -> None:
    assert evaluate(days([30] * 27), 30) is None


def test_doubling_the_week_is_high_with_uncoupled_numbers() -> None:
    flag = evaluate(days([20] * 21 + [40] * 6), 40)
    assert flag is not None and flag.code is FlagCode.LOAD_SPIKE
    assert flag.severity is Severity.HIGH and flag.confidence is Confidence.MEDIUM
    assert flag.evidence == {
        "method": "rolling_uncoupled",
        "acute_load": 280.0,
        "chronic_load": 140.0,
        "acwr": 2.0,
        "load_unit": "min",
    }
    assert not re.search(r"\d", flag.advice) and "clinician" in flag.advice


def test_moderate_rise_is_caution() -> None:
    flag = evaluate(days([20] * 21 + [28] * 6), 28)  # 196 / 140 = 1.4
    assert flag is not None and flag.severity is Severity.CAUTION and flag.evidence["acwr"] == 1.4


def test_thresholds_come_from_the_context() -> None:
    history = days([20] * 21 + [28] * 6)
    assert evaluate(history, 28, acwr_caution=1.45, acwr_high=1.6) is None
    flag = evaluate(history, 28, acwr_caution=1.0, acwr_high=1.35)
    assert flag is not None and flag.severity is Severity.HIGH


def test_needs_enough_history_span() -> None:
    assert evaluate([], 60) is None
    short = days([20] * 13 + [40] * 6)  # span 20 days
    assert evaluate(short, 40) is None
    enough = days([20] * 14 + [40] * 6)  # span 21 days: chronic from the 14 covered days
    flag = evaluate(enough, 40)
    assert flag is not None and flag.confidence is Confidence.LOW and flag.evidence["chronic_load"] == 140.0
    assert evaluate(enough, 40, acwr_min_history_days=28) is None


def test_one_earlier_activity_long_ago_without_recent_running_gives_no_ratio() -> None:
    # Span is long enough, but nothing was run in the chronic window: the ratio is undefined, not infinite.
    assert evaluate([hist(TODAY - timedelta(days=30), 30)], 60) is None


def test_only_runs_count_and_only_runs_are_flagged() -> None:
    steady = days([30] * 27)
    rides = [hist(TODAY - timedelta(days=d, hours=3), 180, Sport.RIDE) for d in range(1, 7)]
    assert evaluate(steady + rides, 30) is None  # a big week on the bike is not a running spike
    spike = days([20] * 21 + [40] * 6)
    ride_ctx = RuleContext(activity=run(TODAY, 40, Sport.RIDE), history=spike)
    assert load_spike.evaluate(ride_ctx) is None
    trail = RuleContext(activity=run(TODAY, 40, Sport.TRAIL_RUN), history=spike)
    assert load_spike.evaluate(trail) is not None


def test_later_sessions_do_not_count() -> None:
    later = [hist(TODAY + timedelta(hours=5), 300), hist(TODAY + timedelta(days=2), 300)]
    assert evaluate(days([30] * 27) + later, 30) is None


def test_an_ultra_after_steady_weeks_is_high() -> None:
    flag = evaluate(days([30] * 27), 300)  # 6 x 30 + 300 = 480 vs 210
    assert flag is not None and flag.severity is Severity.HIGH and flag.evidence["acwr"] == pytest.approx(2.29)


def test_a_zero_duration_run_adds_no_load() -> None:
    assert evaluate(days([30] * 27), 0) is None


def test_trimp_when_max_hr_and_all_heart_rates_are_known_else_minutes() -> None:
    history = [hist(TODAY - timedelta(days=d), 20 if d > 6 else 40, hr=140 if d > 6 else 160) for d in range(1, 28)]
    ctx = RuleContext(activity=run(TODAY, 40, hr=160), history=history, max_heart_rate=190)
    flag = load_spike.evaluate(ctx)
    assert flag is not None and flag.evidence["load_unit"] == "trimp"
    assert flag.evidence["acwr"] > 2.0  # harder sessions weigh more than their minutes
    no_max = load_spike.evaluate(RuleContext(activity=run(TODAY, 40, hr=160), history=history))
    assert no_max is not None and no_max.evidence["load_unit"] == "min" and no_max.evidence["acwr"] == 2.0
    missing_hr = load_spike.evaluate(RuleContext(activity=run(TODAY, 40), history=history, max_heart_rate=190))
    assert missing_hr is not None and missing_hr.evidence["load_unit"] == "min"


def test_local_dates_decide_the_window() -> None:
    # The evaluated run is at 00:30 on 20 Nov local time (+02:00), i.e. 22:30 UTC on 19 Nov.
    activity = run(datetime(2026, 11, 20, 0, 30), 40, offset_h=2)
    base = [
        HistoryEntry(("f", str(d)), Sport.RUN, datetime(2026, 11, 20, 6, tzinfo=UTC) - timedelta(days=d), 7200, 1200)
        for d in range(7, 28)
    ]
    acute = [
        HistoryEntry(("a", str(d)), Sport.RUN, datetime(2026, 11, 20, 6, tzinfo=UTC) - timedelta(days=d), 7200, 2400)
        for d in range(1, 7)
    ]
    flag = load_spike.evaluate(RuleContext(activity=activity, history=base + acute))
    assert flag is not None and flag.evidence["acwr"] == 2.0


# --- issue #13: one guard everywhere (domain.load.check_load), return after a break, no ratio on a tiny base


def break_history(rest_days: int = 21) -> list[HistoryEntry]:
    """Five weeks of 40-minute runs every other day (~140 min a week), then `rest_days` without running."""
    return days([40.0 if i % 2 == 0 else 0.0 for i in range(35)] + [0.0] * rest_days)


def test_a_ten_minute_jog_after_three_weeks_off_is_not_a_spike() -> None:
    """The issue saw "27.0, high" here: the acute week is 10 min against a chronic window of near-rest."""
    assert evaluate(break_history(), 10.0) is None


def test_a_ninety_minute_long_run_after_three_weeks_off_says_start_short() -> None:
    flag = evaluate(break_history(), 90.0)
    assert flag is not None and flag.code is FlagCode.LOAD_SPIKE and flag.severity is Severity.CAUTION
    assert flag.evidence["finding"] == "return_after_break"
    assert flag.evidence["break_days"] == 21
    assert flag.evidence["acute_load"] == 90.0
    assert flag.evidence["before_break_load"] == pytest.approx(140.0, abs=15.0)
    assert "acwr" not in flag.evidence and "short and easy" in flag.advice


def test_a_tiny_base_gives_no_ratio() -> None:
    """27 days of a 5-minute jog every third day (~12 min a week): 30 minutes today would read as a ratio of ~3."""
    history = days([5.0, 0.0, 0.0] * 9)
    assert evaluate(history, 30.0) is None
    assert evaluate(history, 30.0, acwr_min_chronic_min=0.0) is not None  # the guard, not something else


def test_the_guard_verdicts() -> None:
    from syncd.domain.load import check_load

    def check(history: list[HistoryEntry]) -> str:
        return check_load(history, TODAY.date(), min_history_days=21, min_chronic_minutes=60.0, break_days=14).status

    assert check(days([30.0] * 10)) == "not_enough_history"
    assert check(days([30.0] * 30)) == "ratio"
    assert check([*break_history(), hist(TODAY, 10.0)]) == "return_after_break"
    assert check(days([3.0] * 30)) == "not_enough_history"
