"""worn_shoes on plain Gear data: limits, severities, sources and when the rule stays quiet."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from syncd.domain.flags import Confidence, FlagCode, Severity
from syncd.domain.history import HistoryEntry
from syncd.domain.model import Activity, Gear, Source, Sport
from syncd.domain.rules import worn_shoes
from syncd.domain.rules.context import RuleContext
from syncd.domain.thresholds import Thresholds

KEYS = {"gear_name", "gear_distance_m", "limit_m", "limit_source", "share_pct"}


def ctx(
    km: float, limit_km: float | None = None, sport: Sport = Sport.RUN, kind: str = "shoe", **t: float
) -> RuleContext:
    activity = Activity(Source.STRAVA, "1", sport, sport.value, datetime(2026, 11, 20, 7, tzinfo=UTC), moving_s=1800)
    gear = Gear("g1", "Daily trainers", km * 1000, None if limit_km is None else limit_km * 1000, kind=kind)
    return RuleContext(activity=activity, gear=gear, thresholds=Thresholds(**t))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("km", "severity"),
    [
        (100, None),
        (539.9, None),
        (540, Severity.INFO),  # 90 % of the 600 km default
        (599, Severity.INFO),
        (600, Severity.CAUTION),  # at the limit
        (750, Severity.CAUTION),  # exactly 125 %: not yet "far over"
        (751, Severity.HIGH),
        (2000, Severity.HIGH),
    ],
)
def test_severity_against_the_default_limit(km: float, severity: Severity | None) -> None:
    flag = worn_shoes.evaluate(ctx(km))
    if severity is None:
        assert flag is None
        return
    assert flag is not None
    assert flag.code is FlagCode.WORN_SHOES and flag.severity is severity
    assert flag.confidence is Confidence.MEDIUM  # the note names the default limit; no "thin evidence" marker
    assert set(flag.evidence) == KEYS
    assert flag.evidence["limit_source"] == "default" and flag.evidence["limit_m"] == 600_000.0
    assert flag.evidence["gear_distance_m"] == km * 1000
    assert flag.evidence["share_pct"] == pytest.approx(km / 6, abs=0.05)
    assert flag.evidence["gear_name"] == "Daily trainers"


def test_the_shoes_own_limit_wins_and_raises_confidence() -> None:
    assert worn_shoes.evaluate(ctx(700, limit_km=800)) is None  # 87.5 % of its own 800 km
    flag = worn_shoes.evaluate(ctx(760, limit_km=800))
    assert flag is not None and flag.severity is Severity.INFO and flag.confidence is Confidence.MEDIUM
    assert flag.evidence["limit_source"] == "gear" and flag.evidence["limit_m"] == 800_000.0
    assert flag.evidence["share_pct"] == 95.0
    low = worn_shoes.evaluate(ctx(450, limit_km=400))
    assert low is not None and low.severity is Severity.CAUTION


def test_a_zero_gear_limit_means_no_limit_set() -> None:
    flag = worn_shoes.evaluate(ctx(610, limit_km=0))
    assert flag is not None and flag.evidence["limit_source"] == "default"


def test_thresholds_are_honoured() -> None:
    flag = worn_shoes.evaluate(ctx(480, shoe_limit_km=500))
    assert flag is not None and flag.severity is Severity.INFO and flag.evidence["limit_m"] == 500_000.0
    assert worn_shoes.evaluate(ctx(480, shoe_limit_km=500, shoe_nearly_worn_pct=99)) is None
    high = worn_shoes.evaluate(ctx(660, shoe_far_over_pct=105))
    assert high is not None and high.severity is Severity.HIGH


def test_runs_with_shoes_only() -> None:
    assert worn_shoes.evaluate(ctx(900, sport=Sport.RIDE)) is None
    assert worn_shoes.evaluate(ctx(9000, kind="bike")) is None
    assert worn_shoes.evaluate(ctx(900, sport=Sport.TRAIL_RUN)) is not None
    no_gear = RuleContext(activity=ctx(900).activity)
    assert worn_shoes.evaluate(no_gear) is None


def test_advice_is_plain_words_without_numbers_or_units() -> None:
    for km in (560, 700):
        flag = worn_shoes.evaluate(ctx(km))
        assert flag is not None and flag.advice
        assert not re.search(r"\d|\bkm\b|\bmiles?\b", flag.advice)
    nearly, over = worn_shoes.evaluate(ctx(560)), worn_shoes.evaluate(ctx(700))
    assert nearly is not None and over is not None and nearly.advice != over.advice


def test_retired_shoes_are_silent() -> None:
    activity = Activity(Source.STRAVA, "1", Sport.RUN, "run", datetime(2026, 11, 20, 7, tzinfo=UTC), moving_s=1800)
    retired = Gear("g1", "Old pair", 900_000.0, retired=True)
    assert worn_shoes.evaluate(RuleContext(activity=activity, gear=retired)) is None


def shoe_week(km_after_each: list[float], days: list[int]) -> list[bool]:
    """Runs of 10 km on the given days of Mon 2026-11-16.. with the shoe at `km_after_each` after each run."""
    monday = datetime(2026, 11, 16, 7, tzinfo=UTC)
    raised = []
    for i, (day, km) in enumerate(zip(days, km_after_each, strict=True)):
        run = Activity(
            Source.STRAVA,
            f"r{i}",
            Sport.RUN,
            "run",
            monday + timedelta(days=day),
            distance_m=10_000.0,
            moving_s=3000,
            gear_id="g1",
        )
        history = [
            HistoryEntry(("strava", f"r{j}"), Sport.RUN, monday + timedelta(days=d), 0, 3000.0, 10_000.0, gear_id="g1")
            for j, d in enumerate(days[:i])
        ]
        gear = Gear("g1", "Daily trainers", km * 1000)
        raised.append(worn_shoes.evaluate(RuleContext(activity=run, history=history, gear=gear)) is not None)
    return raised


def test_raised_when_the_limit_is_crossed_and_then_weekly() -> None:
    # 580 km (below 90 %) ... crosses 540 (info) on the 2nd run, 600 (caution) on the 4th; a new week re-raises.
    days = [0, 1, 2, 3, 4, 7, 8, 9, 14]
    km = [530, 540, 550, 600, 610, 620, 630, 640, 650]
    assert shoe_week(km, days) == [False, True, False, True, False, True, False, False, True]


def test_other_shoes_runs_do_not_count_as_this_shoes_week() -> None:
    monday = datetime(2026, 11, 16, 7, tzinfo=UTC)
    run = Activity(Source.STRAVA, "r", Sport.RUN, "run", monday + timedelta(days=2), distance_m=10_000.0, gear_id="g1")
    other = HistoryEntry(("strava", "o"), Sport.RUN, monday, 0, 3000.0, 10_000.0, gear_id="g2")
    flag = worn_shoes.evaluate(RuleContext(activity=run, history=[other], gear=Gear("g1", "x", 700_000.0)))
    assert flag is not None
