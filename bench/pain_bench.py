"""Pain diary costs: the preceding-exposure analysis on two years of diary, and the mode choice per run.

Run: .venv/bin/python -m bench.pain_bench
"""

from __future__ import annotations

import random
import time
from datetime import UTC, date, datetime, timedelta

from syncd.domain.advice_mode import choose_mode
from syncd.domain.model import Sport
from syncd.domain.pain import PainEntry, PainSource
from syncd.domain.pain_analysis import ExposureSession, analyse


def season(days: int = 730, seed: int = 1) -> tuple[list[PainEntry], list[ExposureSession]]:
    rng = random.Random(seed)
    start = date(2025, 1, 6)
    entries, sessions = [], []
    for offset in range(days):
        day = start + timedelta(days=offset)
        at = datetime(day.year, day.month, day.day, 7, tzinfo=UTC)
        sport = Sport.RUN if rng.random() < 0.6 else rng.choice([Sport.RIDE, Sport.STRENGTH])
        sessions.append(ExposureSession(at, day, sport, 2700.0, rng.uniform(0, 8000), rng.uniform(0, 200),
                                        rng.random() < 0.2))  # fmt: skip
        if rng.random() < 0.5:
            entries.append(PainEntry(1, day, rng.choice([0, 0, 1, 2, 5, 6]), PainSource.TAG))
    return entries, sessions


def main() -> None:
    entries, sessions = season()
    started = time.perf_counter()
    result = analyse(entries, sessions)
    elapsed = time.perf_counter() - started
    print(
        f"analysis of {len(entries)} entries / {len(sessions)} sessions: {elapsed * 1000:.0f} ms "
        f"({result.flare_ups} flare-ups, {result.pain_free} pain-free, {len(result.comparisons)} exposures)"
    )
    runs = [s for s in sessions if s.sport.is_run]
    windows = [[e for e in entries if run.day - timedelta(days=8) <= e.day <= run.day] for run in runs]
    started = time.perf_counter()
    for run, window in zip(runs, windows, strict=True):
        choose_mode(window, run_day=run.day, run_start=run.start_utc)
    elapsed = time.perf_counter() - started
    print(f"mode choice: {elapsed / len(runs) * 1e6:.1f} µs per run ({len(runs)} runs)")


if __name__ == "__main__":
    main()
