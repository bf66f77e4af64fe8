"""A SurfaceMap built on first use, so commands that never classify a run never index an extract or open a cache."""

from __future__ import annotations

from collections.abc import Callable

from syncd.adapters.osm.errors import SurfaceMapError
from syncd.domain.model import FloatArray
from syncd.domain.surface import SurfaceBreakdown
from syncd.logging import get_logger
from syncd.ports import SurfaceMap

log = get_logger("syncd.osm")


class LazySurfaceMap:
    """Builds the real map when first asked; if that fails, says so once and answers None (rule falls back)."""

    def __init__(self, factory: Callable[[], SurfaceMap], description: str) -> None:
        self._factory = factory
        self._map: SurfaceMap | None = None
        self._failed = False
        self.description = description

    def classify(self, lat: FloatArray, lon: FloatArray) -> SurfaceBreakdown | None:
        if self._failed:
            return None
        if self._map is None:
            try:
                self._map = self._factory()
            except SurfaceMapError as exc:
                self._failed = True
                log.warning("surface map unavailable; hard-surface flags fall back to the sport type", error=str(exc))
                return None
        return self._map.classify(lat, lon)
