"""SurfaceMap over a local OpenStreetMap extract, indexed once into a cache directory and memory-mapped after.

The cache key is the extract's absolute path, size and modification time plus the index format and the surface
tables, so replacing the extract (or upgrading syncd's tables) rebuilds the index once, by itself.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from syncd.adapters.osm.errors import SurfaceMapError
from syncd.adapters.osm.extract import check_extract_path, read_extract
from syncd.adapters.osm.index import INDEX_FORMAT, SegmentIndex
from syncd.adapters.osm.matching import MatchParams, match_surface
from syncd.domain import surface as surface_tables
from syncd.domain.model import FloatArray
from syncd.domain.surface import SurfaceBreakdown
from syncd.logging import get_logger

log = get_logger("syncd.osm")


def _tables_fingerprint() -> str:
    parts = [
        sorted(surface_tables.PAVED_SURFACES),
        sorted(surface_tables.UNPAVED_SURFACES),
        sorted(surface_tables.TRACK_SURFACES),
        sorted(surface_tables.RUNNABLE_HIGHWAYS),
    ]
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:8]


class ExtractSurfaceMap:
    """Implements the SurfaceMap port from a local .osm/.osm.pbf extract."""

    def __init__(self, extract: Path, cache_dir: Path, *, params: MatchParams | None = None) -> None:
        check_extract_path(extract)
        self.extract = extract.resolve()
        self.cache_dir = cache_dir
        self.params = params or MatchParams()
        self.source = f"osm:{self.extract.name}"
        self._index: SegmentIndex | None = None

    def index_dir(self) -> Path:
        stat = self.extract.stat()
        path_key = hashlib.sha256(str(self.extract).encode()).hexdigest()[:8]
        content = f"{stat.st_size}:{stat.st_mtime_ns}:{INDEX_FORMAT}:{_tables_fingerprint()}"
        content_key = hashlib.sha256(content.encode()).hexdigest()[:8]
        return self.cache_dir / f"{self._stem()}-{path_key}-{content_key}"

    def _stem(self) -> str:
        name = self.extract.name
        for suffix in (".osm.pbf", ".osm.bz2", ".osm.gz", ".osm", ".pbf", ".o5m"):
            if name.lower().endswith(suffix):
                return name[: -len(suffix)] or "extract"
        return name

    def load(self) -> SegmentIndex:
        """The index: memory-mapped from the cache, or built from the extract (once) and saved."""
        if self._index is not None:
            return self._index
        directory = self.index_dir()
        try:
            self._index = SegmentIndex.load(directory)
            return self._index
        except (OSError, ValueError):
            pass
        log.info("building surface index", extract=str(self.extract), cache=str(directory))
        segments, bounds = read_extract(self.extract)
        index = SegmentIndex.build(segments, bounds)
        try:
            self.cache_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            index.save(directory)
            self._remove_stale(directory)
        except OSError as exc:
            # still usable from memory this time; say how to make the next start fast
            log.warning(
                "cannot save surface index; it will be rebuilt next start",
                cache=str(self.cache_dir),
                error=exc.strerror or str(exc),
            )
            self._index = index
            return index
        self._index = SegmentIndex.load(directory)
        return self._index

    def _remove_stale(self, current: Path) -> None:
        prefix = current.name.rsplit("-", 1)[0] + "-"
        for old in self.cache_dir.glob(f"{prefix}*"):
            if old != current and old.is_dir() and not old.name.startswith("."):
                shutil.rmtree(old, ignore_errors=True)

    def classify(self, lat: FloatArray, lon: FloatArray) -> SurfaceBreakdown | None:
        """None when the track lies wholly outside the extract, or the extract cannot be read (logged)."""
        try:
            index = self.load()
        except SurfaceMapError as exc:
            log.warning("surface map unavailable", error=str(exc))
            return None
        if not index.covers(lat, lon):
            return None
        return match_surface(index.near(lat, lon), lat, lon, source=self.source, params=self.params)
