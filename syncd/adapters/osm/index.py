"""On-disk spatial index of way segments: a coarse grid of cells (CSR layout) over plain .npy files.

Why not an R-tree on disk: a running track touches a few dozen grid cells, so a sorted array of cell keys and
`searchsorted` finds its segments in microseconds, and .npy files open memory-mapped — a 50 MB extract's index is
"loaded" in milliseconds and only the pages a run touches are read. The fine search (metres) is done per run by
the matcher on this small subset.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from syncd.adapters.osm.segments import COORD_SCALE, IntArray, SegmentSet
from syncd.domain.model import FloatArray

INDEX_FORMAT = 1
CELL_UNITS = 100_000  # 0.01 degree in 1e-7 degree units: ~1.1 km north-south
_LON_CELLS = 36_002
_ARRAYS = ("lat1", "lon1", "lat2", "lon2", "surface", "inferred", "way")

Bounds = tuple[float, float, float, float]  # min_lat, min_lon, max_lat, max_lon


def _cell(lat_units: IntArray, lon_units: IntArray) -> tuple[IntArray, IntArray]:
    return np.floor_divide(lat_units, CELL_UNITS) + 9_001, np.floor_divide(lon_units, CELL_UNITS) + 18_001


@dataclass(frozen=True)
class SegmentIndex:
    segments: SegmentSet
    cell_keys: IntArray  # sorted, unique
    cell_start: IntArray  # len(cell_keys) + 1 offsets into cell_items
    cell_items: npt.NDArray[np.int32]
    bounds: Bounds | None  # area the source covers; None for an empty extract

    @staticmethod
    def build(segments: SegmentSet, bounds: Bounds | None) -> SegmentIndex:
        """Put each segment in every grid cell its bounding box touches."""
        lat_lo = np.minimum(segments.lat1, segments.lat2).astype(np.int64)
        lat_hi = np.maximum(segments.lat1, segments.lat2).astype(np.int64)
        lon_lo = np.minimum(segments.lon1, segments.lon2).astype(np.int64)
        lon_hi = np.maximum(segments.lon1, segments.lon2).astype(np.int64)
        cy0, cx0 = _cell(lat_lo, lon_lo)
        cy1, cx1 = _cell(lat_hi, lon_hi)
        ny, nx = cy1 - cy0 + 1, cx1 - cx0 + 1
        count = ny * nx
        owner = np.repeat(np.arange(len(segments), dtype=np.int64), count)
        offset = np.arange(owner.size, dtype=np.int64) - np.repeat(np.cumsum(count) - count, count)
        cy = cy0[owner] + offset // nx[owner]
        cx = cx0[owner] + offset % nx[owner]
        keys = cy * _LON_CELLS + cx
        order = np.argsort(keys, kind="stable")
        keys, items = keys[order], owner[order].astype(np.int32)
        cell_keys, starts = np.unique(keys, return_index=True)
        cell_start = np.append(starts, keys.size).astype(np.int64)
        return SegmentIndex(segments, cell_keys.astype(np.int64), cell_start, items, bounds)

    def near(self, lat: FloatArray, lon: FloatArray) -> SegmentSet:
        """Segments in the grid cells around the track (each sample's cell and its eight neighbours)."""
        if lat.size == 0 or self.cell_keys.size == 0:
            return SegmentSet.empty()
        cy, cx = _cell(np.floor(lat / COORD_SCALE).astype(np.int64), np.floor(lon / COORD_SCALE).astype(np.int64))
        base = np.unique(cy * _LON_CELLS + cx)
        around = (base[:, None] + (np.arange(-1, 2)[:, None] * _LON_CELLS + np.arange(-1, 2)).ravel()).ravel()
        wanted = np.unique(around)
        pos = np.searchsorted(self.cell_keys, wanted)
        found = pos < self.cell_keys.size
        found[found] = self.cell_keys[pos[found]] == wanted[found]
        pos = pos[found]
        if pos.size == 0:
            return SegmentSet.empty()
        start, stop = self.cell_start[pos], self.cell_start[pos + 1]
        lengths = stop - start
        flat = np.repeat(start - np.cumsum(lengths) + lengths, lengths) + np.arange(int(lengths.sum()))
        return self.segments.take(np.unique(self.cell_items[flat]))

    def covers(self, lat: FloatArray, lon: FloatArray) -> bool:
        """Whether any of the track lies inside the area the source covers."""
        if self.bounds is None or lat.size == 0:
            return False
        min_lat, min_lon, max_lat, max_lon = self.bounds
        inside = (lat >= min_lat) & (lat <= max_lat) & (lon >= min_lon) & (lon <= max_lon)
        return bool(inside.any())

    def save(self, directory: Path) -> None:
        """Write to a fresh sibling directory and rename it into place, so readers never see half an index."""
        tmp = directory.with_name(f".{directory.name}.tmp-{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        for name in _ARRAYS:
            np.save(tmp / f"{name}.npy", getattr(self.segments, name))
        np.save(tmp / "cell_keys.npy", self.cell_keys)
        np.save(tmp / "cell_start.npy", self.cell_start)
        np.save(tmp / "cell_items.npy", self.cell_items)
        meta = {"format": INDEX_FORMAT, "bounds": self.bounds, "segments": len(self.segments)}
        (tmp / "meta.json").write_text(json.dumps(meta))
        try:
            tmp.rename(directory)
        except OSError:
            # another process built the same index first; theirs is as good as ours
            shutil.rmtree(tmp, ignore_errors=True)
            if not (directory / "meta.json").exists():
                raise

    @staticmethod
    def load(directory: Path) -> SegmentIndex:
        """Memory-map a saved index; raises OSError/ValueError when it is missing or not ours."""
        meta = json.loads((directory / "meta.json").read_text())
        if meta.get("format") != INDEX_FORMAT:
            raise ValueError(f"index format {meta.get('format')} is not {INDEX_FORMAT}")

        def arr(name: str) -> npt.NDArray[np.generic]:
            loaded: npt.NDArray[np.generic] = np.load(directory / f"{name}.npy", mmap_mode="r", allow_pickle=False)
            return loaded

        segments = SegmentSet(*(arr(name) for name in _ARRAYS))  # type: ignore[arg-type]
        bounds = meta.get("bounds")
        return SegmentIndex(
            segments,
            arr("cell_keys"),  # type: ignore[arg-type]
            arr("cell_start"),  # type: ignore[arg-type]
            arr("cell_items"),  # type: ignore[arg-type]
            (float(bounds[0]), float(bounds[1]), float(bounds[2]), float(bounds[3])) if bounds else None,
        )

    def size_bytes(self) -> int:
        arrays = [getattr(self.segments, n) for n in _ARRAYS] + [self.cell_keys, self.cell_start, self.cell_items]
        return int(sum(a.nbytes for a in arrays))
