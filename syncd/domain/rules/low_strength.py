"""low_strength: a finished calendar week had fewer core/strength sessions than the weekly target.

Source (RISK-FACTS.md, "Whole body" and "Cross-training and strength"): in athletes back pain usually comes from
weak abdominals, hip flexors and glutes; a starting dose is about 10 repetitions of each exercise three times a
week, so the target is `strength_sessions_per_week` (3) per calendar week (Monday-Sunday) in the athlete's local
time. Strength sports: model.STRENGTH_SPORTS (strength training, yoga).

Shown once per week, on the week's last run, and only when the week is over (`ctx.now` None, or at/after Monday
00:00 local time after it, using this run's UTC offset). `weekly_shortfall` is shared with low_cross_training.

Evidence keys:
    sessions     int  strength sessions in the week
    target       int  the weekly target
    week         str  ISO week, e.g. "2026-W47"
    sports_seen  str  comma-separated sorted sports of those sessions (e.g. "strength,yoga"; "" when none)

Severity: info, caution when there were none. Confidence medium: sessions done without recording are invisible.
"""

from __future__ import annotations

from collections.abc import Callable

from syncd.domain.flags import Confidence, Flag, FlagCode, Severity
from syncd.domain.history import summarize
from syncd.domain.load import WeekCounts, is_last_run_of_week, week_counts, week_end_utc, week_start
from syncd.domain.model import Sport, utc
from syncd.domain.rules.context import RuleContext

VERSION: int = 1

_ADVICE = (
    "Strong abdominals, hip flexors and glutes help hold your posture when you run. Try a short core routine, "
    "about ten repetitions of each exercise, three times a week; a physical therapist can suggest the right ones."
)


def weekly_shortfall(
    ctx: RuleContext,
    *,
    code: FlagCode,
    target: int,
    pick: Callable[[WeekCounts], tuple[int, tuple[Sport, ...]]],
    advice: str,
) -> Flag | None:
    """Flag the week's last run when the finished week's session count (`pick`) is below `target`."""
    if not ctx.activity.sport.is_run or target <= 0:
        return None
    current = summarize(ctx.activity)
    if not is_last_run_of_week(ctx.history, current):
        return None
    monday = week_start(current.local_date)
    if ctx.now is not None and utc(ctx.now) < week_end_utc(monday, current.utc_offset_s):
        return None
    counts = week_counts([*ctx.history, current], monday)
    sessions, sports = pick(counts)
    if sessions >= target:
        return None
    return Flag(
        code=code,
        severity=Severity.CAUTION if sessions == 0 else Severity.INFO,
        confidence=Confidence.MEDIUM,
        evidence={
            "sessions": sessions,
            "target": target,
            "week": counts.week,
            "sports_seen": ",".join(s.value for s in sports),
        },
        advice=advice,
    )


def evaluate(ctx: RuleContext) -> Flag | None:
    return weekly_shortfall(
        ctx,
        code=FlagCode.LOW_STRENGTH,
        target=ctx.thresholds.strength_sessions_per_week,
        pick=lambda counts: (counts.strength, counts.strength_sports),
        advice=_ADVICE,
    )
