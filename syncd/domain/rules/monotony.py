"""monotony: the last 7 days of running were too alike (Foster's training monotony).

Source (RISK-FACTS.md, "Monotony"): Foster (1998) monotony = mean daily load / its standard deviation over a week;
caution at 1.5, high at 2.0. Rest days count as 0 load, so varied days and real rest lower it.

What counts: running load only, as in load_spike (minutes, or TRIMP when heart rates allow; syncd.domain.load):
a low-impact day is a day off impact, which is the variation that matters for the back. The window is the 7 local
days ending on this run's date; runs recorded after this one never count.

Evidence keys:
    monotony         float  mean_daily_load / sd_daily_load, capped at 10 (every day the same load)
    week_load        float  total load of the 7 days
    mean_daily_load  float  week_load / 7
    sd_daily_load    float  population standard deviation of the 7 daily loads
    load_unit        str    "min" or "trimp"

Severity: caution at `monotony_caution`, high at `monotony_high`. None when this is not a run, when the history
spans fewer than 7 local days (a quiet week before the athlete started recording is not rest), or with no load.
"""

from __future__ import annotations

from datetime import timedelta

from syncd.domain.flags import Confidence, Flag, FlagCode, Severity
from syncd.domain.history import summarize
from syncd.domain.load import daily_load, foster_monotony, history_span_days, sessions_until
from syncd.domain.rules.context import RuleContext

VERSION: int = 1

WINDOW_DAYS = 7

_ADVICE = (
    "Your runs this week have been very much alike, day after day, with little easy time or rest between them. "
    "Consider a rest day or a low-impact session such as cycling or swimming, and keep the next run light."
)


def evaluate(ctx: RuleContext) -> Flag | None:
    if not ctx.activity.sport.is_run:
        return None
    current = summarize(ctx.activity)
    today = current.local_date
    entries = sessions_until(ctx.history, current)
    if history_span_days(entries, today) < WINDOW_DAYS:
        return None
    series = daily_load(entries, today - timedelta(days=WINDOW_DAYS - 1), today, max_hr=ctx.max_heart_rate)
    result = foster_monotony(series, today, WINDOW_DAYS)
    if result.monotony is None:
        return None
    t = ctx.thresholds
    if result.monotony >= t.monotony_high:
        severity = Severity.HIGH
    elif result.monotony >= t.monotony_caution:
        severity = Severity.CAUTION
    else:
        return None
    return Flag(
        code=FlagCode.MONOTONY,
        severity=severity,
        confidence=Confidence.MEDIUM,
        evidence={
            "monotony": round(result.monotony, 2),
            "week_load": round(result.week_load, 1),
            "mean_daily_load": round(result.mean_daily_load, 1),
            "sd_daily_load": round(result.sd_daily_load, 1),
            "load_unit": result.unit,
        },
        advice=_ADVICE,
    )
