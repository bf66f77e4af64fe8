"""worn_shoes: the shoes of this run are at or near their replacement distance.

Source (RISK-FACTS.md, "Shoes"): replace running shoes before their cushioning is gone; the common range is
480-800 km (Cook, Kester & Brunet 1985, a mechanical shock-absorption test). The evidence is weak, so the default
limit is 600 km (`shoe_limit_km`) unless the gear carries its own maximum (Garmin gear can).

Evidence keys (SI):
    gear_name        str    the shoe's name as the platform shows it
    gear_distance_m  float  distance on the shoe now, metres
    limit_m          float  the replacement distance used, metres
    limit_source     str    "gear" (the shoe's own maximum) or "default" (thresholds.shoe_limit_km)
    share_pct        float  gear_distance_m / limit_m x 100

Severity: info from `shoe_nearly_worn_pct` of the limit, caution at 100 %, high above `shoe_far_over_pct`.
Runs only; None without gear, for non-shoe gear, or for a non-positive limit.
"""

from __future__ import annotations

from syncd.domain.flags import Confidence, Flag, FlagCode, Severity
from syncd.domain.rules.context import RuleContext

VERSION: int = 1

_ADVICE_NEARLY = (
    "These shoes are close to the distance where cushioning usually fades. Worn cushioning passes more impact "
    "to your back, so it is a good time to get a new pair and start rotating them in on easy runs."
)
_ADVICE_OVER = (
    "These shoes have passed the distance where cushioning usually fades, so more impact reaches your back. "
    "Consider replacing them; a fresh pair for your longer runs is the easiest change."
)


def evaluate(ctx: RuleContext) -> Flag | None:
    gear = ctx.gear
    if not ctx.activity.sport.is_run or gear is None or gear.kind != "shoe":
        return None
    if gear.limit_m is not None and gear.limit_m > 0:
        limit_m, source = gear.limit_m, "gear"
    else:
        limit_m, source = ctx.thresholds.shoe_limit_km * 1000.0, "default"
    if limit_m <= 0 or gear.distance_m < 0:
        return None
    share = gear.distance_m / limit_m * 100.0
    t = ctx.thresholds
    if share > t.shoe_far_over_pct:
        severity = Severity.HIGH
    elif share >= 100.0:
        severity = Severity.CAUTION
    elif share >= t.shoe_nearly_worn_pct:
        severity = Severity.INFO
    else:
        return None
    return Flag(
        code=FlagCode.WORN_SHOES,
        severity=severity,
        # The athlete's own limit is a deliberate choice; the default rests on one old lab test.
        confidence=Confidence.MEDIUM if source == "gear" else Confidence.LOW,
        evidence={
            "gear_name": gear.name,
            "gear_distance_m": float(gear.distance_m),
            "limit_m": float(limit_m),
            "limit_source": source,
            "share_pct": round(share, 1),
        },
        advice=_ADVICE_NEARLY if severity is Severity.INFO else _ADVICE_OVER,
    )
