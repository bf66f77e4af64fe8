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
from datetime import timedelta

from syncd.domain.flags import Confidence, Flag, Severity
from syncd.domain.history import HistoryEntry
from syncd.domain.load import WeekCounts, week_counts, week_start
from syncd.domain.model import LOW_IMPACT_SPORTS, STRENGTH_SPORTS, Sport
from syncd.domain.rule_versions import RULE_VERSIONS
from syncd.domain.rules.context import RuleContext
from syncd.domain.rules.low_strength_evidence import StrengthEvidence, WeeklySessionsEvidence
from syncd.domain.thresholds import Thresholds

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
    # Both weekly rules (cross-training and strength) count the same last week: counted once per context.
    counts = ctx.derived("last_week_counts", lambda: _last_week(ctx))
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


def _last_week(ctx: RuleContext) -> WeekCounts | None:
    """The sessions of the calendar week before this run's, or None when this is not the first run of its week
    or the history does not cover last week."""
    current = ctx.summary()
    monday = week_start(current.local_date)
    days = [(e.local_date, e) for e in ctx.history if e.start_utc < current.start_utc]
    if any(e.sport.is_run and day >= monday for day, e in days):
        return None  # not the first run of its week
    last_monday = monday - timedelta(days=7)
    if not any(day <= last_monday for day, _ in days):
        return None  # the history does not cover last week
    t = ctx.thresholds
    counted = [e for day, e in days if last_monday <= day < monday and _counts(e, t)]
    return week_counts(counted, last_monday)


def _counts(entry: HistoryEntry, t: Thresholds) -> bool:
    """A run always counts; a cross-training or strength session only when it lasted long enough to matter."""
    minutes = entry.duration_s / 60.0
    if entry.sport in LOW_IMPACT_SPORTS:
        return minutes >= t.min_session_min
    if entry.sport in STRENGTH_SPORTS:
        return entry.duration_s <= 0 or minutes >= t.min_session_min
    return True


def evaluate(ctx: RuleContext) -> Flag | None:
    return weekly_shortfall(
        ctx,
        evidence=StrengthEvidence,
        target=ctx.thresholds.strength_sessions_per_week,
        pick=lambda counts: (counts.strength, counts.strength_sports),
        advice=_ADVICE,
    )
