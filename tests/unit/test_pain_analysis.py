"""The flare-up analysis on synthetic seasons through the real code path (issue 29): a planted relation is found,
no relation (independent weeks, sore-mode rest, training blocks with seasonal pain) is not reported, too few says
so with how many more weeks, missing data and sore-mode weeks are left out and named."""

from __future__ import annotations

import math
import random
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest

from syncd.domain.advice_mode import ModeSettings, choose_mode
from syncd.domain.model import Sport
from syncd.domain.pain import PainEntry, PainSource
from syncd.domain.pain_analysis import (
    AnalysisSettings,
    ExposureSession,
    PainAnalysis,
    alignments,
    analyse,
    differences,
    power,
    sore_days,
    step_down,
    wilson,
)
from tests.pain_seasons import RUN_DAYS, START, Kind, season


def _rate(kind: Kind, seeds: range) -> float:
    hits = 0
    for seed in seeds:
        result = analyse(*season(kind, seed))
        assert len(result.sentences()) <= 3
        if kind == "planted":
            hits += any(c.exposure.key == "speed_sessions" for c in result.findings)
        else:
            hits += bool(result.findings)
    return hits / len(seeds)


def _speed(result: PainAnalysis) -> bool:
    return any(c.exposure.key == "speed_sessions" for c in result.findings)


def test_wilson_interval_matches_known_values() -> None:
    # R: binom::binom.wilson / prop.test(correct = FALSE)
    assert np.allclose(wilson(0, 3), (0.0, 0.5614970), atol=1e-6)
    assert np.allclose(wilson(3, 3), (0.4385030, 1.0), atol=1e-6)
    assert np.allclose(wilson(5, 10), (0.2365931, 0.7634069), atol=1e-6)
    assert wilson(0, 0) == (0.0, 1.0)


def test_alignments_keep_the_counts_and_the_neighbours() -> None:
    y = np.array([1.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0])
    rows = alignments(y)
    assert rows.shape == (14, 7) and np.array_equal(rows[0], y)
    assert set(rows.sum(axis=1).tolist()) == {3.0}

    # a rotation keeps every pair of neighbours (on the circle): the runs of flare-up weeks stay runs
    def pairs(r: np.ndarray) -> list[tuple[float, float]]:
        return sorted(zip(r.tolist(), np.roll(r, -1).tolist(), strict=True))

    assert all(pairs(r) == pairs(y) for r in rows[:7])


def test_differences_sign_and_guard() -> None:
    labels = np.array([[1.0, 1.0, 1.0, 0.0, 0.0, 0.0]])
    exposed = np.array([[1.0], [1.0], [np.nan], [0.0], [0.0], [1.0]])
    d = differences(labels, exposed, 2)
    assert d[0, 0] == pytest.approx(2 / 2 - 1 / 3)
    assert differences(labels, exposed, 3)[0, 0] == 0.0  # only 2 flare-up weeks have a value


def test_step_down_judges_each_exposure_against_the_weaker_ones() -> None:
    # rows: alignments (row 0 the diary's order); columns: exposures. Exposure 0 is strong; exposure 1 is beaten by
    # exposure 0's chance swings (rows 1-3) but by nothing among the weaker ones; exposure 2 is noise.
    d = np.array(
        [
            [0.60, 0.30, 0.05],
            [0.50, 0.10, 0.00],
            [0.45, 0.00, 0.10],
            [0.40, 0.05, 0.00],
            [0.10, 0.00, 0.20],
            [0.00, 0.30, 0.25],  # ties exposure 1's 0.30; a larger mean difference: counts against the diary
            [0.05, 0.00, 0.00],
            [0.00, 0.30, -0.20],  # ties it too, with a smaller mean difference: does not count
        ]
    )
    p = step_down(d)
    assert p[0] == pytest.approx(1 / 8)  # the strongest meets the maximum over all: only the diary reaches it
    assert p[1] == pytest.approx(2 / 8)  # the diary and row 5 (a single step would count rows 0-3 as well)
    assert p[2] == pytest.approx(4 / 8)  # its own column: rows 2, 4 and 5 beat it, and the diary itself
    assert step_down(d[:, [2, 0, 1]]).tolist() == pytest.approx([p[2], p[0], p[1]])  # whatever the column order


