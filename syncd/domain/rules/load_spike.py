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
fewer than `acwr_min_history_days` local days, or the chronic window holds less than `acwr_min_chronic_min` of
running a week (the guard of syncd.domain.load.check_load, shared with the feed strip and the digest).

Return after a break: after `return_break_days` or more without a run a ratio is meaningless (a 10-minute jog
after three weeks off reads "27.0"). Then the week's running is compared with the usual week before the break:
a flag (caution) only when it already holds more than `return_first_week_pct` % of it, with evidence
    finding               str    "return_after_break"
    break_days            int    days without a run before this week's first run
    acute_load            float  running minutes in the 7 days ending on this run's date
    before_break_load     float  mean weekly running minutes in the 28 days before the break
    load_unit             str    "min"
A short, easy return gets no flag: it is what the advice asks for.
"""

from __future__ import annotations

from syncd.domain.flags import Confidence, Flag, FlagCode, Severity
from syncd.domain.history import summarize
from syncd.domain.load import check_load, sessions_until
from syncd.domain.rule_versions import RULE_VERSIONS
from syncd.domain.rules.context import RuleContext

VERSION: int = RULE_VERSIONS["load_spike"]  # bumped in syncd/domain/rule_versions.py

ACUTE_DAYS = 7
CHRONIC_DAYS = 28

_ADVICE = (
    "Your running this week is well above what you have been doing lately, and a quick jump in load is a common "
    "trigger for a flare-up. Consider making the next few runs short and easy, or swapping one for a bike ride "
    "or a swim, until the week evens out. If your back hurts, see a clinician."
)
_RETURN_ADVICE = (
    "You are back after a break: start short and easy and build up over two or three weeks, about half of your "
    "usual week at first, with a bike ride or a swim in between. If your back hurts, see a clinician."
)


def evaluate(ctx: RuleContext) -> Flag | None:
    if not ctx.activity.sport.is_run:
        return None
    current = summarize(ctx.activity)
    today = current.local_date
    t = ctx.thresholds
    check = check_load(
        sessions_until(ctx.history, current),
        today,
        min_history_days=t.acwr_min_history_days,
        min_chronic_minutes=t.acwr_min_chronic_min,
        break_days=t.return_break_days,
        max_hr=ctx.max_heart_rate,
        acute_days=ACUTE_DAYS,
        chronic_days=CHRONIC_DAYS,
    )
    if check.status == "return_after_break":
        if not check.return_too_big(t.return_first_week_pct):
            return None
        return Flag(
            code=FlagCode.LOAD_SPIKE,
            severity=Severity.CAUTION,
            confidence=Confidence.MEDIUM,
            evidence={
                "finding": "return_after_break",
                "break_days": check.break_days,
                "acute_load": round(check.acute_minutes, 1),
                "before_break_load": round(check.before_break_minutes or 0.0, 1),
                "load_unit": "min",
            },
            advice=_RETURN_ADVICE,
        )
    level = check.level(t.acwr_caution, t.acwr_high)
    if check.ratio is None or level in ("none", "ok"):
        return None
    return Flag(
        code=FlagCode.LOAD_SPIKE,
        severity=Severity.HIGH if level == "high" else Severity.CAUTION,
        # A full 28-day baseline earns medium; the ratio itself is too contested for high.
        confidence=Confidence.MEDIUM if check.history_days >= CHRONIC_DAYS else Confidence.LOW,
        evidence={
            "method": "rolling_uncoupled",
            "acute_load": round(check.acute_load, 1),
            "chronic_load": round(check.chronic_load, 1),
            "acwr": round(check.ratio, 2),
            "load_unit": check.unit,
        },
        advice=_ADVICE,
    )
