"""monotony: these 7 days of running were both substantial and too alike (Foster's training monotony).

Source (RISK-FACTS.md, "Monotony"): Foster (1998) monotony = mean daily load / its standard deviation over a week;
caution at 1.5, high at 2.0. Rest days count as 0 load, so varied days and real rest lower it. Foster's concern is
monotony *under load* (strain = weekly load x monotony), so a light week is never flagged, however regular:
five 30-minute runs (monotony 1.58) or a streak of 5-minute jogs are healthy habits, not a risk. The week must
carry at least `monotony_min_week_load_min` minutes (or `monotony_min_week_load_trimp` TRIMP).

Only from a heart-rate load (Banister TRIMP, which needs the athlete's maximum heart rate and every run's average
heart rate), or not at all (issue 28): on minutes, six 50-minute runs and a rest day read as "high monotony" while
the six runs may have been easy, long, hard and recovery; minutes say nothing of how alike the days were.

What counts: running load only, as in load_spike (TRIMP; syncd.domain.load):
a low-impact day is a day off impact, which is the variation that matters for the back. The window is the 7 local
days ending on this run's date; runs recorded after this one never count.

Raised once per calendar week: on the first run of the local week whose 7 days cross the threshold (each earlier
run of the week is judged as it was when it was run, from the history alone), never again that week.

Evidence keys:
    monotony         float  mean_daily_load / sd_daily_load, capped at 10 (every day the same load)
    strain           float  week_load x monotony (Foster's strain)
    week_load        float  total load of the 7 days
    mean_daily_load  float  week_load / 7
    sd_daily_load    float  population standard deviation of the 7 daily loads
    load_unit        str    "min" or "trimp"
    days             int    the window, 7
    rest_days        int    days of the window without running load

Severity: caution at `monotony_caution`, high at `monotony_high`. None when this is not a run, when the history
spans fewer than 7 local days (a quiet week before the athlete started recording is not rest), or with no load.
"""

from __future__ import annotations

from syncd.domain.flags import Confidence, Flag, FlagCode, Severity
from syncd.domain.rule_versions import RULE_VERSIONS
from syncd.domain.rules.context import RuleContext
from syncd.domain.rules.monotony_evidence import MonotonyEvidence
from syncd.domain.run_figures import MONOTONY_DAYS

VERSION: int = RULE_VERSIONS["monotony"]  # bumped in syncd/domain/rule_versions.py

WINDOW_DAYS = MONOTONY_DAYS

_ADVICE = (
    "These seven days carried a similar load day after day, with little easy time or rest between them. "
    "Consider a rest day or a low-impact session such as cycling or swimming, and keep the next run light."
)


def evaluate(ctx: RuleContext) -> Flag | None:
    if not ctx.activity.sport.is_run:
        return None
    t = ctx.thresholds
    # the 7 days' monotony in the run's state (`domain.run_figures`), once a week: None when an earlier run of this
    # calendar week already crossed the threshold
    result = ctx.figures().monotony
    if result is None or result.monotony is None:
        return None
    return Flag(
        code=FlagCode.MONOTONY,
        severity=Severity.HIGH if result.monotony >= t.monotony_high else Severity.CAUTION,
        confidence=Confidence.MEDIUM,
        evidence=MonotonyEvidence(
            monotony=round(result.monotony, 2),
            strain=round(result.week_load * result.monotony, 0),
            week_load=round(result.week_load, 1),
            mean_daily_load=round(result.mean_daily_load, 1),
            sd_daily_load=round(result.sd_daily_load, 1),
            load_unit=result.unit,
            days=WINDOW_DAYS,
            rest_days=result.rest_days,
        ).to_evidence(),
        advice=_ADVICE,
    )
