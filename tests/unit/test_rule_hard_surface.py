"""hard_surface: only a surface map that measured the route flags; without one the surface is unknown (silent)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pytest

from syncd.domain.flags import Confidence, Severity
from syncd.domain.model import FloatArray, Sport, Streams
from syncd.domain.rules import hard_surface
from syncd.domain.rules.context import RuleContext
from syncd.domain.surface import SurfaceBreakdown
from syncd.domain.thresholds import Thresholds
from tests.unit.test_streams_math import run_activity, synthetic_streams


@dataclass
class FakeSurfaceMap:
    """In-memory SurfaceMap: answers a fixed breakdown and remembers what it was asked."""

    answer: SurfaceBreakdown | None
    calls: list[tuple[FloatArray, FloatArray]] = field(default_factory=list)

    def classify(self, lat: FloatArray, lon: FloatArray) -> SurfaceBreakdown | None:
        self.calls.append((lat, lon))
        return self.answer


def gps_run() -> Streams:
    return synthetic_streams([(1800, 3.0)])


def test_gps_run_without_a_map_is_unknown_and_silent() -> None:
    assert hard_surface.evaluate(RuleContext(run_activity(gps_run()))) is None


@pytest.mark.parametrize("sport", [Sport.TREADMILL_RUN, Sport.VIRTUAL_RUN, Sport.TRAIL_RUN, Sport.TRACK_RUN])
def test_soft_or_indoor_run_types_are_not_hard(sport: Sport) -> None:
    surface = FakeSurfaceMap(SurfaceBreakdown(5000.0, 0.0, 0.0, 0.0, "osm"))
    ctx = RuleContext(run_activity(gps_run(), sport=sport), surface_map=surface)
    assert hard_surface.evaluate(ctx) is None


def test_indoor_marker_is_not_hard_even_as_a_plain_run() -> None:
    assert hard_surface.evaluate(RuleContext(run_activity(gps_run(), indoor=True))) is None


@pytest.mark.parametrize("sport", [Sport.WALK, Sport.RIDE, Sport.HIKE])
def test_only_runs_are_judged(sport: Sport) -> None:
    assert hard_surface.evaluate(RuleContext(run_activity(gps_run(), sport=sport))) is None


def test_run_without_gps_and_without_indoor_marker_is_unknown() -> None:
    streams = synthetic_streams([(1800, 3.0)], gps=False)
    assert hard_surface.evaluate(RuleContext(run_activity(streams))) is None
    assert hard_surface.evaluate(RuleContext(run_activity(None))) is None


def test_mapped_paved_route_is_a_caution_with_shares() -> None:
    surface = FakeSurfaceMap(
        SurfaceBreakdown(paved_m=4000.0, unpaved_m=500.0, track_m=0.0, unknown_m=500.0, source="osm")
    )
    flag = hard_surface.evaluate(RuleContext(run_activity(gps_run()), surface_map=surface))
    assert flag is not None
    assert flag.severity is Severity.CAUTION
    assert flag.confidence is Confidence.HIGH  # 90 % of the route classified
    assert flag.evidence["source"] == "map"
    assert flag.evidence["map"] == "osm"
    assert flag.evidence["surface"] == "paved"
    assert flag.evidence["share_pct"] == pytest.approx(80.0)  # of the whole route, unknown included
    assert flag.evidence["known_share_pct"] == pytest.approx(88.9)  # of what the map classified
    # the map measured 5,000 m, the activity 5,397 m: metres are scaled to the activity, shares kept
    assert flag.evidence["mapped_m"] == 5000.0
    assert flag.evidence["total_m"] == flag.evidence["distance_m"] == pytest.approx(5397.0, abs=1.0)
    assert flag.evidence["paved_m"] == pytest.approx(4000.0 * 5397.0 / 5000.0, abs=1.0)
    assert flag.evidence["unpaved_m"] == pytest.approx(500.0 * 5397.0 / 5000.0, abs=1.0)
    assert flag.evidence["unknown_m"] == pytest.approx(500.0 * 5397.0 / 5000.0, abs=1.0)
    assert flag.evidence["track_m"] == 0.0


def test_map_metres_are_kept_when_they_disagree_with_the_activity_distance() -> None:
    surface = FakeSurfaceMap(SurfaceBreakdown(2000.0, 0.0, 0.0, 0.0, "osm"))  # 2 km mapped of a 5.4 km run
    flag = hard_surface.evaluate(RuleContext(run_activity(gps_run()), surface_map=surface))
    assert flag is not None
    assert flag.evidence["paved_m"] == flag.evidence["total_m"] == 2000.0


def test_mostly_inferred_classes_lower_the_confidence() -> None:
    tagged = FakeSurfaceMap(SurfaceBreakdown(5000.0, 0.0, 0.0, 0.0, "osm", inferred_m=1000.0))
    guessed = FakeSurfaceMap(SurfaceBreakdown(5000.0, 0.0, 0.0, 0.0, "osm", inferred_m=4000.0))
    flag_tagged = hard_surface.evaluate(RuleContext(run_activity(gps_run()), surface_map=tagged))
    flag_guessed = hard_surface.evaluate(RuleContext(run_activity(gps_run()), surface_map=guessed))
    assert flag_tagged is not None and flag_tagged.confidence is Confidence.HIGH
    assert flag_guessed is not None and flag_guessed.confidence is Confidence.MEDIUM
    assert flag_guessed.evidence["inferred_m"] == pytest.approx(4000.0 * 5397.0 / 5000.0, abs=1.0)


def test_confidence_follows_how_much_the_map_knew() -> None:
    half = FakeSurfaceMap(SurfaceBreakdown(3000.0, 0.0, 0.0, 2000.0, "osm"))
    little = FakeSurfaceMap(SurfaceBreakdown(1000.0, 0.0, 0.0, 4000.0, "osm"))
    flag_half = hard_surface.evaluate(RuleContext(run_activity(gps_run()), surface_map=half))
    # a fifth of the route known is no finding by default (hard_surface_min_known_pct 50); an operator who lowers
    # the bar gets it at low confidence
    assert hard_surface.evaluate(RuleContext(run_activity(gps_run()), surface_map=little)) is None
    lowered = Thresholds(hard_surface_min_known_pct=0.0)
    flag_little = hard_surface.evaluate(RuleContext(run_activity(gps_run()), surface_map=little, thresholds=lowered))
    assert flag_half is not None and flag_half.confidence is Confidence.MEDIUM
    assert flag_little is not None and flag_little.confidence is Confidence.LOW
    assert flag_little.evidence["known_share_pct"] == 100.0  # all it knew was paved ...
    assert flag_little.evidence["share_pct"] == 20.0  # ... but that was a fifth of the route


def test_mapped_soft_route_is_not_flagged() -> None:
    surface = FakeSurfaceMap(
        SurfaceBreakdown(paved_m=1000.0, unpaved_m=3000.0, track_m=500.0, unknown_m=0.0, source="osm")
    )
    assert hard_surface.evaluate(RuleContext(run_activity(gps_run()), surface_map=surface)) is None


def test_share_threshold_is_configurable() -> None:
    surface = FakeSurfaceMap(SurfaceBreakdown(3000.0, 2000.0, 0.0, 0.0, "osm"))
    ctx = RuleContext(run_activity(gps_run()), surface_map=surface)
    assert hard_surface.evaluate(ctx) is not None  # 60 % paved
    strict = RuleContext(
        run_activity(gps_run()), surface_map=surface, thresholds=Thresholds(hard_surface_share_pct=70.0)
    )
    assert hard_surface.evaluate(strict) is None


@pytest.mark.parametrize("answer", [None, SurfaceBreakdown(0.0, 0.0, 0.0, 5000.0, "osm")])
def test_a_map_that_knows_nothing_of_the_route_is_silent(answer: SurfaceBreakdown | None) -> None:
    assert hard_surface.evaluate(RuleContext(run_activity(gps_run()), surface_map=FakeSurfaceMap(answer))) is None


def test_map_is_asked_with_valid_fixes_only() -> None:
    streams = gps_run()
    assert streams.lat is not None and streams.lon is not None
    streams.lat[100:200] = np.nan
    surface = FakeSurfaceMap(SurfaceBreakdown(5000.0, 0.0, 0.0, 0.0, "osm"))
    hard_surface.evaluate(RuleContext(run_activity(streams), surface_map=surface))
    (lat, lon), *_ = surface.calls
    assert len(lat) == len(lon) == len(streams) - 100
    assert np.isfinite(lat).all() and np.isfinite(lon).all()


def test_a_few_mapped_metres_of_an_unmapped_route_are_no_finding() -> None:
    """62 paved metres of a 5.2 km run whose path the map does not know (the demo's bundled street): unknown, silent;
    the same route classified over half its length is judged."""
    barely = FakeSurfaceMap(SurfaceBreakdown(paved_m=62.0, unpaved_m=0.0, track_m=0.0, unknown_m=5100.0, source="osm"))
    assert hard_surface.evaluate(RuleContext(run_activity(gps_run()), surface_map=barely)) is None
    half = FakeSurfaceMap(SurfaceBreakdown(paved_m=2600.0, unpaved_m=0.0, track_m=0.0, unknown_m=2500.0, source="osm"))
    flag = hard_surface.evaluate(RuleContext(run_activity(gps_run()), surface_map=half))
    assert flag is not None
    assert flag.confidence is Confidence.MEDIUM
    stricter = Thresholds(hard_surface_min_known_pct=60.0)
    assert hard_surface.evaluate(RuleContext(run_activity(gps_run()), surface_map=half, thresholds=stricter)) is None
