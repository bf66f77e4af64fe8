"""load_spike: a return after a break whose first week is already too big for the runner's usual week.

Source: RISK-FACTS.md, "Training-load spike" and "Single-session spike". The acute:chronic ratio (ACWR 7 vs 28
days; Gabbett 2016) is no longer a caution on a run (issue 28): it is debated
(Lolli et al. 2019; Impellizzeri et al. 2020) and the largest cohort so far (Frandsen et al. 2025, 588,071 sessions)
found no rise in overuse injuries with it, nor with week-to-week change, where the length of one run against the
recent longest did rise (rules/long_run_spike.py). The ratio stays information in the weekly digest and the feed
strip (syncd.domain.load.check_load, the one guarded verdict they share).

Return after a break: after `return_break_days` or more without a run, the week's running is compared with the
runner's usual week before the break (the mean over the weeks the history actually covers, at least one week, so
one 53-minute run is a 53-minute week, not "368 min a week"). A flag (caution) only when the week back already holds
more than `return_first_week_pct` % of that usual week AND more than `return_min_week_min` minutes: a 30-minute
week after 12-minute weeks is not a load problem. Running sessions only; sessions after this run never count.

Evidence keys (LoadSpikeEvidence in rules/load_spike_evidence.py, beside its note line):
    finding               str    "return_after_break"
    break_days            int    days without a run before this week's first run
    acute_load            float  running minutes in the 7 days ending on this run's date
    before_break_load     float  mean weekly running minutes before the break (covered weeks only)
    load_unit             str    "min"
A short, easy return gets no flag: it is what the advice asks for.
"""

from __future__ import annotations

from syncd.domain.flags import Confidence, Flag, FlagCode, Severity
from syncd.domain.rule_versions import RULE_VERSIONS
from syncd.domain.rules.context import RuleContext
from syncd.domain.rules.load_spike_evidence import RETURN_AFTER_BREAK, LoadSpikeEvidence

VERSION: int = RULE_VERSIONS["load_spike"]  # bumped in syncd/domain/rule_versions.py

_RETURN_ADVICE = (
    "You are back after a break: start short and easy and build up over two or three weeks, about half of your "
    "usual week at first, with a bike ride or a swim in between. If your back hurts, see a clinician."
)


def evaluate(ctx: RuleContext) -> Flag | None:
    if not ctx.activity.sport.is_run:
        return None
    t = ctx.thresholds
    # the run's state's load with the run in it (`domain.run_figures`: the guarded load the strip and digest show)
    check = ctx.figures().load
    if check.status != "return_after_break" or not check.return_too_big(t.return_first_week_pct, t.return_min_week_min):
        return None
    return Flag(
        code=FlagCode.LOAD_SPIKE,
        severity=Severity.CAUTION,
        confidence=Confidence.MEDIUM,
        evidence=LoadSpikeEvidence(
            finding=RETURN_AFTER_BREAK,
            break_days=check.break_days,
            acute_load=round(check.acute_minutes, 1),
            before_break_load=round(check.before_break_minutes or 0.0, 1),
            load_unit="min",
        ).to_evidence(),
        advice=_RETURN_ADVICE,
    )
