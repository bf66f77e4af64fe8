"""long_run_spike on plain history (Frandsen et al. 2025): one run against the longest run of the previous 30 days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from syncd.domain.flags import FlagCode, Severity
from syncd.domain.history import HistoryEntry
from syncd.domain.model import Activity, Source, Sport
from syncd.domain.notes import render_flag
from syncd.domain.rules import evaluate as evaluate_all
from syncd.domain.rules import long_run_spike
from syncd.domain.rules.context import RuleContext
from syncd.domain.thresholds import Thresholds

TODAY = datetime(2026, 11, 20, 7, tzinfo=UTC)


def run(km: float | None, minutes: float = 60.0, sport: Sport = Sport.RUN) -> Activity:
    return Activity(
        Source.FILE,
        "today",
        sport,
        sport.value,
        TODAY,
        distance_m=None if km is None else km * 1000,
        moving_s=minutes * 60,
    )


def hist(days_ago: float, km: float | None, minutes: float = 60.0, sport: Sport = Sport.RUN) -> HistoryEntry:
    start = TODAY - timedelta(days=days_ago)
    return HistoryEntry(
        ("file", f"h{days_ago}-{sport}"), sport, start, 0, minutes * 60, None if km is None else km * 1000
    )


def month(longest_km: float = 10.0) -> list[HistoryEntry]:
    """Five weeks of 6-8 km runs, the longest of the last 30 days `longest_km` (12 days ago)."""
    return [hist(d, 6.0 + d % 3) for d in range(2, 36, 2)] + [hist(12.5, longest_km, 70.0)]


def evaluate(activity: Activity, history: list[HistoryEntry], **t: float):
    return long_run_spike.evaluate(RuleContext(activity=activity, history=history, thresholds=Thresholds(**t)))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("km", "band", "severity"),
    [
        (11.0, None, None),  # exactly 10 % longer: within the reference band
        (11.5, "10-30", Severity.CAUTION),
        (13.0, "10-30", Severity.CAUTION),
        (15.0, "30-100", Severity.CAUTION),
        (20.0, "30-100", Severity.CAUTION),
        (21.0, ">100", Severity.HIGH),
    ],
)
def test_the_studys_bands(km: float, band: str | None, severity: Severity | None) -> None:
    flag = evaluate(run(km), month(10.0))
    if band is None:
        assert flag is None
        return
    assert flag is not None and flag.code is FlagCode.LONG_RUN_SPIKE and flag.severity is severity
    assert flag.evidence["band"] == band and flag.evidence["basis"] == "distance"
    assert flag.evidence["longest_m"] == 10000.0 and flag.evidence["longer_pct"] == pytest.approx((km / 10 - 1) * 100)
    assert flag.evidence["next_m"] == 11000.0  # build from the base you had, 10 % at a time


def test_needs_thirty_days_of_recording_and_a_run_in_them() -> None:
    three_weeks = [hist(d, 6.0) for d in range(1, 22)]
    assert evaluate(run(15.0), three_weeks) is None  # the recording is younger than the window
    assert evaluate(run(15.0), [*three_weeks, hist(35, 5.0, sport=Sport.RIDE)]) is not None
    only_old = [hist(d, 6.0) for d in range(31, 40)]
    assert evaluate(run(15.0), only_old) is None  # no run in the window: a return, judged by load_spike


def test_only_runs_count_and_later_runs_never() -> None:
    history = [*month(10.0), hist(5, 40.0, 120.0, Sport.RIDE), hist(-1, 30.0)]
    flag = evaluate(run(13.0), history)
    assert flag is not None and flag.evidence["longest_m"] == 10000.0
    assert evaluate(run(13.0, sport=Sport.RIDE), month(10.0)) is None


def test_time_when_the_run_has_no_distance() -> None:
    flag = evaluate(run(None, minutes=105.0, sport=Sport.TREADMILL_RUN), month(10.0))
    assert flag is not None and flag.evidence["basis"] == "time"
    assert flag.evidence["longest_s"] == 70 * 60 and flag.evidence["longer_pct"] == pytest.approx(50.0)
    assert flag.evidence["next_s"] == pytest.approx(77 * 60)


def test_thresholds_come_from_the_config() -> None:
    assert evaluate(run(11.5), month(10.0), long_run_spike_pct=20.0) is None
    flag = evaluate(run(15.0), month(10.0), long_run_spike_high_pct=40.0)
    assert flag is not None and flag.severity is Severity.HIGH and flag.evidence["band"] == ">40"


def test_the_note_says_how_much_longer_and_the_next_long_run() -> None:
    flag = evaluate(run(16.8), month(12.0))
    assert flag is not None
    line = render_flag(flag)
    assert "16.8 km, 40% longer than your longest run of the previous 30 days (12 km)" in line
    assert "next long run about 13.2 km" in line
    imperial = render_flag(flag, units="imperial")
    assert "mi" in imperial and "km" not in imperial


def test_it_runs_with_the_rule_set() -> None:
    ctx = RuleContext(activity=run(21.0), history=month(10.0))
    assert FlagCode.LONG_RUN_SPIKE in {flag.code for flag in evaluate_all(ctx).flags}
