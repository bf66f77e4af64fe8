"""load_spike on plain history: ratios, thresholds, history span, what counts as load, and the load unit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from syncd.domain.flags import FlagCode, Severity
from syncd.domain.history import HistoryEntry, summarize
from syncd.domain.load import LoadCheck, check_load, sessions_until
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


def load(history: list[HistoryEntry], minutes: float, max_hr: float | None = None, **t: float) -> LoadCheck:
    """The load verdict the digest shows for a run of `minutes` today (the ratio is information there, issue 28)."""
    th = Thresholds(**t)
    current = summarize(run(TODAY, minutes))
    return check_load(
        sessions_until(history, current),
        current.local_date,
        min_history_days=th.acwr_min_history_days,
        min_chronic_minutes=th.acwr_min_chronic_min,
        break_days=th.return_break_days,
        max_hr=max_hr,
    )


def test_a_doubled_week_is_information_for_the_digest_not_a_flag_on_the_run() -> None:
    """Frandsen et al. 2025 found no rise in injuries with the weekly ratio: no caution on a run (issue 28)."""
    history = days([20] * 21 + [40] * 6)
    assert evaluate(history, 40) is None
    verdict = load(history, 40)
    assert verdict.status == "ratio" and verdict.ratio == 2.0 and verdict.level(1.3, 1.5) == "high"
    assert (verdict.acute_load, verdict.chronic_load, verdict.unit) == (280.0, 140.0, "min")


def test_ratio_levels_follow_the_thresholds() -> None:
    verdict = load(days([20] * 21 + [28] * 6), 28)  # 196 / 140 = 1.4
    assert verdict.ratio == pytest.approx(1.4) and verdict.level(1.3, 1.5) == "caution"
    assert verdict.level(1.45, 1.6) == "ok" and verdict.level(1.0, 1.35) == "high"


def test_needs_enough_history_span() -> None:
    assert load([], 60).ratio is None
    assert load(days([20] * 13 + [40] * 6), 40).ratio is None  # span 20 days
    enough = load(days([20] * 14 + [40] * 6), 40)  # span 21 days: chronic from the 14 covered days
    assert enough.ratio is not None and enough.chronic_load == 140.0
    assert load(days([20] * 14 + [40] * 6), 40, acwr_min_history_days=28).ratio is None


def test_only_runs_count_and_later_sessions_do_not() -> None:
    steady = days([30] * 27)
    rides = [hist(TODAY - timedelta(days=d, hours=3), 180, Sport.RIDE) for d in range(1, 7)]
    assert load(steady + rides, 30).ratio == pytest.approx(1.0)  # a big week on the bike is not a running spike
    later = [hist(TODAY + timedelta(hours=5), 300), hist(TODAY + timedelta(days=2), 300)]
    assert load(steady + later, 30).ratio == pytest.approx(1.0)
    assert load_spike.evaluate(RuleContext(activity=run(TODAY, 40, Sport.RIDE), history=steady)) is None


def test_trimp_when_max_hr_and_all_heart_rates_are_known_else_minutes() -> None:
    history = [hist(TODAY - timedelta(days=d), 20 if d > 6 else 40, hr=140 if d > 6 else 160) for d in range(1, 28)]
    current = summarize(run(TODAY, 40, hr=160))

    def verdict(max_hr: float | None, hr: bool = True) -> LoadCheck:
        now = current if hr else summarize(run(TODAY, 40))
        return check_load(
            sessions_until(history, now), now.local_date, min_history_days=21, min_chronic_minutes=60, break_days=14,
            max_hr=max_hr,
        )  # fmt: skip

    trimp = verdict(190)
    assert trimp.unit == "trimp" and trimp.ratio is not None and trimp.ratio > 2.0  # harder sessions weigh more
    assert verdict(None).unit == "min" and verdict(None).ratio == 2.0
    assert verdict(190, hr=False).unit == "min"


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
    assert load(history, 30.0).ratio is None
    assert load(history, 30.0, acwr_min_chronic_min=0.0).ratio is not None  # the guard, not something else


def test_the_guard_verdicts() -> None:
    from syncd.domain.load import check_load

    def check(history: list[HistoryEntry]) -> str:
        return check_load(history, TODAY.date(), min_history_days=21, min_chronic_minutes=60.0, break_days=14).status

    assert check(days([30.0] * 10)) == "not_enough_history"
    assert check(days([30.0] * 30)) == "ratio"
    assert check([*break_history(), hist(TODAY, 10.0)]) == "return_after_break"
    assert check(days([3.0] * 30)) == "not_enough_history"


# --- issue 28: the usual week before a break is a real week, and a return needs an absolute floor


def test_one_run_before_the_break_is_a_one_run_week_not_seven() -> None:
    """One 53-minute run recorded the day after the history began read as '368 min a week' before issue 28."""
    history = [hist(TODAY - timedelta(days=30), 53.0)]  # the only run before the break
    flag = evaluate([*history, hist(TODAY - timedelta(days=2), 120.0), hist(TODAY - timedelta(days=1), 122.0)], 0.0)
    assert flag is not None and flag.evidence["finding"] == "return_after_break"
    assert flag.evidence["before_break_load"] == pytest.approx(53.0)  # a 53-minute week, not 371
    assert flag.evidence["acute_load"] == 242.0


def test_a_small_return_after_a_tiny_base_is_not_a_caution() -> None:
    """30 minutes in the week back after ~12-minute weeks is under the absolute floor (return_min_week_min)."""
    base = days([6.0 if i % 3 == 0 else 0.0 for i in range(28)] + [0.0] * 15)
    assert evaluate(base, 30.0) is None
    flag = evaluate(base, 30.0, return_min_week_min=0.0)
    assert flag is not None and flag.evidence["finding"] == "return_after_break"  # the floor, not something else
