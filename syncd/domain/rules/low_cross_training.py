"""low_cross_training: last calendar week had fewer low-impact sessions than the weekly target.

Source (RISK-FACTS.md, "Cross-training and strength"; originating article): swap running for lower-impact exercise
a couple of times a week (ride, swim, elliptical, walk, row, aqua-jog); target `low_impact_sessions_per_week`
(2) per calendar week (Monday-Sunday) in the athlete's local time. Low-impact sports: model.LOW_IMPACT_SPORTS.

Shown once per week, on the first run of the following week, only for weeks the history covers and that held a
run; sessions shorter than `min_session_min` do not count (see low_strength.weekly_shortfall).

Evidence keys (CrossTrainingEvidence in rules/low_cross_training_evidence.py, beside its note line):
    sessions     int  low-impact sessions in the week
    target       int  the weekly target
    week         str  ISO week, e.g. "2026-W47"
    sports_seen  str  comma-separated sorted sports of those sessions (e.g. "ride,swim"; "" when none)

Severity: info, caution when there were none.
"""

from __future__ import annotations

from syncd.domain.flags import Flag
from syncd.domain.rule_versions import RULE_VERSIONS
from syncd.domain.rules.context import RuleContext
from syncd.domain.rules.low_cross_training_evidence import CrossTrainingEvidence
from syncd.domain.rules.low_strength import weekly_shortfall

VERSION: int = RULE_VERSIONS["low_cross_training"]  # bumped in syncd/domain/rule_versions.py

_ADVICE = (
    "Running was most of your training this week. Swapping a couple of runs for low-impact exercise, such as "
    "an easy bike ride, a swim or a brisk walk, keeps you fit while giving your back a break from impact."
)


def evaluate(ctx: RuleContext) -> Flag | None:
    return weekly_shortfall(
        ctx,
        evidence=CrossTrainingEvidence,
        target=ctx.thresholds.low_impact_sessions_per_week,
        pick=lambda counts: (counts.low_impact, counts.low_impact_sports),
        advice=_ADVICE,
    )
