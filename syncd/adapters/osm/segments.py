"""Way segments: the one shape every map source (extract index, Overpass tiles) hands to the matcher.

Coordinates are kept as OSM stores them, integers of 1e-7 degree, so an on-disk index is compact (int32) and a
segment read back is bit-for-bit the one written.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from syncd.domain.surface import WayClass

COORD_SCALE = 1e-7  # degrees per stored unit, as in OSM
INVALID_COORD = 2147483647  # libosmium's "undefined location"

IntArray = npt.NDArray[np.int64]
Int32Array = npt.NDArray[np.int32]
ByteArray = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class SegmentSet:
    """Straight pieces of runnable ways: endpoints (1e-7 degrees), the way's surface class and id."""

    lat1: Int32Array
    lon1: Int32Array
    lat2: Int32Array
    lon2: Int32Array
    surface: ByteArray  # SurfaceClass value
    inferred: ByteArray  # 1 when the class came from the highway type, not a surface tag
    way: IntArray  # OSM way id: staying on one way is cheap for the matcher, switching costs

    def __len__(self) -> int:
        return int(self.lat1.shape[0])

    def take(self, index: npt.NDArray[np.intp] | npt.NDArray[np.int64]) -> SegmentSet:
        return SegmentSet(
            self.lat1[index],
            self.lon1[index],
            self.lat2[index],
            self.lon2[index],
            self.surface[index],
            self.inferred[index],
            self.way[index],
        )

    @staticmethod
    def empty() -> SegmentSet:
        i32 = np.zeros(0, dtype=np.int32)
        return SegmentSet(i32, i32, i32, i32, np.zeros(0, np.uint8), np.zeros(0, np.uint8), np.zeros(0, np.int64))

    @staticmethod
    def concat(parts: Sequence[SegmentSet]) -> SegmentSet:
        if not parts:
            return SegmentSet.empty()
        return SegmentSet(
            *(np.concatenate([getattr(p, name) for p in parts]) for name in SegmentSet.__dataclass_fields__)
        )


class SegmentBuilder:
    """Collects ways node by node (cheap appends) and turns them into segments in one vectorised pass."""

    def __init__(self) -> None:
        # typed arrays, not lists: a 50 MB extract has millions of nodes, and a list costs ~36 bytes per int
        self._lat = array("i")
        self._lon = array("i")
        self._way_of_node = array("q")
        self._way_ids = array("q")
        self._way_surface = array("B")
        self._way_inferred = array("B")

    def add(self, way_id: int, way_class: WayClass, lats: Sequence[int], lons: Sequence[int]) -> None:
        """Add a way; nodes with an invalid location (outside a clipped extract) break it into pieces."""
        if len(lats) < 2:
            return
        ordinal = len(self._way_ids)
        self._way_ids.append(way_id)
        self._way_surface.append(int(way_class.surface))
        self._way_inferred.append(1 if way_class.inferred else 0)
        self._lat.extend(lats)
        self._lon.extend(lons)
        self._way_of_node.extend(array("q", [ordinal]) * len(lats))

    def build(self) -> SegmentSet:
        if not self._lat:
            return SegmentSet.empty()
        lat = np.frombuffer(self._lat, dtype=np.int32).astype(np.int64)
        lon = np.frombuffer(self._lon, dtype=np.int32).astype(np.int64)
        owner = np.frombuffer(self._way_of_node, dtype=np.int64)
        valid = (lat != INVALID_COORD) & (lon != INVALID_COORD) & (np.abs(lat) <= 900_000_000)
        keep = (owner[:-1] == owner[1:]) & valid[:-1] & valid[1:]
        keep &= (lat[:-1] != lat[1:]) | (lon[:-1] != lon[1:])  # repeated nodes make no segment
        first = np.flatnonzero(keep)
        ways = owner[first]
        return SegmentSet(
            lat[first].astype(np.int32),
            lon[first].astype(np.int32),
            lat[first + 1].astype(np.int32),
            lon[first + 1].astype(np.int32),
            np.frombuffer(self._way_surface, dtype=np.uint8)[ways],
            np.frombuffer(self._way_inferred, dtype=np.uint8)[ways],
            np.frombuffer(self._way_ids, dtype=np.int64)[ways],
        )
