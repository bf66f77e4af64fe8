"""Hard surface: how much of a run was on asphalt or concrete, measured on a surface map.

Source: RISK-FACTS.md, "Surface: move from asphalt roads and concrete paths or sidewalks to a treadmill, grass
paths or dirt trails. Softer surfaces reduce the stress on the back and on every joint."

Decision:
- treadmill, virtual and indoor runs, trail runs and track runs: not hard, silent (a synthetic track is softer
  than a road; the article does not ask a runner to leave it);
- a surface map that knows the route: flag when the paved share of the classified distance reaches
  `hard_surface_share_pct` and the map classified at least `hard_surface_min_known_pct` of the route (62 paved
  metres of a 5 km run on an unmapped path are no finding about the run); confidence from how much of the route
  the map could classify, one step lower when
  most of the classified distance got its class from the road type rather than a `surface` tag;
  the map's metres are scaled to the activity's own distance (the shares are the map's), so the note's
  "6.1 of 8.0 km" agrees with the distance the platform shows;
- no map, or a map that knows none of the route: the surface is unknown and the rule is silent. "Most outdoor
  runs are on roads" is a guess about every runner, not a finding about this run; a per-run line for it only
  teaches runners to skip the note (the weekly digest may mention unmeasured distance once a week);
- no GPS: unknown, silent.

Evidence (HardSurfaceEvidence in rules/hard_surface_evidence.py, beside its note line): `surface` ("paved"),
`source` ("map"), `distance_m`, `map` (which one), `paved_m`, `unpaved_m`,
`track_m`, `unknown_m`, `total_m`, `share_pct` (paved share of the whole route, %, unknown included),
`known_share_pct` (paved share of the classified distance, %, what the threshold judges), `inferred_m`
(classified from the road type, not a surface tag), `mapped_m` (the route length the map measured, before
scaling). The unknown share is always reported.
"""

from __future__ import annotations

import numpy as np

from syncd.domain.flags import Confidence, Flag, FlagCode, Severity
from syncd.domain.model import Activity, Sport
from syncd.domain.rule_versions import RULE_VERSIONS
from syncd.domain.rules.context import RuleContext
from syncd.domain.rules.hard_surface_evidence import HardSurfaceEvidence
from syncd.domain.streams_math import distance_of
from syncd.domain.surface import SurfaceBreakdown

VERSION: int = RULE_VERSIONS["hard_surface"]  # bumped in syncd/domain/rule_versions.py

_NOT_ROAD = frozenset({Sport.TREADMILL_RUN, Sport.VIRTUAL_RUN, Sport.TRAIL_RUN, Sport.TRACK_RUN})

ADVICE = (
    "Your back takes less jarring on softer ground: try a grass path, a dirt trail or a treadmill for your next "
    "easy runs."
)


def evaluate(ctx: RuleContext) -> Flag | None:
    activity = ctx.activity
    sport = activity.sport
    if not sport.is_run or sport in _NOT_ROAD or activity.indoor or ctx.surface_map is None:
        return None
    streams = activity.streams
    if streams is None or not streams.has_gps or streams.lat is None or streams.lon is None:
        return None
    ok = np.isfinite(streams.lat) & np.isfinite(streams.lon)
    breakdown = ctx.surface_map.classify(streams.lat[ok], streams.lon[ok])
    if breakdown is None or breakdown.total_m - breakdown.unknown_m <= 0:
        return None
    if breakdown.known_m / breakdown.total_m * 100.0 < ctx.thresholds.hard_surface_min_known_pct:
        return None  # most of the route unmeasured: the surface is unknown, not hard
    return flag_from_map(breakdown, _distance_m(activity), ctx.thresholds.hard_surface_share_pct)


def flag_from_map(breakdown: SurfaceBreakdown, distance: float | None, share_pct: float) -> Flag | None:
    """Judge the paved share of what the map knows; report the unknown rest instead of guessing it."""
    known = breakdown.known_m
    known_share = breakdown.paved_m / known * 100.0
    if known_share < share_pct:
        return None
    coverage = known / breakdown.total_m
    level = 2 if coverage >= 0.8 else 1 if coverage >= 0.5 else 0
    if breakdown.inferred_m > known / 2:
        level = max(0, level - 1)  # mostly "roads are usually paved", not what the map says
    confidence = (Confidence.LOW, Confidence.MEDIUM, Confidence.HIGH)[level]
    scale = _scale(breakdown.total_m, distance)
    evidence = HardSurfaceEvidence(
        surface="paved",
        source="map",
        map=breakdown.source,
        distance_m=distance,
        paved_m=round(breakdown.paved_m * scale, 1),
        unpaved_m=round(breakdown.unpaved_m * scale, 1),
        track_m=round(breakdown.track_m * scale, 1),
        unknown_m=round(breakdown.unknown_m * scale, 1),
        total_m=round(breakdown.total_m * scale, 1),
        share_pct=round(breakdown.paved_m / breakdown.total_m * 100.0, 1),
        known_share_pct=round(known_share, 1),
        inferred_m=round(breakdown.inferred_m * scale, 1),
        mapped_m=round(breakdown.total_m, 1),
    )
    return Flag(
        code=FlagCode.HARD_SURFACE,
        severity=Severity.CAUTION,
        confidence=confidence,
        evidence=evidence.to_evidence(),
        advice=ADVICE,
    )


def _scale(mapped_m: float, distance: float | None) -> float:
    """Map metres to the activity's distance when the two roughly agree; otherwise keep the map's own metres."""
    if distance is None or distance <= 0 or mapped_m <= 0:
        return 1.0
    factor = distance / mapped_m
    return factor if 0.8 <= factor <= 1.25 else 1.0


def _distance_m(activity: Activity) -> float | None:
    if activity.distance_m is not None:
        return round(activity.distance_m, 1)
    if activity.streams is not None and (distance := distance_of(activity.streams)) is not None:
        return round(float(distance[-1]), 1)
    return None
