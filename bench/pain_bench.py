"""Pain diary costs: the flare-up analysis on five years of daily diary entries (target < 200 ms), the same through
a SQLite store (the diary page: exposures read from the stored flags, then cached), and the mode choice per run.

Run: .venv/bin/python -m bench.pain_bench
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from syncd.adapters.db import Store
from syncd.domain.advice_mode import choose_mode
from syncd.domain.flags import Confidence, Flag, FlagCode, Severity
from syncd.domain.model import Activity, Source, Sport
from syncd.domain.pain import PainEntry, PainSource
from syncd.domain.pain_analysis import ExposureSession, analyse
from syncd.services.pain_diary import AnalysisReads, analysis_for

TARGET_MS = 200.0
DAYS = 5 * 365 + 1


def season(days: int = DAYS, seed: int = 1) -> tuple[list[PainEntry], list[ExposureSession]]:
    """A session and a diary entry every day: mostly 0-2, and a flare-up of 2-5 days at 4-7 now and then."""
    rng = random.Random(seed)
    start = date(2021, 1, 4)
    entries, sessions = [], []
    flare_left = 0
    for offset in range(days):
        day = start + timedelta(days=offset)
        at = datetime(day.year, day.month, day.day, 7, tzinfo=UTC)
        sport = Sport.RUN if rng.random() < 0.6 else rng.choice([Sport.RIDE, Sport.STRENGTH])
        sessions.append(ExposureSession(at, day, sport, 2700.0, rng.uniform(0, 8000), rng.uniform(0, 200),
                                        rng.random() < 0.2))  # fmt: skip
        if flare_left == 0 and rng.random() < 0.025:
            flare_left = rng.randint(2, 5)
        score = rng.randint(4, 7) if flare_left else rng.choice([0, 0, 1, 1, 2])
        flare_left = max(flare_left - 1, 0)
        entries.append(PainEntry(1, day, score, PainSource.CLI))
    return entries, sessions


def _timed(call: object, repeat: int = 5) -> float:
    """Median wall time of `call()` in ms."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()  # type: ignore[operator]
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def _store_season(path: Path, entries: list[PainEntry], sessions: list[ExposureSession]) -> tuple[Store, int]:
    store = Store.open(f"sqlite:///{path}")
    athlete = store.ensure_athlete("local")
    for index, s in enumerate(sessions):
        activity = Activity(Source.FILE, f"bench-{index}", s.sport, s.sport.value, s.start_utc, elapsed_s=s.duration_s)
        activity_id = store.upsert_activity(athlete, activity, {}).activity_id
        flags = (Flag(FlagCode.SPEED_WORK, Severity.INFO, Confidence.HIGH),) if s.speed else ()
        store.save_annotation(activity_id, "bench", flags, "note")
    for entry in entries:
        store.pain_diary.record(PainEntry(athlete, entry.day, entry.score, PainSource.CLI), now=datetime.now(UTC))
    return store, athlete


def main() -> None:
    entries, sessions = season()
    result = analyse(entries, sessions)
    median = _timed(lambda: analyse(entries, sessions))
    verdict = "meets" if median < TARGET_MS else "MISSES"
    print(
        f"analysis of {len(entries)} daily entries / {len(sessions)} sessions (5 years): {median:.0f} ms median of 5, "
        f"{verdict} the {TARGET_MS:.0f} ms target ({len(result.weeks)} weeks, {result.flare_ups} flare-up weeks, "
        f"{result.other_weeks} other, {len(result.sore_weeks)} in sore mode, {result.alignments} alignments)"
    )
    with tempfile.TemporaryDirectory() as tmp:
        store, athlete = _store_season(Path(tmp) / "bench.db", entries, sessions)
        reads = AnalysisReads(store.pain_diary, store, store, store, store.activity_reads)
        started = time.perf_counter()
        analysis_for(reads, athlete)
        first = (time.perf_counter() - started) * 1000
        cached = _timed(lambda: analysis_for(reads, athlete))
        print(f"through SQLite (the diary page): first {first:.0f} ms, then {cached:.0f} ms (exposures cached)")
        store.close()
    runs = [s for s in sessions if s.sport.is_run]
    windows = [[e for e in entries if run.day - timedelta(days=8) <= e.day <= run.day] for run in runs]
    started = time.perf_counter()
    for run, window in zip(runs, windows, strict=True):
        choose_mode(window, run_day=run.day, run_start=run.start_utc)
    elapsed = time.perf_counter() - started
    print(f"mode choice: {elapsed / len(runs) * 1e6:.1f} µs per run ({len(runs)} runs)")


if __name__ == "__main__":
    main()
