"""worn_shoes: the shoes of this run were at or near their replacement distance when it was run.

Source (RISK-FACTS.md, "Shoes"): replace running shoes before their cushioning is gone; the common range is
480-800 km (Cook, Kester & Brunet 1985, a mechanical shock-absorption test). The evidence is weak, so the default
limit is 600 km (`shoe_limit_km`) unless the gear carries its own maximum (Garmin gear can).

The distance is the shoe's *as of this run* (`ctx.gear.distance_m`: the platform's figure today less what later
activities added, see domain.as_of.shoe_as_of), so an old run keeps the figure it had. Retired shoes are
silent: the runner has already replaced them.

Raised when the shoe crosses a level on this run (nearly worn, over the limit, far over) and then at most once a
calendar week: on the first run of each local week with that shoe. Repeating it on every run teaches the runner
to skip the note. Earlier runs with the shoe come from the history (entries with the same gear id).

Evidence keys (SI; WornShoesEvidence in rules/worn_shoes_evidence.py, beside its note line):
    gear_name        str    the shoe's name as the platform shows it
    gear_distance_m  float  distance on the shoe at the end of this run, metres
    limit_m          float  the replacement distance used, metres
    limit_source     str    "gear" (the shoe's own maximum) or "default" (thresholds.shoe_limit_km)
    share_pct        float  gear_distance_m / limit_m x 100

Severity: info from `shoe_nearly_worn_pct` of the limit, caution at 100 %, high above `shoe_far_over_pct`.
Runs only; None without gear, for non-shoe or retired gear, or for a non-positive limit.
"""

from __future__ import annotations

from syncd.domain.flags import Confidence, Flag, FlagCode, Severity
from syncd.domain.load import local_date, week_start
from syncd.domain.rule_versions import RULE_VERSIONS
from syncd.domain.rules.context import RuleContext
from syncd.domain.rules.worn_shoes_evidence import WornShoesEvidence
from syncd.domain.thresholds import Thresholds

VERSION: int = RULE_VERSIONS["worn_shoes"]  # bumped in syncd/domain/rule_versions.py

_ADVICE_NEARLY = (
    "These shoes are close to the distance at which running shoes are commonly replaced (a wide range, and the "
    "evidence for an exact figure is weak). A good time to get a new pair and rotate it in on easy runs."
)
_ADVICE_OVER = (
    "These shoes have passed the limit set for them, within the range where running shoes are commonly "
    "replaced (the evidence for an exact figure is weak). Consider a new pair, first for your longer runs."
)


def evaluate(ctx: RuleContext) -> Flag | None:
    gear = ctx.gear
    activity = ctx.activity
    if not activity.sport.is_run or gear is None or gear.kind != "shoe" or gear.retired:
        return None
    if gear.limit_m is not None and gear.limit_m > 0:
        limit_m, source = gear.limit_m, "gear"
    else:
        limit_m, source = ctx.thresholds.shoe_limit_km * 1000.0, "default"
    if limit_m <= 0 or gear.distance_m < 0:
        return None
    t = ctx.thresholds
    level = _level(gear.distance_m / limit_m * 100.0, t)
    if level == 0 or not _news(ctx, limit_m, level):
        return None
    severity = (Severity.INFO, Severity.CAUTION, Severity.HIGH)[level - 1]
    return Flag(
        code=FlagCode.WORN_SHOES,
        severity=severity,
        # The distance is the platform's own figure; how weak the evidence for any limit is, the note says in its
        # words ("syncd's default", "usual replacement 480-800 km"), not with "(possible; thin evidence)" beside
        # a shoe that is plainly at 640 km.
        confidence=Confidence.MEDIUM,
        evidence=WornShoesEvidence(
            gear_name=gear.name,
            gear_distance_m=float(gear.distance_m),
            limit_m=float(limit_m),
            limit_source=source,
            share_pct=round(gear.distance_m / limit_m * 100.0, 1),
        ).to_evidence(),
        advice=_ADVICE_NEARLY if severity is Severity.INFO else _ADVICE_OVER,
    )


def _level(share_pct: float, t: Thresholds) -> int:
    """0 fine, 1 nearly worn, 2 over the limit, 3 far over."""
    if share_pct > t.shoe_far_over_pct:
        return 3
    if share_pct >= 100.0:
        return 2
    return 1 if share_pct >= t.shoe_nearly_worn_pct else 0


def _news(ctx: RuleContext, limit_m: float, level: int) -> bool:
    """True when this is the first run with the shoe this local week, or the shoe reached a new level on it.

    The previous run of the week with the shoe had the shoe's distance now, less this run and the runs between.
    """
    gear = ctx.gear
    assert gear is not None
    current = ctx.activity
    monday = week_start(current.start_local.date())
    same_shoe = sorted(
        (e for e in ctx.history if e.gear_id == gear.gear_id and e.start_utc < current.start_utc),
        key=lambda e: e.start_utc,
    )
    this_week = [e for e in same_shoe if local_date(e) >= monday]
    if not this_week:
        return True
    previous = this_week[-1]
    after_previous = (current.distance_m or 0.0) + sum(
        e.distance_m or 0.0 for e in same_shoe if e.start_utc > previous.start_utc
    )
    return _level((gear.distance_m - after_previous) / limit_m * 100.0, ctx.thresholds) < level
