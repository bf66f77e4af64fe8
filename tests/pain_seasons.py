"""Synthetic seasons for the flare-up analysis: a diary entry after every week, and the training of that week.

Kinds (issue 29's tests):
- "planted": a flare-up follows 62 % of the weeks with 2+ speed sessions (about a third of weeks) and 12 % of the
  others;
- "independent": flare-ups independent of training (25 % of weeks);
- "sore_rest": independent flare-ups, and the runner follows the sore-mode advice: the week after a painful entry
  has no speed work, no hills, no roads and less running (confounding by indication);
- "blocks": training in 6-week blocks (speed, hills, roads and volume set per block) and seasonal pain
  (flare-up risk 0.1 to 0.5 over the year), unrelated to each other.
Every kind ends each week with an entry on the next Monday; a painful entry is scored 4-7, others 0-2.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Literal

import numpy as np

from syncd.domain.flags import Confidence, Flag, FlagCode, Severity
from syncd.domain.model import Activity, Source, Sport
from syncd.domain.notes import data_gaps_line
from syncd.domain.pain import PainEntry, PainSource
from syncd.domain.pain_analysis import ExposureSession
from syncd.domain.rules.hard_surface import flag_from_map
from syncd.domain.rules.long_run_spike_evidence import can_judge
from syncd.domain.surface import SurfaceBreakdown
from syncd.domain.thresholds import Thresholds

if TYPE_CHECKING:
    from syncd.adapters.db import Store

Kind = Literal["planted", "independent", "sore_rest", "blocks"]
START = date(2025, 1, 6)  # a Monday
RUN_DAYS = (0, 2, 4, 6)


def _session(day: date, sport: Sport, minutes: float, **figures: float | bool | None) -> ExposureSession:
    start = datetime(day.year, day.month, day.day, 7, tzinfo=UTC)
    return ExposureSession(start, day, sport, minutes * 60.0, **figures)  # type: ignore[arg-type]


def _plan(kind: Kind, weeks: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Per week: speedy (2+ speed sessions), hilly, paved, run minutes, low-impact and strength counts."""
    if kind == "blocks":
        blocks = math.ceil(weeks / 6)

        def per_block(values: np.ndarray) -> np.ndarray:
            return np.repeat(values, 6)[:weeks]

        return {
            "speedy": per_block(rng.random(blocks) < 1 / 3),
            "hilly": per_block(rng.random(blocks) < 0.4),
            "paved": per_block(rng.random(blocks) < 0.5),
            "minutes": per_block(rng.choice([35.0, 45.0, 60.0], blocks)),
            "low_impact": per_block(rng.integers(0, 4, blocks)),
            "strength": per_block(rng.integers(0, 5, blocks)),
        }
    return {
        "speedy": rng.random(weeks) < 1 / 3,
        "hilly": rng.random(weeks) < 0.4,
        "paved": rng.random(weeks) < 0.5,
        "minutes": rng.choice([40.0, 45.0, 50.0], weeks),
        "low_impact": rng.integers(0, 4, weeks),
        "strength": rng.integers(0, 5, weeks),
    }


def _week_sessions(monday: date, plan: dict[str, np.ndarray], w: int, resting: bool) -> list[ExposureSession]:
    speedy, hilly, paved = (bool(plan[k][w]) and not resting for k in ("speedy", "hilly", "paved"))
    minutes = float(plan["minutes"][w]) * (0.6 if resting else 1.0)
    sessions = []
    for i, offset in enumerate(RUN_DAYS):
        sessions.append(
            _session(monday + timedelta(days=offset), Sport.RUN, minutes, speed=speedy and i < 2,
                     descent_m=260.0 if hilly and i == 1 else 0.0, hard_m=7000.0 if paved else 1000.0)
        )  # fmt: skip
    sessions += [_session(monday + timedelta(days=1), Sport.RIDE, 60.0) for _ in range(int(plan["low_impact"][w]))]
    sessions += [_session(monday + timedelta(days=3), Sport.STRENGTH, 30.0) for _ in range(int(plan["strength"][w]))]
    return sessions


