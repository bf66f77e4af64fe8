"""Evidence keys as people read them: a label and a kind of quantity per key, formatted in the athlete's units.

Rules store evidence in SI units under machine keys (`gear_distance_m: 812000.0`); a page shows "Shoe distance:
505 mi". This table is the one place that knows which key is a distance, an elevation, a pace and so on, so every
surface (activity page, JSON display fields) says the same thing. A key missing from the table still reads well:
its kind is inferred from the suffix (`_m`, `_s`, `_pct`, `_s_per_km`) and its label from the words of the key.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from syncd.domain.flags import EvidenceValue
from syncd.domain.units import (
    Units,
    format_climb_rate,
    format_distance,
    format_duration,
    format_elevation,
    format_pace,
)

Kind = Literal[
    "distance", "elevation", "climb_rate", "pace", "duration", "percent", "grade", "ratio", "count", "load", "text"
]

# key -> (label, kind). Labels are short: they sit in a two-column table on a phone.
EVIDENCE_KEYS: Mapping[str, tuple[str, Kind]] = {
    # hard surface
    "surface": ("Surface", "text"),
    "source": ("Judged from", "text"),
    "map": ("Surface map", "text"),
    "distance_m": ("Distance", "distance"),
    "hard_m": ("On hard surface", "distance"),
    "paved_m": ("On asphalt/concrete", "distance"),
    "unpaved_m": ("On dirt/grass", "distance"),
    "track_m": ("On a running track", "distance"),
    "unknown_m": ("Surface unknown", "distance"),
    "total_m": ("Matched to the map", "distance"),
    "mapped_m": ("Mapped track length", "distance"),
    "inferred_m": ("Surface inferred", "distance"),
    "share_pct": ("Share", "percent"),
    "known_share_pct": ("Surface known for", "percent"),
    # downhill
    "descent_per_km_m": ("Descent rate", "climb_rate"),
    "total_descent_m": ("Total descent", "elevation"),
    "steep_distance_m": ("On steep descents", "distance"),
    "steep_time_s": ("Time on steep descents", "duration"),
    "steepest_grade_pct": ("Steepest grade", "grade"),
    "steep_pace_s_per_km": ("Pace on steep descents", "pace"),
    # speed work
    "trigger": ("Found from", "text"),
    "reps": ("Fast efforts", "count"),
    "rep_distance_m": ("Effort length", "distance"),
    "rep_duration_s": ("Effort duration", "duration"),
    "rep_pace_s_per_km": ("Effort pace", "pace"),
    "easy_pace_s_per_km": ("Easy pace", "pace"),
    "easy_source": ("Easy pace from", "text"),
    "top_zone_share_pct": ("Time in top heart-rate zones", "percent"),
    # no warm-up
    "first_pace_s_per_km": ("Opening pace", "pace"),
    "main_pace_s_per_km": ("Pace of the hard part", "pace"),
    "window_s": ("Opening window", "duration"),
    "window_m": ("Opening distance", "distance"),
    "opening_hr_bpm": ("Heart rate in the opening", "count"),
    "main_hr_bpm": ("Heart rate of the hard part", "count"),
    "hard_from_bpm": ("Hard zone from", "count"),
    # worn shoes
    "gear_name": ("Shoe", "text"),
    "gear_distance_m": ("Shoe distance", "distance"),
    "limit_m": ("Shoe limit", "distance"),
    "limit_source": ("Limit from", "text"),
    # load
    "method": ("Method", "text"),
    "acute_load": ("Last 7 days", "load"),
    "chronic_load": ("Weekly average before", "load"),
    "acwr": ("Acute:chronic ratio", "ratio"),
    "load_unit": ("Load measured in", "text"),
    "monotony": ("Monotony", "ratio"),
    "week_load": ("Week's load", "load"),
    "mean_daily_load": ("Mean daily load", "load"),
    "sd_daily_load": ("Daily load spread (SD)", "load"),
    # long-run spike
    "basis": ("Compared by", "text"),
    "run_m": ("This run", "distance"),
    "run_s": ("This run", "duration"),
    "longest_m": ("Longest run of the previous 30 days", "distance"),
    "longest_s": ("Longest run of the previous 30 days", "duration"),
    "longer_pct": ("Longer by", "percent"),
    "band": ("Band, % longer (Frandsen et al. 2025)", "text"),
    "window_days": ("Days looked back", "count"),
    "next_m": ("Suggested next long run", "distance"),
    "next_s": ("Suggested next long run", "duration"),
    # weekly balance
    "sessions": ("Sessions this week", "count"),
    "target": ("Weekly target", "count"),
    "week": ("Week", "text"),
    "sports_seen": ("Sessions seen", "text"),
}

# Machine words in text values, in words; an unknown word is shown with underscores as spaces.
_TEXT_VALUES: Mapping[str, str] = {
    "likely_paved": "probably paved (no surface map)",
    "paved": "paved",
    "track": "running track",
    "sport_type": "the activity's sport type",
    "map": "the surface map",
    "hr_zones": "heart-rate zones",
    "laps": "interval laps",
    "intervals": "repeated fast efforts",
    "tempo": "a sustained tempo effort",
    "history": "your recent runs",
    "this_run": "this run's easy parts",
    "ewma": "EWMA",
    "rolling": "rolling averages",
    "min": "minutes",
    "trimp": "TRIMP",
    "gear": "the shoe's own limit",
    "default": "the [rules] default",
}


_LOAD_UNITS: Mapping[str, str] = {"min": "min", "trimp": "TRIMP"}


@dataclass(frozen=True, slots=True)
class EvidenceItem:
    key: str
    label: str
    text: str


def _kind_from_key(key: str) -> Kind:
    if key.endswith(("_s_per_km", "_pace")):
        return "pace"
    if key.endswith("_pct"):
        return "percent"
    if key.endswith("_m"):
        return "distance"
    if key.endswith("_s"):
        return "duration"
    return "count"


def _label_from_key(key: str) -> str:
    words = key
    for suffix in ("_s_per_km", "_pct", "_m", "_s"):
        if words.endswith(suffix):
            words = words[: -len(suffix)]
            break
    return words.replace("_", " ").strip().capitalize() or key


def describe(key: str) -> tuple[str, Kind]:
    """The label and the kind of quantity of an evidence key (inferred for keys the table does not know)."""
    return EVIDENCE_KEYS.get(key) or (_label_from_key(key), _kind_from_key(key))


def _number_text(value: float) -> str:
    return str(round(value)) if value == round(value) else f"{value:.2f}".rstrip("0").rstrip(".")


# Kinds shown the same in every unit system.
_UNITLESS: dict[str, Callable[[float], str]] = {
    "ratio": lambda n: f"{n:.2f}",
    "percent": lambda n: f"{n:.0f}%",
    "grade": lambda n: f"{abs(n):.0f}%",
    "load": lambda n: f"{n:.0f}",
}


def _text_value(value: str) -> str | None:
    cleaned = " ".join(value.split())
    if not cleaned:
        return None
    parts = [_TEXT_VALUES.get(part.strip(), part.strip().replace("_", " ")) for part in cleaned.split(",")]
    return ", ".join(part for part in parts if part)


def format_value(kind: Kind, value: EvidenceValue, units: Units) -> str | None:
    """One value in the athlete's units, or None when it cannot be shown (missing, NaN, wrong type)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return _text_value(value)
    number = float(value)
    if not math.isfinite(number):
        return None
    if kind in {"text", "count"}:
        return _number_text(number)
    if (plain := _UNITLESS.get(kind)) is not None:
        return plain(number)
    if kind == "elevation":
        return format_elevation(abs(number), units)
    if kind == "climb_rate":
        return format_climb_rate(abs(number), units)
    if number < 0:
        return None
    if kind == "distance":
        return format_distance(number, units)
    if kind == "duration":
        return format_duration(number)
    if kind == "pace":
        return format_pace(number, units) if number > 0 else None
    return _number_text(number)  # pragma: no cover - every Kind is handled above


def evidence_items(evidence: Mapping[str, EvidenceValue], units: Units) -> list[EvidenceItem]:
    """Every showable evidence value as (label, formatted text), in the rule's order; unshowable ones left out."""
    load_unit = evidence.get("load_unit")
    load_suffix = _LOAD_UNITS.get(load_unit.lower()) if isinstance(load_unit, str) else None
    items: list[EvidenceItem] = []
    for key, value in evidence.items():
        label, kind = describe(key)
        if key == "load_unit" and load_suffix is not None:
            continue  # shown with each load value instead
        try:
            text = format_value(kind, value, units)
        except (TypeError, ValueError):
            text = None
        if text is not None and kind == "load" and load_suffix is not None:
            text = f"{text} {load_suffix}"
        if text is not None:
            items.append(EvidenceItem(key, label, text))
    return items