def test_the_rotation_test_keeps_its_level_exactly() -> None:
    """No relation and every alignment equally likely: a p of 5 % or less in at most 5 % of the alignments."""
    rng = np.random.default_rng(11)
    for n in (23, 38, 41, 57):
        y = (rng.random(n) < 0.3).astype(np.float64)
        x = (rng.random((n, 5)) < [0.2, 0.33, 0.5, 0.08, 0.4]).astype(np.float64)
        rows = alignments(y)
        d = differences(rows, x, 2)
        found = 0
        for shift in range(len(rows)):  # each alignment in turn as "the diary's order"
            found += int(step_down(np.roll(d, -shift, axis=0)).min() <= 0.05)
        assert found <= 0.05 * len(rows), (n, found)


def _spike_diary(weeks: int = 40) -> tuple[list[PainEntry], list[ExposureSession]]:
    """Four 45-minute runs a week; every 4th week from week 6 one of them is a long-run spike, and a flare-up
    follows each of those weeks and weeks 8 and 20. The rule cannot judge the runs of the first 30 days."""
    spiky, painful = set(range(6, weeks, 4)), set(range(6, weeks, 4)) | {8, 20}
    entries, sessions = [], []
    for week in range(weeks):
        monday = START + timedelta(weeks=week)
        for offset in RUN_DAYS:
            day = monday + timedelta(days=offset)
            start = datetime(day.year, day.month, day.day, 7, tzinfo=UTC)
            judged = (day - START).days >= 30
            spike = (week in spiky and offset == RUN_DAYS[-1]) if judged else None
            sessions.append(ExposureSession(start, day, Sport.RUN, 2700.0, spike=spike))
        entries.append(PainEntry(1, monday + timedelta(days=7), 6 if week in painful else 1, PainSource.CLI))
    return entries, sessions


def test_long_run_spikes_are_an_exposure_missing_where_the_rule_cannot_judge() -> None:
    result = analyse(*_spike_diary())
    spikes = next(c for c in result.comparisons if c.exposure.key == "long_run_spikes")
    assert spikes.finding and spikes.flare.k == 9 and spikes.other.k == 0
    early = [w for w in result.weeks if w.first_day < START + timedelta(days=30)]
    assert early and all(w.values["long_run_spikes"] is None for w in early)
    assert all(w.values["long_run_spikes"] is not None for w in result.weeks if w not in early)
    assert set(spikes.missing) == {w.day for w in early if not w.sore}
    assert (
        "came after a week with a long-run spike (over 10 % past the month's longest run), against 0 of"
        in (result.sentences()[0])
    )
    assert "for lack of data on long-run spikes" in result.sentences()[-1]


def test_a_planted_relation_is_found_in_a_year_and_worded_as_a_pattern() -> None:
    found = [seed for seed in range(12) if _speed(analyse(*season("planted", seed)))]
    assert len(found) >= 9, found
    result = analyse(*season("planted", found[0]))
    assert result.status == "finding"
    best = result.findings[0]
    assert best.exposure.key == "speed_sessions" and best.flare.value > best.other.value
    low, high = best.flare.interval
    assert low <= best.flare.value <= high
    first = result.sentences()[0]
    assert first == result.digest_sentence()
    assert "flare-ups came after a week with 2+ speed sessions, against" in first
    assert first.endswith("a pattern in your diary, not proof of a cause.")


def test_no_relation_is_not_reported_quick() -> None:
    for kind in ("independent", "sore_rest", "blocks"):
        assert _rate(kind, range(20)) <= 0.05, kind


