"""Surface breakdown of a route, as a surface map reports it (see the SurfaceMap port)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SurfaceBreakdown:
    """Metres of the route per surface class. The unknown share is reported, never hidden."""

    paved_m: float
    unpaved_m: float
    track_m: float
    unknown_m: float
    source: str

    @property
    def total_m(self) -> float:
        return self.paved_m + self.unpaved_m + self.track_m + self.unknown_m
