"""The downhill rule exposes its steep stretches, and the feed's charts shade exactly those (issue 14: the domain
owns its maths; web/charts.py computes no rule)."""

from __future__ import annotations

from syncd.domain.flags import FlagCode
from syncd.domain.rules import downhill
from syncd.domain.rules.context import RuleContext
from syncd.domain.streams_math import altitude_profile
from syncd.domain.thresholds import Thresholds
from syncd.entrypoints.web.charts import flagged_stretches
from tests.unit.test_rule_downhill import descent_after
from tests.unit.test_streams_math import run_activity, synthetic_streams


def test_the_stretches_are_where_the_descent_is_and_add_up_to_the_evidence() -> None:
    streams = synthetic_streams([(1667, 3.0)], altitude=descent_after(2000, 600, 7.0))
    flag = downhill.evaluate(RuleContext(run_activity(streams), thresholds=Thresholds()))
    profile = altitude_profile(streams)
    assert flag is not None and profile is not None

    stretches = downhill.steep_stretches(profile, Thresholds())

    [(start, end)] = stretches
    assert 1950 <= start <= 2050 and 2550 <= end <= 2650
    total = sum(end - start for start, end in stretches)
    steep_m = flag.evidence["steep_distance_m"]
    assert isinstance(steep_m, float) and abs(total - steep_m) <= 2 * profile.step_m


def test_the_chart_shades_the_rules_stretches() -> None:
    streams = synthetic_streams([(1667, 3.0)], altitude=descent_after(2000, 600, 7.0))
    flag = downhill.evaluate(RuleContext(run_activity(streams), thresholds=Thresholds()))
    profile = altitude_profile(streams)
    assert flag is not None and flag.code is FlagCode.DOWNHILL and profile is not None
    shaded = [(s.start_m, s.end_m) for s in flagged_stretches(streams, (flag,), Thresholds()) if s.kind == "downhill"]
    assert shaded == downhill.steep_stretches(profile, Thresholds())


def test_a_flat_run_has_no_steep_stretch() -> None:
    streams = synthetic_streams([(1667, 3.0)], altitude=descent_after(2000, 600, 1.0))
    profile = altitude_profile(streams)
    assert profile is not None and downhill.steep_stretches(profile, Thresholds()) == []