@pytest.mark.hypothesis_heavy
def test_power_and_false_findings_over_many_seasons() -> None:
    """Issue 29: the planted relation found in >= 80 % of a year's diaries, no relation reported in <= 5 %
    (600 seeds each; docs/pain.md gives the rates on 3,000 further seeds not used while building the test)."""
    assert _rate("planted", range(600)) >= 0.8
    for kind in ("independent", "sore_rest", "blocks"):
        assert _rate(kind, range(600)) <= 0.05, kind


def _diary(flare: int, other: int) -> tuple[list[PainEntry], list[ExposureSession]]:
    entries, sessions = [], []
    for week in range(flare + other):
        monday = START + timedelta(weeks=2 * week)
        for offset in (0, 2, 4):
            day = monday + timedelta(days=offset)
            start = datetime(day.year, day.month, day.day, 7, tzinfo=UTC)
            sessions.append(ExposureSession(start, day, Sport.RUN, 2700.0, speed=week < flare))
        entries.append(PainEntry(1, monday + timedelta(days=7), 6 if week < flare else 0, PainSource.CLI))
    return entries, sessions


def test_three_flare_ups_against_four_weeks_say_too_few_not_nothing() -> None:
    result = analyse(*_diary(3, 4))  # perfect separation, and still too few to tell
    assert (result.flare_ups, result.other_weeks) == (3, 4)
    assert result.status == "too_few" and result.findings == ()
    first = result.sentences()[0]
    assert first.startswith(f"Too few entries to tell yet: about {result.power.more_weeks} more weeks")
    assert result.power.more_weeks >= 10
    assert result.sentences()[1] == "So far 3 weeks before a flare-up and 4 weeks without one are compared."
    text = " ".join(result.sentences()).lower()
    assert "nothing" not in text and "stands out" not in text
    assert result.digest_sentence() == first  # the digest says the same, not nothing (issue 29)


def test_power_grows_with_the_runners_counts() -> None:
    s = AnalysisSettings()
    small, medium, large = power(3, 4, 4, s), power(8, 16, 4, s), power(16, 32, 4, s)
    assert not small.detectable and not medium.detectable and large.detectable
    assert small.more_weeks > medium.more_weeks > large.more_weeks == 0
    assert power(16, 32, 4, s, per_week=2.0).more_weeks == 0
    assert power(8, 16, 4, s, per_week=2.0).more_weeks == 2 * medium.more_weeks


def test_no_flare_ups_and_no_entries_are_said_plainly() -> None:
    assert analyse([], []).sentences()[0].startswith("No diary entries yet")
    assert analyse([], []).digest_sentence() is None  # no diary: the digest says nothing about the analysis
    entries, sessions = _diary(0, 6)
    quiet = analyse(entries, sessions)
    assert quiet.sentences()[0].startswith("No flare-ups in your diary yet")
    assert quiet.digest_sentence() == quiet.sentences()[0]


def test_weeks_without_streams_are_left_out_and_named() -> None:
    entries, sessions = season("planted", 3)
    gap = {START + timedelta(weeks=5, days=d) for d in range(7)} | {
        START + timedelta(weeks=9, days=d) for d in range(7)
    }
    unmeasured = [
        ExposureSession(s.start_utc, s.day, s.sport, s.duration_s, hard_m=None, descent_m=None, speed=None)
        if s.day in gap and s.sport.is_run
        else s
        for s in sessions
    ]
    full, holed = analyse(entries, sessions), analyse(entries, unmeasured)
    named = {START + timedelta(weeks=6), START + timedelta(weeks=10)} - {w.day for w in holed.sore_weeks}
    assert named, "pick a seed whose gap weeks are compared"
    speed = next(c for c in holed.comparisons if c.exposure.key == "speed_sessions")
    assert set(speed.missing) == named
    assert speed.flare.n + speed.other.n == len(holed.compared) - len(named)
    full_speed = next(c for c in full.comparisons if c.exposure.key == "speed_sessions")
    assert full_speed.flare.n + full_speed.other.n == len(full.compared)
    left_out = holed.sentences()[-1]
    assert left_out.startswith("Left out:") and "for lack of data on speed sessions" in left_out
    for day in named:
        assert f"{day.day} {day:%b %Y}" in left_out


