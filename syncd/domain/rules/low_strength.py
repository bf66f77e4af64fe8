"""low_strength: last calendar week had fewer core/strength sessions than the weekly target.

Source (RISK-FACTS.md, "Whole body" and "Cross-training and strength"): in athletes back pain usually comes from
weak abdominals, hip flexors and glutes; a starting dose is about 10 repetitions of each exercise three times a
week, so the target is `strength_sessions_per_week` (3) per calendar week (Monday-Sunday) in the athlete's local
time. Strength sports: model.STRENGTH_SPORTS.

Shown once per week, on the first run of the *following* week, about the finished week: a count mid-week is not
yet an outcome, and judging the week from the next week's first run needs nothing recorded after that run, so
re-annotating it later gives the same answer. Only weeks the history covers are judged: the history must reach
back to that week's Monday (a single annotated file, or an athlete's first week, gets no weekly finding), and the
week must have held at least one run (a week off is rest, not a shortfall). A session counts only when it lasted
at least `min_session_min` minutes (15; a 2-minute walk is not a low-impact session); a logged session without a
duration counts as a strength session (a logged routine often has no timer), not as low-impact.
`weekly_shortfall` is shared with low_cross_training.

Evidence keys (StrengthEvidence in rules/low_strength_evidence.py, beside its note line):
    sessions     int  strength sessions in the week
    target       int  the weekly target
    week         str  ISO week, e.g. "2026-W47"
    sports_seen  str  comma-separated sorted sports of those sessions (e.g. "strength,yoga"; "" when none)

Severity: info, caution when there were none. Confidence medium: sessions done without recording are invisible.
"""

from __future__ import annotations

from collections.abc import Callable

from syncd.domain.flags import Confidence, Flag, Severity
from syncd.domain.load import WeekCounts
from syncd.domain.model import Sport
from syncd.domain.rule_versions import RULE_VERSIONS
from syncd.domain.rules.context import RuleContext
from syncd.domain.rules.low_strength_evidence import StrengthEvidence, WeeklySessionsEvidence

VERSION: int = RULE_VERSIONS["low_strength"]  # bumped in syncd/domain/rule_versions.py

_ADVICE = (
    "Strong abdominals, hip flexors and glutes help hold your posture when you run. Try a short core routine, "
    "about ten repetitions of each exercise, three times a week; a physical therapist can suggest the right ones."
)


def weekly_shortfall(
    ctx: RuleContext,
    *,
    evidence: type[WeeklySessionsEvidence],
    target: int,
    pick: Callable[[WeekCounts], tuple[int, tuple[Sport, ...]]],
    advice: str,
) -> Flag | None:
    """Flag the week's first run when last week's session count (`pick`) was below `target`; `evidence` is the
    rule's evidence type, which names its flag code."""
    if not ctx.activity.sport.is_run or target <= 0:
        return None
    # last week's counts in the run's state (`domain.run_figures`: the week's own count, as its digest shows it)
    counts = ctx.figures().last_week
    if counts is None or counts.runs == 0:
        return None
    sessions, sports = pick(counts)
    if sessions >= target:
        return None
    return Flag(
        code=evidence.CODE,
        severity=Severity.CAUTION if sessions == 0 else Severity.INFO,
        confidence=Confidence.MEDIUM,
        evidence=evidence(
            sessions=sessions, target=target, week=counts.week, sports_seen=",".join(s.value for s in sports)
        ).to_evidence(),
        advice=advice,
    )


def evaluate(ctx: RuleContext) -> Flag | None:
    return weekly_shortfall(
        ctx,
        evidence=StrengthEvidence,
        target=ctx.thresholds.strength_sessions_per_week,
        pick=lambda counts: (counts.strength, counts.strength_sports),
        advice=_ADVICE,
    )
