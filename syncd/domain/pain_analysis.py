"""What preceded the flare-ups: exposures in the week before painful diary entries vs before pain-free ones.

Honest by construction:
- Samples: each *flare-up* counts once (a painful entry, score >= `painful_from`, with no painful entry in the
  `window_days` before it), so a five-day flare-up is one sample, not five near-identical ones. Pain-free samples
  are entries scored <= `pain_free_up_to` with no painful entry in the window before them, taken at least
  `window_days` apart so their windows never overlap.
- Per exposure: the mean over flare-ups and over pain-free entries, the difference, and a 95 % bootstrap interval of
  that difference (seeded, so a report never changes between runs); plus how many windows crossed a simple
  threshold ("2+ speed sessions") and Fisher's exact test on that 2x2 table.
- A finding is reported only when the interval excludes 0 in the risky direction *and* the exact test passes a
  Bonferroni-corrected 5 % level over all exposures. Below `min_flare_ups` / `min_pain_free` samples: "not enough
  entries yet". Findings are associations in this runner's diary, never causes, and are worded that way.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Literal

from syncd.domain.model import LOW_IMPACT_SPORTS, STRENGTH_SPORTS, Sport
from syncd.domain.pain import PainEntry

VERSION = 1


@dataclass(frozen=True, slots=True)
class ExposureSession:
    """One activity as the analysis sees it (the service fills it from the store and the run's flags)."""

    start_utc: datetime
    day: date  # local date
    sport: Sport
    duration_s: float = 0.0
    hard_m: float = 0.0  # distance on hard surfaces (from the surface flag's evidence), runs only
    descent_m: float = 0.0  # metres descended
    speed: bool = False  # a speed-work session
    worn_shoes: bool = False  # run in shoes past their limit


@dataclass(frozen=True, slots=True)
class Metric:
    key: str
    label: str  # "speed sessions"
    unit: str  # "" for counts
    cutoff: float  # a window is "exposed" when value >= cutoff (more_is_risky) or < cutoff (otherwise)
    more_is_risky: bool
    exposed_phrase: str  # "a week with 2+ speed sessions"
    value: Callable[[Sequence[ExposureSession], Sequence[ExposureSession]], float | None]


def _runs(sessions: Sequence[ExposureSession]) -> list[ExposureSession]:
    return [s for s in sessions if s.sport.is_run]


def _minutes_per_day(sessions: Sequence[ExposureSession], first: date, days: int) -> list[float]:
    loads = [0.0] * days
    for s in _runs(sessions):
        index = (s.day - first).days
        if 0 <= index < days and math.isfinite(s.duration_s) and s.duration_s > 0:
            loads[index] += s.duration_s / 60.0
    return loads


def _load_ratio(week: Sequence[ExposureSession], month: Sequence[ExposureSession]) -> float | None:
    """Run minutes of the week / the weekly mean of the 21 days before it (uncoupled acute:chronic)."""
    if not month:
        return None
    last = max(s.day for s in month)
    first = last - timedelta(days=27)
    loads = _minutes_per_day(month, first, 28)
    chronic = sum(loads[:21]) / 3.0
    return sum(loads[21:]) / chronic if chronic > 0 else None


def _monotony(week: Sequence[ExposureSession], month: Sequence[ExposureSession]) -> float | None:
    if not month:
        return None
    last = max(s.day for s in month)
    loads = _minutes_per_day(month, last - timedelta(days=6), 7)
    mean = sum(loads) / 7
    if mean <= 0:
        return None
    sd = math.sqrt(sum((x - mean) ** 2 for x in loads) / 7)
    return min(mean / sd, 10.0) if sd > 1e-9 else 10.0


METRICS: tuple[Metric, ...] = (
    Metric("hard_km", "km on hard surfaces", "km", 20.0, True, "a week with 20+ km on hard surfaces",
           lambda w, _m: sum(s.hard_m for s in _runs(w)) / 1000.0),
    Metric("downhill_m", "metres of descent", "m", 300.0, True, "a week with 300+ m of descent",
           lambda w, _m: sum(s.descent_m for s in _runs(w))),
    Metric("speed_sessions", "speed sessions", "", 2.0, True, "a week with 2+ speed sessions",
           lambda w, _m: float(sum(s.speed for s in _runs(w)))),
    Metric("load_ratio", "load ratio (week vs the 3 before)", "", 1.3, True, "a week with a load ratio above 1.3",
           _load_ratio),
    Metric("monotony", "monotony", "", 2.0, True, "a week of monotony above 2", _monotony),
    Metric("worn_shoe_runs", "runs in worn shoes", "", 1.0, True, "a week with runs in worn shoes",
           lambda w, _m: float(sum(s.worn_shoes for s in _runs(w)))),
    Metric("low_impact_sessions", "low-impact sessions", "", 2.0, False,
           "a week with fewer than 2 low-impact sessions",
           lambda w, _m: float(sum(s.sport in LOW_IMPACT_SPORTS for s in w))),
    Metric("strength_sessions", "strength sessions", "", 3.0, False, "a week with fewer than 3 strength sessions",
           lambda w, _m: float(sum(s.sport in STRENGTH_SPORTS for s in w))),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class AnalysisSettings:
    painful_from: int = 4
    pain_free_up_to: int = 1
    window_days: int = 7
    min_flare_ups: int = 3
    min_pain_free: int = 4
    resamples: int = 4000
    seed: int = 15
    alpha: float = 0.05


@dataclass(frozen=True, slots=True)
class Sample:
    """One flare-up or pain-free entry with the exposures of the window before it."""

    day: date
    painful: bool
    values: dict[str, float | None]


@dataclass(frozen=True, slots=True)
class Comparison:
    metric: Metric
    flare_ups: int  # samples with a value
    pain_free: int
    flare_mean: float
    free_mean: float
    difference: float  # flare - free
    ci_low: float
    ci_high: float
    flare_exposed: int
    free_exposed: int
    p_value: float
    supported: bool
    recent_streak: int  # how many of the latest flare-ups in a row followed an exposed window

    def describe(self) -> str:
        """One honest line: counts, means, difference, interval; no causal words."""
        unit = f" {self.metric.unit}" if self.metric.unit else ""
        return (
            f"{self.metric.label}: {self.flare_mean:.1f}{unit} before flare-ups (n={self.flare_ups}) vs "
            f"{self.free_mean:.1f}{unit} before pain-free days (n={self.pain_free}); difference "
            f"{self.difference:+.1f} (95% interval {self.ci_low:+.1f} to {self.ci_high:+.1f}); "
            f"{self.metric.exposed_phrase.removeprefix('a ')}: {self.flare_exposed} of {self.flare_ups} flare-ups, "
            f"{self.free_exposed} of {self.pain_free} pain-free (exact test p={self.p_value:.3f})"
        )


AnalysisStatus = Literal["not_enough", "done"]


@dataclass(frozen=True, slots=True)
class PainAnalysis:
    status: AnalysisStatus
    flare_ups: int
    pain_free: int
    settings: AnalysisSettings
    comparisons: tuple[Comparison, ...] = ()
    samples: tuple[Sample, ...] = field(default=(), repr=False)

    @property
    def findings(self) -> tuple[Comparison, ...]:
        return tuple(c for c in self.comparisons if c.supported)

    def headline(self) -> str:
        s = self.settings
        if self.status == "not_enough":
            return (
                f"Not enough entries yet: {self.flare_ups} of {s.min_flare_ups} flare-ups and {self.pain_free} of "
                f"{s.min_pain_free} pain-free entries needed to compare what came before them."
            )
        if not self.findings:
            return (
                f"Compared {self.flare_ups} flare-ups with {self.pain_free} pain-free entries: nothing in the week "
                "before stands out beyond chance."
            )
        return f"Compared {self.flare_ups} flare-ups with {self.pain_free} pain-free entries."

    def digest_sentence(self) -> str | None:
        """ "Your last 3 flare-ups each followed a week with 2+ speed sessions (…)." only when supported."""
        if not self.findings:
            return None
        best = min(self.findings, key=lambda c: c.p_value)
        tail = (
            f" (against {best.free_exposed} of {best.pain_free} pain-free days): a pattern in your diary, "
            "not proof of a cause."
        )
        if best.recent_streak >= 2:
            return f"Your last {best.recent_streak} flare-ups each followed {best.metric.exposed_phrase}{tail}"
        return f"{best.flare_exposed} of your {best.flare_ups} flare-ups followed {best.metric.exposed_phrase}{tail}"


def fisher_exact(a: int, b: int, c: int, d: int) -> float:
    """Two-sided Fisher's exact test p-value of the 2x2 table [[a, b], [c, d]] (sum of tables as likely or less)."""
    row1, col1, n = a + b, a + c, a + b + c + d
    if n == 0:
        return 1.0
    lo, hi = max(0, col1 - (n - row1)), min(row1, col1)
    total = math.comb(n, col1)

    def prob(x: int) -> float:
        return math.comb(row1, x) * math.comb(n - row1, col1 - x) / total

    observed = prob(a)
    p = sum(q for x in range(lo, hi + 1) if (q := prob(x)) <= observed * (1 + 1e-7))
    return min(p, 1.0)


def _window(sessions: Sequence[ExposureSession], entry: PainEntry, days: int) -> list[ExposureSession]:
    """Sessions in the `days` before the entry's day, plus (for an entry written on a run) that day up to the run."""
    first = entry.day - timedelta(days=days)
    chosen = [s for s in sessions if first <= s.day < entry.day]
    if entry.activity_start_utc is not None:
        chosen += [s for s in sessions if s.day == entry.day and s.start_utc <= entry.activity_start_utc]
    return chosen


def _samples(entries: Sequence[PainEntry], sessions: Sequence[ExposureSession], s: AnalysisSettings) -> list[Sample]:
    by_day: dict[date, int] = {}
    for entry in entries:
        by_day[entry.day] = max(entry.score, by_day.get(entry.day, 0))
    representative = {e.day: e for e in sorted(entries, key=lambda e: (e.day, -e.score))}
    painful_days = sorted(d for d, score in by_day.items() if score >= s.painful_from)
    samples: list[Sample] = []
    last_free: date | None = None
    for day in sorted(by_day):
        recent_pain = any(day - timedelta(days=s.window_days) <= p < day for p in painful_days)
        score = by_day[day]
        if score >= s.painful_from:
            painful = True
        elif score <= s.pain_free_up_to and (last_free is None or (day - last_free).days >= s.window_days):
            painful = False
        else:
            continue
        if recent_pain:
            continue
        if not painful:
            last_free = day
        entry = representative[day]
        week = _window(sessions, entry, s.window_days)
        month = _window(sessions, entry, 28)
        values = {m.key: m.value(week, month) for m in METRICS}
        samples.append(Sample(day=day, painful=painful, values=values))
    return samples


def _exposed(metric: Metric, value: float) -> bool:
    return value >= metric.cutoff if metric.more_is_risky else value < metric.cutoff


def _compare(metric: Metric, samples: Sequence[Sample], s: AnalysisSettings, tests: int) -> Comparison | None:
    flare = [(x.day, v) for x in samples if x.painful and (v := x.values.get(metric.key)) is not None]
    free = [v for x in samples if not x.painful and (v := x.values.get(metric.key)) is not None]
    if len(flare) < s.min_flare_ups or len(free) < s.min_pain_free:
        return None
    import numpy as np  # only once there is enough diary to compare: `syncd pain --list` never needs it

    flare_values = np.array([v for _, v in flare], dtype=np.float64)
    free_values = np.array(free, dtype=np.float64)
    rng = np.random.default_rng([s.seed, METRICS.index(metric)])
    boot_flare = rng.choice(flare_values, size=(s.resamples, len(flare_values))).mean(axis=1)
    boot_free = rng.choice(free_values, size=(s.resamples, len(free_values))).mean(axis=1)
    low, high = np.quantile(boot_flare - boot_free, [0.025, 0.975])
    difference = float(flare_values.mean() - free_values.mean())
    flare_exposed = sum(_exposed(metric, v) for _, v in flare)
    free_exposed = sum(_exposed(metric, v) for v in free)
    p = fisher_exact(flare_exposed, len(flare) - flare_exposed, free_exposed, len(free) - free_exposed)
    risky_interval = low > 0 if metric.more_is_risky else high < 0
    more_often = flare_exposed / len(flare) > free_exposed / len(free)
    streak = 0
    for _, value in sorted(flare, reverse=True):
        if not _exposed(metric, value):
            break
        streak += 1
    return Comparison(
        metric=metric,
        flare_ups=len(flare),
        pain_free=len(free),
        flare_mean=float(flare_values.mean()),
        free_mean=float(free_values.mean()),
        difference=difference,
        ci_low=float(low),
        ci_high=float(high),
        flare_exposed=flare_exposed,
        free_exposed=free_exposed,
        p_value=p,
        supported=bool(risky_interval and more_often and p < s.alpha / tests),
        recent_streak=streak,
    )


def analyse(
    entries: Sequence[PainEntry], sessions: Sequence[ExposureSession], settings: AnalysisSettings = AnalysisSettings()
) -> PainAnalysis:
    """Compare the weeks before flare-ups with the weeks before pain-free entries, for one athlete."""
    samples = _samples(entries, sessions, settings)
    flare_ups = sum(x.painful for x in samples)
    pain_free = len(samples) - flare_ups
    if flare_ups < settings.min_flare_ups or pain_free < settings.min_pain_free:
        return PainAnalysis("not_enough", flare_ups, pain_free, settings, samples=tuple(samples))
    comparisons = tuple(c for m in METRICS if (c := _compare(m, samples, settings, len(METRICS))) is not None)
    return PainAnalysis("done", flare_ups, pain_free, settings, comparisons, tuple(samples))
