"""Evidence keys as people read them: a label and a kind of quantity per key, formatted in the athlete's units.

Rules store evidence in SI units under machine keys (`gear_distance_m: 812000.0`); a page shows "Shoe distance:
505 mi". Each rule's table (which key is a distance, an elevation, a pace and so on) lives beside its typed
evidence (`rules/<rule>_evidence.py` LABELS); this module formats them the same way for every surface (activity
page, JSON display fields). A key missing from the table still reads well:
its kind is inferred from the suffix (`_m`, `_s`, `_pct`, `_s_per_km`) and its label from the words of the key.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from syncd.domain.flags import EvidenceValue
from syncd.domain.rules.evidence_base import Kind, Labels
from syncd.domain.rules.registry import LABELS
from syncd.domain.units import (
    Units,
    format_climb_rate,
    format_distance,
    format_duration,
    format_elevation,
    format_pace,
)

# Every rule's keys (each rule owns its table, `rules/<rule>_evidence.py` LABELS), for a key read without its flag.
EVIDENCE_KEYS: Mapping[str, tuple[str, Kind]] = {key: spec for table in LABELS.values() for key, spec in table.items()}

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


def describe(key: str, labels: Labels | None = None) -> tuple[str, Kind]:
    """The label and the kind of quantity of an evidence key: from its rule's table (`labels`), else any rule's,
    else inferred from the key."""
    return (labels or {}).get(key) or EVIDENCE_KEYS.get(key) or (_label_from_key(key), _kind_from_key(key))


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


def evidence_items(
    evidence: Mapping[str, EvidenceValue], units: Units, labels: Labels | None = None
) -> list[EvidenceItem]:
    """Every showable evidence value as (label, formatted text), in the rule's order; unshowable ones left out.
    `labels` is the rule's own table (syncd.domain.rules.registry.LABELS)."""
    load_unit = evidence.get("load_unit")
    load_suffix = _LOAD_UNITS.get(load_unit.lower()) if isinstance(load_unit, str) else None
    items: list[EvidenceItem] = []
    for key, value in evidence.items():
        label, kind = describe(key, labels)
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
