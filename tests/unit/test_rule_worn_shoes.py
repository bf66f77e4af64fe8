"""worn_shoes on plain Gear data: limits, severities, sources and when the rule stays quiet."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from syncd.domain.flags import Confidence, FlagCode, Severity
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
    assert flag.confidence is Confidence.LOW  # the default limit rests on weak evidence
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
