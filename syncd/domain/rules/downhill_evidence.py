"""The downhill rule's evidence (rules/downhill.py writes it) and its note line; numpy-free, unlike the rule."""

from __future__ import annotations

from dataclasses import dataclass

from syncd.domain.flags import EvidenceValue, Flag, FlagCode
from syncd.domain.rules.evidence_base import Labels, join, nonneg, number, signed
from syncd.domain.units import Units, format_climb_rate, format_distance, format_elevation

CODE = FlagCode.DOWNHILL


# The evidence table on the activity page: key -> (label, kind of quantity).
LABELS: Labels = {
    "descent_per_km_m": ("Descent rate", "climb_rate"),
    "total_descent_m": ("Total descent", "elevation"),
    "steep_distance_m": ("On steep descents", "distance"),
    "steep_time_s": ("Time on steep descents", "duration"),
    "steepest_grade_pct": ("Steepest grade", "grade"),
    "steep_pace_s_per_km": ("Pace on steep descents", "pace"),
}


@dataclass(frozen=True, slots=True)
class DownhillEvidence:
    """Descent after cleaning the altitude (SI); descents and grades may be stored signed, the note shows abs()."""

    descent_per_km_m: float | None = None  # total descent per kilometre of the run
    total_descent_m: float | None = None  # 3 m hysteresis, after cleaning
    steep_distance_m: float | None = None  # on sustained steep stretches (0 when less than one stretch)
    steep_time_s: float | None = None
    steepest_grade_pct: float | None = None  # negative: downhill
    steep_pace_s_per_km: float | None = None  # None without steep stretches

    def to_evidence(self) -> dict[str, EvidenceValue]:
        return {
            "descent_per_km_m": self.descent_per_km_m,
            "total_descent_m": self.total_descent_m,
            "steep_distance_m": self.steep_distance_m,
            "steep_time_s": self.steep_time_s,
            "steepest_grade_pct": self.steepest_grade_pct,
            "steep_pace_s_per_km": self.steep_pace_s_per_km,
        }

    @classmethod
    def from_flag(cls, flag: Flag | None) -> DownhillEvidence | None:
        """The evidence of a downhill flag (None for no flag or another code); missing keys read as None."""
        if flag is None or flag.code is not CODE:
            return None
        ev = flag.evidence
        return cls(
            descent_per_km_m=number(ev, "descent_per_km_m"),
            total_descent_m=number(ev, "total_descent_m"),
            steep_distance_m=number(ev, "steep_distance_m"),
            steep_time_s=number(ev, "steep_time_s"),
            steepest_grade_pct=number(ev, "steepest_grade_pct"),
            steep_pace_s_per_km=number(ev, "steep_pace_s_per_km"),
        )

    def note(self, units: Units) -> str:
        total, per_km = signed(self.total_descent_m), signed(self.descent_per_km_m)
        steep, grade = nonneg(self.steep_distance_m), signed(self.steepest_grade_pct)
        parts: list[str | None] = []
        if total is not None and per_km is not None:
            parts.append(f"{format_elevation(abs(total), units)} down ({format_climb_rate(abs(per_km), units)})")
        elif total is not None:
            parts.append(f"{format_elevation(abs(total), units)} down")
        elif per_km is not None:
            parts.append(f"{format_climb_rate(abs(per_km), units)} down")
        if steep is not None and steep > 0:
            parts.append(f"{format_distance(steep, units)} on steep descents")
        if grade is not None and grade != 0:
            parts.append(f"steepest {abs(grade):.0f}%")
        return join(parts)
