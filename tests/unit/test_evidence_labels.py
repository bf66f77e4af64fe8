"""Evidence keys read as labels with values in the athlete's units; unknown keys and bad values never break a page."""

from __future__ import annotations

import math

import pytest

from syncd.domain.evidence import EVIDENCE_KEYS, describe, evidence_items
from syncd.domain.rules.evidence_base import with_article


def _shown(evidence: dict[str, object], units: str = "metric") -> dict[str, tuple[str, str]]:
    return {i.key: (i.label, i.text) for i in evidence_items(evidence, units)}  # type: ignore[arg-type]


def test_worn_shoes_evidence_in_miles_with_labels() -> None:
    evidence = {"gear_name": "Trail Shoes", "gear_distance_m": 812000.0, "limit_m": 600000.0, "share_pct": 135.3}
    assert _shown(evidence, "imperial") == {
        "gear_name": ("Shoe", "Trail Shoes"),
        "gear_distance_m": ("Shoe distance", "505 mi"),
        "limit_m": ("Shoe limit", "373 mi"),
        "share_pct": ("Share", "135%"),
    }
    assert _shown(evidence)["gear_distance_m"] == ("Shoe distance", "812 km")


def test_downhill_evidence_in_feet_and_paces_per_mile() -> None:
    evidence = {
        "descent_per_km_m": 40.0,
        "total_descent_m": 233.5,
        "steep_distance_m": 1820.0,
        "steep_time_s": 1000.2,
        "steepest_grade_pct": -21.5,
        "steep_pace_s_per_km": 550.0,
    }
    shown = _shown(evidence, "imperial")
    assert shown["total_descent_m"] == ("Total descent", "766 ft")
    assert shown["descent_per_km_m"] == ("Descent rate", "211 ft/mi")
    assert shown["steep_distance_m"] == ("On steep descents", "1.13 mi")
    assert shown["steep_time_s"] == ("Time on steep descents", "17 min")
    assert shown["steepest_grade_pct"] == ("Steepest grade", "22%")
    assert shown["steep_pace_s_per_km"] == ("Pace on steep descents", "14:45 /mi")
    assert _shown(evidence)["steep_pace_s_per_km"] == ("Pace on steep descents", "9:10 /km")


def test_load_values_carry_their_unit_and_words_replace_codes() -> None:
    shown = _shown({"method": "ewma", "acute_load": 312.4, "chronic_load": 180.0, "acwr": 1.73, "load_unit": "min"})
    assert shown == {
        "method": ("Method", "EWMA"),
        "acute_load": ("Last 7 days", "312 min"),
        "chronic_load": ("Weekly average before", "180 min"),
        "acwr": ("Acute:chronic ratio", "1.73"),
    }
    assert _shown({"surface": "likely_paved", "sports_seen": "ride,walk"}) == {
        "surface": ("Surface", "probably paved (no surface map)"),
        "sports_seen": ("Sessions seen", "ride, walk"),
    }


def test_unknown_keys_are_inferred_and_bad_values_left_out() -> None:
    assert describe("cooldown_m") == ("Cooldown", "distance")
    assert describe("recovery_pace_s_per_km") == ("Recovery pace", "pace")
    shown = _shown(
        {"cooldown_m": 1500.0, "gap_s": 95.0, "odd_pct": 12.0, "nan_m": math.nan, "none_m": None, "neg_m": -5.0},
        "imperial",
    )
    assert shown == {
        "cooldown_m": ("Cooldown", "0.93 mi"),
        "gap_s": ("Gap", "2 min"),
        "odd_pct": ("Odd", "12%"),
    }


def test_every_known_key_has_a_label_unlike_its_key() -> None:
    for key, (label, _kind) in EVIDENCE_KEYS.items():
        assert label and "_" not in label and label != key


def test_long_run_and_speed_work_evidence_read_without_codes_or_bare_numbers() -> None:
    # the demo's activity page showed "Compared with the previous | 30", "Band (Frandsen et al. 2025) | 30-100",
    # "Found from | tempo" and "Easy source | history"
    shown = _shown({"window_days": 30, "band": "30-100", "trigger": "tempo", "easy_source": "history"})
    assert shown == {
        "window_days": ("Days looked back", "30"),
        "band": ("Band, % longer (Frandsen et al. 2025)", "30-100"),
        "trigger": ("Found from", "a sustained tempo effort"),
        "easy_source": ("Easy pace from", "your recent runs"),
    }
    assert _shown({"easy_source": "this_run"})["easy_source"] == ("Easy pace from", "this run's easy parts")


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("18 min effort", "an 18 min effort"),
        ("8 min effort", "an 8 min effort"),
        ("11 min effort", "an 11 min effort"),
        ("800 m effort", "an 800 m effort"),
        ("1:05 h effort", "a 1:05 h effort"),
        ("12 min effort", "a 12 min effort"),
        ("1.8 km effort", "a 1.8 km effort"),
        ("110 m effort", "a 110 m effort"),
    ],
)
def test_a_figure_takes_the_article_it_is_read_with(phrase: str, expected: str) -> None:
    assert with_article(phrase) == expected