def season(kind: Kind, seed: int, weeks: int = 52) -> tuple[list[PainEntry], list[ExposureSession]]:
    rng = np.random.default_rng(seed)
    plan = _plan(kind, weeks, rng)
    draws = rng.random(weeks)
    scores = rng.integers(4, 8, weeks), rng.integers(0, 3, weeks)
    entries: list[PainEntry] = []
    sessions: list[ExposureSession] = []
    painful_before = False
    for w in range(weeks):
        monday = START + timedelta(weeks=w)
        resting = painful_before and kind in ("sore_rest", "planted")
        sessions += _week_sessions(monday, plan, w, resting)
        speedy = bool(plan["speedy"][w]) and not resting
        if kind == "planted":
            risk = 0.62 if speedy else 0.12
        elif kind == "blocks":
            risk = 0.3 + 0.2 * math.sin(2 * math.pi * w / weeks)
        else:
            risk = 0.25
        painful_before = bool(draws[w] < risk)
        score = int(scores[0][w] if painful_before else scores[1][w])
        entries.append(PainEntry(1, monday + timedelta(days=7), score, PainSource.CLI))
    return entries, _spikes(sessions)


def _spikes(sessions: Sequence[ExposureSession]) -> list[ExposureSession]:
    """Each run as the long-run-spike rule judges it by time (the seasons' runs have no distance): flagged when over
    10 % longer than the longest run of the 30 days before, not judged (None) without 30 days of recording."""
    window = timedelta(days=Thresholds().long_run_history_days)
    earliest = min(s.start_utc for s in sessions)
    runs = [s for s in sessions if s.sport.is_run]
    judged = []
    for s in sessions:
        if not s.sport.is_run:
            judged.append(s)
            continue
        before = [r for r in runs if s.start_utc - window <= r.start_utc < s.start_utc]
        last = max((r.start_utc for r in before), default=None)
        if not can_judge(s.start_utc, earliest, last, window):
            judged.append(replace(s, spike=None))
            continue
        longest = max(r.duration_s for r in before)
        judged.append(replace(s, spike=s.duration_s > longest * (1 + Thresholds().long_run_spike_pct / 100)))
    return judged


def seed_store(
    store: Store,
    athlete: int,
    kind: Kind,
    seed: int,
    *,
    unannotated_weeks: Sequence[int] = (),
    thin_weeks: Sequence[int] = (),
) -> None:
    """Store a season as activities with the flags their rules would have stored, and the diary: runs of
    `unannotated_weeks` get no annotation, runs of `thin_weeks` a note saying the recording was too thin."""
    entries, sessions = season(kind, seed)
    for index, s in enumerate(sessions):
        activity = Activity(Source.FILE, f"{kind}-{seed}-{index}", s.sport, s.sport.value, s.start_utc,
                            distance_m=8000.0 if s.sport.is_run else None, elapsed_s=s.duration_s)  # fmt: skip
        activity_id = store.upsert_activity(athlete, activity, {}).activity_id
        week = (s.day - START).days // 7
        if week in unannotated_weeks:
            continue
        if week in thin_weeks and s.sport.is_run:
            gaps = data_gaps_line(["speed work, warm-up and downhill (no samples recorded)"])
            store.save_annotation(activity_id, "v1", (), f"Mode: staying well.\n{gaps}")
            continue
        store.save_annotation(activity_id, "v1", _flags(s), "note")
    for entry in entries:
        store.pain_diary.record(replace(entry, athlete_id=athlete), now=datetime(2026, 1, 1, tzinfo=UTC))


def _flags(s: ExposureSession) -> tuple[Flag, ...]:
    flags = []
    if s.speed:
        flags.append(Flag(FlagCode.SPEED_WORK, Severity.INFO, Confidence.HIGH, {"reps": 5}))
    if s.descent_m:
        flags.append(Flag(FlagCode.DOWNHILL, Severity.INFO, Confidence.HIGH, {"total_descent_m": s.descent_m}))
    if s.spike:
        flags.append(Flag(FlagCode.LONG_RUN_SPIKE, Severity.CAUTION, Confidence.MEDIUM, {"basis": "time"}))
    if s.hard_m and s.hard_m >= 4000:
        mapped = SurfaceBreakdown(s.hard_m, 0.0, 0.0, 0.0, source="osm")  # what the rule writes: an all-paved route
        paved = flag_from_map(mapped, s.hard_m, 50.0)
        assert paved is not None
        flags.append(paved)
    return tuple(flags)
