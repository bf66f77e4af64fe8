"""The hard-surface note line when a surface map classified the route (issue #9)."""

from __future__ import annotations

from syncd.domain.flags import Confidence, EvidenceValue, Flag, FlagCode, Severity
from syncd.domain.notes import render_flag


def flag(evidence: dict[str, EvidenceValue]) -> Flag:
    return Flag(FlagCode.HARD_SURFACE, Severity.CAUTION, Confidence.HIGH, evidence, "")


def test_hard_surface_from_a_map_shows_every_class_and_the_unknown_share() -> None:
    evidence: dict[str, EvidenceValue] = {
        "surface": "paved",
        "source": "map",
        "paved_m": 6100.0,
        "unpaved_m": 1200.0,
        "track_m": 0.0,
        "unknown_m": 700.0,
        "total_m": 8000.0,
        "share_pct": 76.2,
    }
    line = render_flag(flag(evidence))
    assert "6.1 of 8 km on asphalt/concrete (76%), 1.2 km on dirt/grass, 700 m unknown" in line
    imperial = render_flag(flag(evidence), units="imperial")
    assert "3.79 of 4.97 mi on asphalt/concrete (76%)" in imperial and "unknown" in imperial


def test_hard_surface_from_a_map_never_drops_a_small_unknown_share() -> None:
    evidence: dict[str, EvidenceValue] = {
        "source": "map",
        "paved_m": 4000.0,
        "unpaved_m": 20.0,
        "track_m": 300.0,
        "unknown_m": 30.0,
        "total_m": 4350.0,
    }
    line = render_flag(flag(evidence))
    assert "4 of 4.3 km on asphalt/concrete (92%)" in line
    assert "300 m on a running track" in line and "30 m unknown" in line
    assert "on dirt/grass" not in line  # 20 m is rounding noise
