"""The leave-one-source-out scorer's own logic (bench/corpus_loso.py), on plain data: no recording is parsed."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from bench.corpus_loso import Case, Counts, Table, choose, grid, source_of, sources, thresholds_with, wilson
from syncd.domain.thresholds import Thresholds


def test_wilson_interval_matches_the_textbook_values() -> None:
    p, lo, hi = wilson(8, 8)
    assert p == 1.0 and lo == pytest.approx(0.676, abs=0.001) and hi == 1.0
    p, lo, hi = wilson(4, 10)
    assert p == 0.4 and lo == pytest.approx(0.168, abs=0.001) and hi == pytest.approx(0.687, abs=0.001)
    assert all(x != x for x in wilson(0, 0))  # NaN: no labels, no figure


def test_sources_merge_repositories_that_share_recordings() -> None:
    assert source_of("dtcooper/python-fitparse (also polyvertex/fitdecode)") == "fitparse test files"
    assert source_of("tormoder/fit") == source_of("polyvertex/fitdecode")
    assert source_of("x3cl/running_page") == "x3cl"
    assert sources()["run.fit"] == sources()["corpus/wkz_with_nones.fit.gz"] == "fgebhart"  # the same runner


def test_grid_keeps_only_keys_the_rules_have_and_always_holds_the_default() -> None:
    combos, missing = grid("downhill")
    assert combos[0] != {} and all(set(c) <= set(Thresholds.__dataclass_fields__) for c in combos)
    default = Thresholds()
    assert any(all(getattr(default, k) == v for k, v in c.items()) for c in combos)
    assert missing == []
    combos, missing = grid("no_such_flag")
    assert combos == [{}] and missing == []


def test_thresholds_with_keeps_the_field_types() -> None:
    t = thresholds_with({"speed_work_min_reps": 2.0, "downhill_grade_pct": 6})
    assert t.speed_work_min_reps == 2 and isinstance(t.speed_work_min_reps, int)
    assert t.downhill_grade_pct == 6.0 and isinstance(t.downhill_grade_pct, float)


class FakeTable(Table):
    """Flags from the grade threshold alone: 'steep*' files are flagged up to 8 %, the others only at 4 %."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: set[str] = set()

    def flags(self, unit: tuple[str, str], changes: Mapping[str, float]) -> frozenset[str]:
        self.asked.add(unit[0])
        grade = changes.get("downhill_grade_pct", Thresholds().downhill_grade_pct)
        limit = 8 if unit[0].startswith("steep") else 4
        return frozenset({"downhill"}) if grade <= limit else frozenset()


def _case(source: str, file: str, expect: bool) -> Case:
    return Case(source, file, "", "downhill", expect, "")


def test_choose_picks_the_best_candidate_on_the_training_cases_only() -> None:
    train = [_case("a", "steep1", True), _case("a", "flat1", False), _case("b", "steep2", True)]
    held_out = [_case("c", "flat-held", True)]  # would favour a low threshold if it were looked at
    table = FakeTable()
    chosen = choose(table, "downhill", train)
    # grades 5, 6 and 8 flag every steep file and no flat one; of those the default (5) changes nothing
    assert chosen == {}
    assert "flat-held" not in table.asked and not held_out[0].group


def test_choose_moves_off_the_default_when_the_training_cases_ask_for_it() -> None:
    train = [_case("a", "flat1", True), _case("a", "steep1", True), _case("b", "flat2", True)]
    chosen = choose(FakeTable(), "downhill", train)
    assert chosen == {"downhill_grade_pct": 4}


def test_choose_keeps_the_defaults_without_a_positive_to_learn_from() -> None:
    assert choose(FakeTable(), "downhill", [_case("a", "flat1", False)]) == {}


def test_counts_f1_and_youden() -> None:
    tally = Counts()
    for expect, raised in [(True, True), (True, False), (False, True), (False, False), (False, False)]:
        tally.add(expect, raised)
    assert (tally.tp, tally.fn, tally.fp, tally.tn) == (1, 1, 1, 2)
    assert tally.f1() == pytest.approx(0.5) and tally.youden() == pytest.approx(0.5 - 1 / 3)
