"""load_spike: this week's running load is well above the athlete's recent running load (acute:chronic ratio).

Source (RISK-FACTS.md, "Training-load spike"): ACWR 7 vs 28 days; sweet spot 0.8-1.3, risk rises above 1.3 and
sharply above 1.5 (Gabbett 2016; Blanch & Gabbett 2015). The ratio is debated (Lolli et al. 2019; Impellizzeri
et al. 2020), so it is uncoupled (the chronic window excludes the acute one), advisory, and never above medium
confidence.

What counts: running sessions only. Impact is what loads the back, and counting rides or swims would make the
cross-training RISK-FACTS.md recommends look like a spike, or hide a jump in running behind a week without it.
Load is minutes, or Banister TRIMP when the athlete's maximum heart rate and every counted run's average heart
rate are known (syncd.domain.load). Sessions recorded after this one never count, so re-annotation is stable.

Evidence keys:
    method         str    "rolling_uncoupled" (see syncd.domain.load.rolling_acwr)
    acute_load     float  load of the 7 local days ending on this run's date (this run included)
    chronic_load   float  mean weekly load over the 21 days before those 7 (covered days only)
    acwr           float  acute_load / chronic_load
    load_unit      str    "min" (minutes of running) or "trimp" (Banister TRIMP)

Severity: caution above `acwr_caution`, high above `acwr_high`. None when this is not a run, the history spans
fewer than `acwr_min_history_days` local days, or there was no running in the chronic window.
"""

from __future__ import annotations

from datetime import timedelta

from syncd.domain.flags import Confidence, Flag, FlagCode, Severity
from syncd.domain.history import summarize
from syncd.domain.load import daily_load, history_span_days, rolling_acwr, sessions_until
from syncd.domain.rules.context import RuleContext

VERSION: int = 1

ACUTE_DAYS = 7
CHRONIC_DAYS = 28

_ADVICE = (
    "Your running this week is well above what you have been doing lately, and a quick jump in load is a common "
    "trigger for a flare-up. Consider making the next few runs short and easy, or swapping one for a bike ride "
    "or a swim, until the week evens out. If your back hurts, see a clinician."
)


def evaluate(ctx: RuleContext) -> Flag | None:
    if not ctx.activity.sport.is_run:
        return None
    current = summarize(ctx.activity)
    today = current.local_date
    entries = sessions_until(ctx.history, current)
    span = history_span_days(entries, today)
    if span < ctx.thresholds.acwr_min_history_days:
        return None
    series = daily_load(entries, today - timedelta(days=min(span, CHRONIC_DAYS) - 1), today, max_hr=ctx.max_heart_rate)
    result = rolling_acwr(series, today, ACUTE_DAYS, CHRONIC_DAYS)
    if result.ratio is None:
        return None
    t = ctx.thresholds
    if result.ratio > t.acwr_high:
        severity = Severity.HIGH
    elif result.ratio > t.acwr_caution:
        severity = Severity.CAUTION
    else:
        return None
    return Flag(
        code=FlagCode.LOAD_SPIKE,
        severity=severity,
        # A full 28-day baseline earns medium; the ratio itself is too contested for high.
        confidence=Confidence.MEDIUM if span >= CHRONIC_DAYS else Confidence.LOW,
        evidence={
            "method": result.method,
            "acute_load": round(result.acute_load, 1),
            "chronic_load": round(result.chronic_load, 1),
            "acwr": round(result.ratio, 2),
            "load_unit": result.unit,
        },
        advice=_ADVICE,
    )
