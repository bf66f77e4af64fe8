"""The rule engine: every flag code has one rule, evaluate() runs them all in order, and the rules version moves
whenever a rule's VERSION or a threshold changes. Also the throughput budget of the whole rule set."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from syncd.domain import rules
from syncd.domain.flags import Confidence, Flag, FlagCode, Severity
from syncd.domain.history import HistoryEntry
from syncd.domain.model import Activity, Gear, Source, Sport, Streams
from syncd.domain.rule_versions import RULE_VERSIONS
from syncd.domain.rules import RULE_MODULES, Annotation, RuleContext, evaluate, rules_version
from syncd.domain.thresholds import Thresholds

TODAY = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # a Monday


def history(days: int = 42, sport: Sport = Sport.RUN) -> list[HistoryEntry]:
    return [
        HistoryEntry(("file", f"h{d}"), sport, TODAY - timedelta(days=d), 0, 3600.0, 10_400.0, 140.0, 2.9)
        for d in range(1, days + 1)
    ]


def run(sport: Sport = Sport.RUN, streams: Streams | None = None) -> Activity:
    return Activity(
        Source.FILE, "now", sport, sport.value, TODAY, distance_m=10_400, moving_s=3600, streams=streams,
        average_heart_rate=140.0,
    )  # fmt: skip


def test_every_flag_code_has_exactly_one_rule_module() -> None:
    names = [m.__name__.rsplit(".", 1)[-1] for m in RULE_MODULES]
    assert sorted(names) == sorted(code.value for code in FlagCode)
    for module in RULE_MODULES:
        assert isinstance(module.VERSION, int) and module.VERSION >= 1
        assert callable(module.evaluate)
        assert module.__doc__ and "RISK-FACTS" in module.__doc__, module.__name__


def test_evaluate_collects_the_history_rules_in_rule_order() -> None:
    ctx = RuleContext(activity=run(), history=history(), gear=Gear("g", "Old pair", 700_000.0), max_heart_rate=190)
    annotation = evaluate(ctx)
    assert isinstance(annotation, Annotation)
    codes = [f.code for f in annotation.flags]
    # Same hour every day at the same heart rate (monotony needs TRIMP), no cross-training or strength, shoes past
    # 600 km; the first run of a new week.
    for expected in (FlagCode.WORN_SHOES, FlagCode.MONOTONY, FlagCode.LOW_CROSS_TRAINING, FlagCode.LOW_STRENGTH):
        assert expected in codes
    assert FlagCode.LOAD_SPIKE not in codes  # steady load
    order = [m.__name__.rsplit(".", 1)[-1] for m in RULE_MODULES]
    assert codes == sorted(codes, key=lambda c: order.index(c.value))
    assert len(codes) == len(set(codes))
    assert annotation.rules_version == rules_version(ctx.thresholds)


def test_a_ride_gets_no_flags_and_empty_context_is_fine() -> None:
    assert evaluate(RuleContext(activity=run(Sport.RIDE), history=history(), gear=Gear("g", "x", 1e6))).flags == ()
    bare = evaluate(RuleContext(activity=run()))
    assert all(isinstance(f, Flag) for f in bare.flags)
    assert FlagCode.LOAD_SPIKE not in {f.code for f in bare.flags}


def test_evaluate_runs_every_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    for module in RULE_MODULES:
        code = FlagCode(module.__name__.rsplit(".", 1)[-1])
        flag = Flag(code, Severity.INFO, Confidence.LOW)
        monkeypatch.setattr(module, "evaluate", lambda ctx, flag=flag: flag)
    flags = evaluate(RuleContext(activity=run(Sport.RIDE))).flags
    assert [f.code.value for f in flags] == [m.__name__.rsplit(".", 1)[-1] for m in RULE_MODULES]


def test_rules_version_is_stable_and_moves_with_thresholds(monkeypatch: pytest.MonkeyPatch) -> None:
    base = rules_version(Thresholds())
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{12}", base)
    assert rules_version(Thresholds()) == base
    assert rules_version(Thresholds(acwr_caution=1.25)) != base
    assert rules_version(Thresholds(strength_sessions_per_week=2)) != base
    changed = rules_version(replace(Thresholds(), shoe_limit_km=650.0))
    assert changed != base and changed.split("-")[0] == base.split("-")[0]  # code part unchanged


def test_rules_version_moves_with_any_rule_version(monkeypatch: pytest.MonkeyPatch) -> None:
    base = rules_version(Thresholds())
    seen = {base}
    for module in RULE_MODULES:
        name = module.__name__.rsplit(".", 1)[-1]
        with monkeypatch.context() as patch:
            patch.setitem(RULE_VERSIONS, name, RULE_VERSIONS[name] + 1)
            bumped = rules_version(Thresholds())
        assert bumped.split("-")[1] == base.split("-")[1]  # thresholds part unchanged
        seen.add(bumped)
    assert len(seen) == len(RULE_MODULES) + 1
    assert rules_version(Thresholds()) == base


def test_every_rule_module_reads_its_version_from_the_one_table_in_engine_order() -> None:
    """The table (domain/rule_versions.py, cheap to import for `syncd status`) is the rules' only version."""
    names = [module.__name__.rsplit(".", 1)[-1] for module in RULE_MODULES]
    assert names == list(RULE_VERSIONS)
    assert all(RULE_VERSIONS[name] == module.VERSION for name, module in zip(names, RULE_MODULES, strict=True))


def test_engine_module_exports() -> None:
    assert set(rules.__all__) >= {"RULE_MODULES", "Annotation", "RuleContext", "evaluate", "rules_version"}
