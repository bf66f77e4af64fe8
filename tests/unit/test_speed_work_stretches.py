"""The speed-work rule module says where the fast running was, and the feed's charts shade exactly that (issue 14:
the domain owns its maths; web/charts.py computes no rule)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from syncd.domain.rules import speed_work
from syncd.domain.thresholds import Thresholds
from syncd.entrypoints.web.charts import flagged_stretches
from tests.unit.test_rule_speed_work import INTERVALS, flag_for
from tests.unit.test_streams_math import synthetic_streams

WARM_M = 600.0 * 2.7  # the warm-up before the first rep
REP_M = 60.0 * 4.0
LAP_M = REP_M + 90.0 * 1.5


def test_each_rep_is_one_fast_stretch_where_the_rep_ran() -> None:
    streams = synthetic_streams(INTERVALS)
    flag = flag_for(streams)
    assert flag is not None

    stretches = speed_work.fast_stretches(streams, flag, Thresholds())

    assert len(stretches) == flag.evidence["reps"] == 6
    for index, (start, end) in enumerate(stretches):
        assert start == pytest.approx(WARM_M + index * LAP_M, abs=20)
        assert end - start == pytest.approx(REP_M, abs=25)


def test_the_chart_shades_the_rules_fast_stretches() -> None:
    streams = synthetic_streams(INTERVALS)
    flag = flag_for(streams)
    assert flag is not None
    shaded = [(s.start_m, s.end_m) for s in flagged_stretches(streams, (flag,), Thresholds()) if s.kind == "speed_work"]
    assert shaded == speed_work.fast_stretches(streams, flag, Thresholds()) != []


def test_without_a_pace_in_the_evidence_there_is_no_fast_line() -> None:
    streams = synthetic_streams(INTERVALS)
    flag = flag_for(streams)
    assert flag is not None
    bare = replace(flag, evidence={"trigger": "hr_zones"})
    assert speed_work.fast_line_mps(bare, Thresholds()) is None
    assert speed_work.fast_stretches(streams, bare, Thresholds()) == []
