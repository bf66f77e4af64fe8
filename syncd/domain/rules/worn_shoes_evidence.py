"""The worn_shoes rule's evidence (rules/worn_shoes.py writes it) and its note line; read by numpy-free surfaces."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from syncd.domain.flags import EvidenceValue, Flag, FlagCode
from syncd.domain.rules.evidence_base import Labels, clean, nonneg, number, positive, text
from syncd.domain.units import Units, format_distance

CODE = FlagCode.WORN_SHOES

# Whose limit the note names: the shoe's own, or syncd's default (the evidence for any limit is weak).
_LIMIT_WHOSE: Mapping[str, str] = {"gear": "your limit ", "default": "syncd's default limit "}


# The evidence table on the activity page: key -> (label, kind of quantity).
LABELS: Labels = {
    "gear_name": ("Shoe", "text"),
    "gear_distance_m": ("Shoe distance", "distance"),
    "limit_m": ("Shoe limit", "distance"),
    "limit_source": ("Limit from", "text"),
    "share_pct": ("Share", "percent"),
}


@dataclass(frozen=True, slots=True)
class WornShoesEvidence:
    """The shoe's distance as of this run against its replacement distance (SI)."""

    gear_name: str | None = None  # as the platform shows it
    gear_distance_m: float | None = None  # on the shoe at the end of this run
    limit_m: float | None = None  # the replacement distance used
    limit_source: str | None = None  # "gear" (the shoe's own maximum) or "default" (thresholds.shoe_limit_km)
    share_pct: float | None = None  # gear_distance_m / limit_m x 100

    def to_evidence(self) -> dict[str, EvidenceValue]:
        return {
            "gear_name": self.gear_name,
            "gear_distance_m": self.gear_distance_m,
            "limit_m": self.limit_m,
            "limit_source": self.limit_source,
            "share_pct": self.share_pct,
        }

    @classmethod
    def from_flag(cls, flag: Flag | None) -> WornShoesEvidence | None:
        """The evidence of a worn_shoes flag (None for no flag or another code); missing keys read as None."""
        if flag is None or flag.code is not CODE:
            return None
        ev = flag.evidence
        return cls(
            gear_name=text(ev, "gear_name"),
            gear_distance_m=number(ev, "gear_distance_m"),
            limit_m=number(ev, "limit_m"),
            limit_source=text(ev, "limit_source"),
            share_pct=number(ev, "share_pct"),
        )

    def note(self, units: Units) -> str:
        name = clean(self.gear_name)
        distance, limit = nonneg(self.gear_distance_m), positive(self.limit_m)
        subject = name or "these shoes"
        if distance is not None and limit is not None:
            whose = _LIMIT_WHOSE.get(clean(self.limit_source) or "", "limit ")
            return f"{subject} at {format_distance(distance, units)} ({whose}{format_distance(limit, units)})"
        if distance is not None:
            return f"{subject} at {format_distance(distance, units)}"
        if limit is not None:
            return f"{subject} near the {format_distance(limit, units)} limit"
        return name or ""