def test_unmeasured_runs_make_a_week_unknown_unless_the_measured_ones_cross_the_line() -> None:
    entries, sessions = _diary(3, 4)  # weeks 0-2: three speed runs each; weeks 3-6: none
    extra = []
    for week in (0, 3):
        day = START + timedelta(weeks=2 * week, days=5)
        extra.append(ExposureSession(datetime(day.year, day.month, day.day, 7, tzinfo=UTC), day, Sport.RUN, 1800.0,
                                     speed=None))  # fmt: skip
    result = analyse(entries, [*sessions, *extra])
    assert result.weeks[0].values["speed_sessions"] == 3.0  # already 2+: exposed whatever the other run was
    assert result.weeks[3].values["speed_sessions"] is None  # 0 measured + 1 unknown: not 0


def test_sore_mode_weeks_are_marked_left_out_and_said() -> None:
    entries, sessions = season("sore_rest", 5)
    result = analyse(entries, sessions)
    painful = {e.day for e in entries if e.score >= 4}
    for week in result.weeks:
        if week.day - timedelta(days=7) in painful:  # the week right after a painful entry: the runner rested
            assert week.sore
    assert result.sore_weeks and all(not w.sore for w in result.compared)
    assert f"{len(result.sore_weeks)} weeks in sore mode" in " ".join(result.sentences())


def test_sore_days_follow_the_advice_mode() -> None:
    rng = random.Random(4)
    for _ in range(30):
        first = date(2026, 3, 2)
        entries = [
            PainEntry(1, first + timedelta(days=rng.randrange(60)), rng.choice([0, 1, 2, 3, 4, 5, 7]), PainSource.CLI)
            for _ in range(rng.randrange(1, 14))
        ]
        sore = sore_days(entries, AnalysisSettings())
        for offset in range(75):
            day = first + timedelta(days=offset)
            at = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
            mode = choose_mode(entries, run_day=day, run_start=at, settings=ModeSettings())
            assert (day in sore) == (mode.mode.value == "sore"), (day, entries)


def test_a_long_flare_up_counts_once() -> None:
    entries, sessions = season("planted", 2)
    flare_days = [e.day for e in entries if e.score >= 4]
    extra = [PainEntry(1, d + timedelta(days=i), 5, PainSource.CLI) for d in flare_days for i in (1, 2, 3)]
    assert analyse(entries + extra, sessions).flare_ups == analyse(entries, sessions).flare_ups


def test_the_week_is_anchored_on_the_entry_day() -> None:
    """Ten idle days before a flare-up: nothing from before the week counts, and the load ratio is low, not 1.75."""
    entries, sessions = _diary(0, 8)
    last = max(e.day for e in entries)
    flare_day = last + timedelta(days=24)
    result = analyse([*entries, PainEntry(1, flare_day, 6, PainSource.CLI)], sessions)
    week = next(w for w in result.weeks if w.day == flare_day)
    assert week.flare and week.values["speed_sessions"] == 0.0
    ratio = week.values["load_ratio"]
    assert ratio is None or ratio < 1.3


def test_the_report_is_reproducible_and_the_settings_count() -> None:
    entries, sessions = season("independent", 7)
    first, second = analyse(entries, sessions), analyse(entries, sessions)
    assert first.sentences() == second.sentences()
    assert [c.p_value for c in first.comparisons] == [c.p_value for c in second.comparisons]
    stricter = analyse(entries, sessions, AnalysisSettings(painful_from=7))
    assert stricter.flare_ups < first.flare_ups
    assert all(math.isnan(c.p_value) or 0 < c.p_value <= 1 for c in first.comparisons)
