"""Protocols the services and rules depend on; adapters implement them, tests use in-memory fakes."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from syncd.domain.model import FloatArray
from syncd.domain.surface import SurfaceBreakdown


class SurfaceMap(Protocol):
    def classify(self, lat: FloatArray, lon: FloatArray) -> SurfaceBreakdown | None:
        """Metres per surface class along the track, or None when the map has no data for this area."""
        ...


class Clock(Protocol):
    def now(self) -> datetime:
        """Aware UTC now."""
        ...
