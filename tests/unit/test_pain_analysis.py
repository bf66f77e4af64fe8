"""The preceding-exposure analysis: a planted relation is found, no relation gives nothing, too few is said."""

from __future__ import annotations

import math
import random
from datetime import UTC, date, datetime, timedelta

from syncd.domain.model import Sport
from syncd.domain.pain import PainEntry, PainSource
from syncd.domain.pain_analysis import AnalysisSettings, ExposureSession, analyse, fisher_exact

START = date(2026, 1, 5)


def _session(day: date, sport: Sport = Sport.RUN, *, speed: bool = False, minutes: float = 45.0) -> ExposureSession:
    start = datetime(day.year, day.month, day.day, 7, tzinfo=UTC)
    return ExposureSession(start, day, sport, duration_s=minutes * 60, hard_m=4000.0, descent_m=40.0, speed=speed)


def _season(weeks: int, *, planted: bool, seed: int) -> tuple[list[PainEntry], list[ExposureSession]]:
    """Each week: 4 runs, a ride; some weeks have 2 speed sessions. A diary entry on the Monday after each week.

    planted: a painful entry follows exactly the weeks with 2 speed sessions. Otherwise pain is random.
    """
    rng = random.Random(seed)
    entries: list[PainEntry] = []
    sessions: list[ExposureSession] = []
    for week in range(weeks):
        monday = START + timedelta(weeks=week)
        speedy = rng.random() < 0.4
        for offset in (0, 2, 4, 6):
            sessions.append(_session(monday + timedelta(days=offset), speed=speedy and offset in (2, 4)))
        sessions.append(_session(monday + timedelta(days=5), Sport.RIDE))
        painful = speedy if planted else rng.random() < 0.4
        entries.append(PainEntry(1, monday + timedelta(days=7), 6 if painful else 0, PainSource.CLI))
    return entries, sessions


def test_fisher_exact_matches_known_values() -> None:
    # R: fisher.test(matrix(c(3,1,1,3),2))$p.value = 0.4857; the tea-tasting table
    assert math.isclose(fisher_exact(3, 1, 1, 3), 0.4857142857, rel_tol=1e-6)
    # fisher.test(matrix(c(10,0,0,10),2)) = 1.082509e-05
    assert math.isclose(fisher_exact(10, 0, 0, 10), 1.0825088e-05, rel_tol=1e-4)
    assert fisher_exact(0, 0, 0, 0) == 1.0


def test_a_planted_relation_is_found_and_worded_as_a_pattern() -> None:
    entries, sessions = _season(40, planted=True, seed=1)
    result = analyse(entries, sessions)
    assert result.status == "done"
    keys = [c.metric.key for c in result.findings]
    assert "speed_sessions" in keys
    speed = next(c for c in result.findings if c.metric.key == "speed_sessions")
    assert speed.flare_exposed == speed.flare_ups and speed.free_exposed == 0
    assert speed.ci_low > 0
    sentence = result.digest_sentence()
    assert sentence is not None and "followed a week with 2+ speed sessions" in sentence
    assert "not proof of a cause" in sentence and "caus" not in sentence.replace("cause", "")
    # hard-surface km are the same every week: never a finding
    assert "hard_km" not in keys


def test_no_relation_is_reported_as_nothing() -> None:
    for seed in range(5):
        entries, sessions = _season(40, planted=False, seed=seed + 100)
        result = analyse(entries, sessions)
        assert result.status == "done"
        assert result.findings == (), [c.describe() for c in result.findings]
        assert result.digest_sentence() is None
        assert "nothing in the week before stands out" in result.headline()


def test_too_few_entries_say_not_enough_yet() -> None:
    entries, sessions = _season(5, planted=True, seed=1)
    result = analyse(entries, sessions)
    assert result.status == "not_enough"
    assert result.headline().startswith("Not enough entries yet")
    assert result.digest_sentence() is None


def test_a_long_flare_up_counts_once() -> None:
    entries, sessions = _season(40, planted=True, seed=1)
    flare_days = [e.day for e in entries if e.score >= 4]
    extra = [PainEntry(1, d + timedelta(days=i), 5, PainSource.CLI) for d in flare_days for i in (1, 2, 3)]
    once = analyse(entries, sessions)
    repeated = analyse(entries + extra, sessions)
    assert repeated.flare_ups == once.flare_ups


def test_the_report_is_reproducible() -> None:
    entries, sessions = _season(30, planted=False, seed=7)
    first, second = analyse(entries, sessions), analyse(entries, sessions)
    assert [c.ci_low for c in first.comparisons] == [c.ci_low for c in second.comparisons]
    assert [c.ci_high for c in first.comparisons] == [c.ci_high for c in second.comparisons]
    assert analyse(entries, sessions, AnalysisSettings(seed=99)).status == "done"
