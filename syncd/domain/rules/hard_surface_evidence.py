"""The hard_surface rule's evidence (rules/hard_surface.py writes it) and its note line.

Kept apart from the rule because the rule measures with numpy and this is read by numpy-free surfaces (the
digest, the flare-up analysis inputs, the notes). `hard_m` is a legacy key (older versions of the rule, before
the surface map): still read and rendered, never written now.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from syncd.domain.flags import EvidenceValue, Flag, FlagCode
from syncd.domain.rules.evidence_base import Labels, clean, join, nonneg, number, text
from syncd.domain.units import Units, format_distance

CODE = FlagCode.HARD_SURFACE


# The evidence table on the activity page: key -> (label, kind of quantity).
LABELS: Labels = {
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
}


@dataclass(frozen=True, slots=True)
class MeasuredSurface:
    """The metres a map-based flag measured, as the digest and the flare-up analysis count them."""

    paved_m: float
    unknown_m: float


@dataclass(frozen=True, slots=True)
class HardSurfaceEvidence:
    """How much of the run was on asphalt/concrete, in metres scaled to the activity's distance (see the rule)."""

    LEGACY_KEYS: ClassVar[frozenset[str]] = frozenset({"hard_m"})  # read from older stored flags, never written

    surface: str | None = None  # "paved" (map); legacy: "likely_paved", "track"
    source: str | None = None  # "map"
    map: str | None = None  # which surface map
    distance_m: float | None = None
    paved_m: float | None = None
    unpaved_m: float | None = None
    track_m: float | None = None
    unknown_m: float | None = None
    total_m: float | None = None
    share_pct: float | None = None  # paved share of the whole route, unknown included
    known_share_pct: float | None = None  # paved share of the classified distance (what the threshold judges)
    inferred_m: float | None = None  # classified from the road type, not a surface tag
    mapped_m: float | None = None  # the route length the map measured, before scaling
    hard_m: float | None = None  # legacy: never written now

    def to_evidence(self) -> dict[str, EvidenceValue]:
        evidence: dict[str, EvidenceValue] = {
            "surface": self.surface,
            "source": self.source,
            "map": self.map,
            "distance_m": self.distance_m,
            "paved_m": self.paved_m,
            "unpaved_m": self.unpaved_m,
            "track_m": self.track_m,
            "unknown_m": self.unknown_m,
            "total_m": self.total_m,
            "share_pct": self.share_pct,
            "known_share_pct": self.known_share_pct,
            "inferred_m": self.inferred_m,
            "mapped_m": self.mapped_m,
        }
        if self.hard_m is not None:
            evidence["hard_m"] = self.hard_m
        return evidence

    @classmethod
    def from_flag(cls, flag: Flag | None) -> HardSurfaceEvidence | None:
        """The evidence of a hard_surface flag (None for no flag or another code); missing keys read as None."""
        if flag is None or flag.code is not CODE:
            return None
        ev = flag.evidence
        return cls(
            surface=text(ev, "surface"),
            source=text(ev, "source"),
            map=text(ev, "map"),
            distance_m=number(ev, "distance_m"),
            paved_m=number(ev, "paved_m"),
            unpaved_m=number(ev, "unpaved_m"),
            track_m=number(ev, "track_m"),
            unknown_m=number(ev, "unknown_m"),
            total_m=number(ev, "total_m"),
            share_pct=number(ev, "share_pct"),
            known_share_pct=number(ev, "known_share_pct"),
            inferred_m=number(ev, "inferred_m"),
            mapped_m=number(ev, "mapped_m"),
            hard_m=number(ev, "hard_m"),
        )

    def measured(self) -> MeasuredSurface | None:
        """The measured split, or None where no map measured it (a legacy guess measured nothing).

        The one reader of these metres for the digest and the flare-up analysis: the digest once read `hard_m`,
        a key the map-based rule never writes, and showed "Hard surfaces 0 m" under a hard-surface flag."""
        if self.source != "map" or self.paved_m is None or self.paved_m < 0:
            return None
        unknown = self.unknown_m if self.unknown_m is not None else 0.0
        if unknown < 0:
            return None
        return MeasuredSurface(paved_m=float(self.paved_m), unknown_m=float(unknown))

    def note(self, units: Units) -> str:
        if clean(self.source) == "map" and (mapped := self._from_map(units)):
            return mapped
        surface = clean(self.surface)
        hard_m, share, total = nonneg(self.hard_m), nonneg(self.share_pct), nonneg(self.distance_m)
        if surface == "track":
            return f"{format_distance(total, units)} on a running track" if total is not None else "on a running track"
        if surface == "likely_paved" and hard_m is None and share is None:
            where = "probably on roads (no surface map)"
            return f"{format_distance(total, units)} {where}" if total is not None else where
        if hard_m is not None and share is not None:
            return f"{format_distance(hard_m, units)} ({round(share)}%) on road or pavement"
        if hard_m is not None:
            return f"{format_distance(hard_m, units)} on road or pavement"
        if share is not None:
            return f"{round(share)}% on road or pavement"
        return ""

    def _from_map(self, units: Units) -> str:
        """ "6.1 of 8.0 km on asphalt/concrete (76%), 1.2 km on dirt/grass, 0.7 km unknown": the unknown part is
        never left out, because a share without it overstates what the map knows."""
        paved, total = nonneg(self.paved_m), nonneg(self.total_m)
        if paved is None or total is None or total <= 0:
            return ""
        share = nonneg(self.share_pct)
        share = share if share is not None else paved / total * 100.0
        paved_text, total_text = format_distance(paved, units), format_distance(total, units)
        unit = total_text.rsplit(" ", 1)[-1]
        if paved_text.endswith(f" {unit}"):  # "6.1 of 8 km", not "6.1 km of 8 km"
            paved_text = paved_text[: -len(unit) - 1]
        parts = [f"{paved_text} of {total_text} on asphalt/concrete ({round(share)}%)"]
        others = ((self.unpaved_m, "on dirt/grass", 50), (self.track_m, "on a running track", 50))
        for value, where, least in (*others, (self.unknown_m, "unknown", 10)):
            metres = nonneg(value)
            if metres is not None and metres >= least:
                parts.append(f"{format_distance(metres, units)} {where}")
        return join(parts)
