"""Map matching: which way was each stretch of a GPS track on, and so how many metres per surface class.

A light hidden-Markov matcher (after Newson & Krumm 2009, without routing between candidates):
1. clean the track: drop fixes closer than `min_step_m` to the last kept one (standing still is not distance),
   smooth with a short moving average (GPS zig-zag is not distance either), resample every `spacing_m`;
2. candidates: for each sample, the nearest point of each way within `radius_m` (shapely STRtree); the cost is the
   distance plus a penalty for heading disagreement, so a path crossing the route does not steal samples;
3. Viterbi over candidates plus an "unmatched" state: staying on one way is free, switching costs `switch_cost`,
   so jitter between a road and a parallel path does not flip the answer every few metres;
4. short unmatched gaps (a bridge, a tunnel, tree cover) between two stretches of the same class take that class;
   longer ones, and everything off the map, stay unknown and are reported as such.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import shapely

from syncd.adapters.osm.segments import COORD_SCALE, SegmentSet
from syncd.domain.model import FloatArray
from syncd.domain.surface import SurfaceBreakdown, SurfaceClass

EARTH_RADIUS_M = 6_371_008.8
_NONE = -1  # way id of the unmatched state
_PAD = -2  # way id of an unused candidate slot


@dataclass(frozen=True)
class MatchParams:
    radius_m: float = 25.0
    spacing_m: float = 10.0
    min_step_m: float = 8.0
    smooth_window: int = 5
    heading_cost_per_deg: float = 0.2
    unmatched_cost: float = 22.0
    switch_cost: float = 15.0
    max_gap_m: float = 80.0
    candidates: int = 4


@dataclass(frozen=True)
class Projection:
    """Sinusoidal projection around the track: metres, exact north-south, good to ~0.1 % over 100 km."""

    lat0: float
    lon0: float

    def xy(self, lat: FloatArray, lon: FloatArray) -> tuple[FloatArray, FloatArray]:
        lat_r = np.radians(lat)
        x = EARTH_RADIUS_M * np.radians(lon - self.lon0) * np.cos(lat_r)
        y = EARTH_RADIUS_M * (lat_r - math.radians(self.lat0))
        return x, y


def match_surface(
    segments: SegmentSet, lat: FloatArray, lon: FloatArray, *, source: str, params: MatchParams | None = None
) -> SurfaceBreakdown:
    """Metres per surface class along the track; samples no way explains count as unknown."""
    p = params or MatchParams()
    ok = np.isfinite(lat) & np.isfinite(lon)
    lat, lon = np.asarray(lat[ok], dtype=np.float64), np.asarray(lon[ok], dtype=np.float64)
    if lat.size < 2:
        return SurfaceBreakdown(0.0, 0.0, 0.0, 0.0, source)
    proj = Projection(float(np.mean(lat)), float(np.mean(lon)))
    x, y = proj.xy(lat, lon)
    x, y = _clean(x, y, p)
    if x.size < 2:
        return SurfaceBreakdown(0.0, 0.0, 0.0, 0.0, source)
    weights = _sample_weights(x, y)
    labels, inferred, matched = _match(segments, proj, x, y, p)
    labels = _bridge_gaps(labels, inferred, matched, weights, p.max_gap_m)
    per_class = np.bincount(labels, weights=weights, minlength=4)
    inferred_m = float(np.sum(weights[(inferred == 1) & (labels != SurfaceClass.UNKNOWN)]))
    return SurfaceBreakdown(
        paved_m=round(float(per_class[SurfaceClass.PAVED]), 1),
        unpaved_m=round(float(per_class[SurfaceClass.UNPAVED]), 1),
        track_m=round(float(per_class[SurfaceClass.TRACK]), 1),
        unknown_m=round(float(per_class[SurfaceClass.UNKNOWN]), 1),
        source=source,
        inferred_m=round(inferred_m, 1),
    )


def _clean(x: FloatArray, y: FloatArray, p: MatchParams) -> tuple[FloatArray, FloatArray]:
    """Drop standing-still jitter, smooth zig-zag, resample at an even spacing."""
    keep = [0]
    lx, ly = float(x[0]), float(y[0])
    min_sq = p.min_step_m * p.min_step_m
    for i, (xi, yi) in enumerate(zip(x.tolist(), y.tolist(), strict=True)):
        if (xi - lx) ** 2 + (yi - ly) ** 2 >= min_sq:
            keep.append(i)
            lx, ly = xi, yi
    if keep[-1] != x.size - 1 and (x[-1] - lx) ** 2 + (y[-1] - ly) ** 2 > 0:
        keep.append(x.size - 1)  # the run ends where it ends, not at the last 8 m mark
    xs, ys = x[keep], y[keep]
    if xs.size >= p.smooth_window > 1:
        xs, ys = _moving_average(xs, p.smooth_window), _moving_average(ys, p.smooth_window)
    step = np.hypot(np.diff(xs), np.diff(ys))
    along = np.concatenate([[0.0], np.cumsum(step)])
    total = float(along[-1])
    if total <= 0.0:
        return xs[:1], ys[:1]
    grid = np.append(np.arange(0.0, total, p.spacing_m), total)
    return np.interp(grid, along, xs), np.interp(grid, along, ys)


def _moving_average(values: FloatArray, window: int) -> FloatArray:
    """Centred mean; the ends keep their true position (the first and last fix are where the run was)."""
    half = window // 2
    padded = np.concatenate([np.full(half, values[0]), values, np.full(half, values[-1])])
    kernel = np.ones(window) / window
    out: FloatArray = np.convolve(padded, kernel, mode="valid")
    out[0], out[-1] = values[0], values[-1]
    return out


def _sample_weights(x: FloatArray, y: FloatArray) -> FloatArray:
    """Each sample stands for half the step before it and half the step after it."""
    step = np.hypot(np.diff(x), np.diff(y))
    weights = np.zeros(x.size)
    weights[:-1] += step / 2
    weights[1:] += step / 2
    return weights


def _match(
    segments: SegmentSet, proj: Projection, x: FloatArray, y: FloatArray, p: MatchParams
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.uint8], npt.NDArray[np.bool_]]:
    """Per sample: surface class, inferred flag, and whether a way was matched at all."""
    n = x.size
    k = p.candidates + 1
    emission = np.full((n, k), np.inf)
    emission[:, 0] = p.unmatched_cost
    way = np.full((n, k), _PAD, dtype=np.int64)
    way[:, 0] = _NONE
    surface = np.full((n, k), int(SurfaceClass.UNKNOWN), dtype=np.int64)
    inferred = np.zeros((n, k), dtype=np.uint8)
    if len(segments):
        pts, segs, cost = _candidates(segments, proj, x, y, p)
        if pts.size:
            slot = _rank_within(pts) + 1
            emission[pts, slot] = cost
            way[pts, slot] = segments.way[segs]
            surface[pts, slot] = segments.surface[segs]
            inferred[pts, slot] = segments.inferred[segs]
    path = _viterbi(emission, way, p.switch_cost)
    rows = np.arange(n)
    return surface[rows, path], inferred[rows, path], path != 0


def _candidates(
    segments: SegmentSet, proj: Projection, x: FloatArray, y: FloatArray, p: MatchParams
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp], FloatArray]:
    """(sample, segment, cost) for the best segment of each way near each sample, at most `candidates` per sample,
    sorted by sample then cost."""
    ax, ay = proj.xy(_degrees(segments.lat1), _degrees(segments.lon1))
    bx, by = proj.xy(_degrees(segments.lat2), _degrees(segments.lon2))
    lines = shapely.linestrings(np.stack([np.stack([ax, ay], -1), np.stack([bx, by], -1)], axis=1))
    tree = shapely.STRtree(lines)
    pts, segs = tree.query(shapely.points(x, y), predicate="dwithin", distance=p.radius_m)
    if pts.size == 0:
        return pts, segs, np.zeros(0)
    dx, dy = bx[segs] - ax[segs], by[segs] - ay[segs]
    length_sq = dx * dx + dy * dy
    px, py = x[pts] - ax[segs], y[pts] - ay[segs]
    t = np.clip(np.divide(px * dx + py * dy, length_sq, out=np.zeros_like(dx), where=length_sq > 0), 0.0, 1.0)
    dist = np.hypot(px - t * dx, py - t * dy)
    heading = _headings(x, y)[pts]
    diff = np.abs((heading - np.arctan2(dy, dx) + math.pi / 2) % math.pi - math.pi / 2)
    cost = dist + p.heading_cost_per_deg * np.degrees(diff)
    ways = segments.way[segs]
    # best segment per (sample, way), then the best few ways per sample
    order = np.lexsort((cost, ways, pts))
    pts, segs, cost, ways = pts[order], segs[order], cost[order], ways[order]
    first = np.ones(pts.size, dtype=bool)
    first[1:] = (pts[1:] != pts[:-1]) | (ways[1:] != ways[:-1])
    pts, segs, cost = pts[first], segs[first], cost[first]
    order = np.lexsort((cost, pts))
    pts, segs, cost = pts[order], segs[order], cost[order]
    keep = _rank_within(pts) < p.candidates
    return pts[keep], segs[keep], cost[keep]


def _degrees(units: npt.NDArray[np.int32]) -> FloatArray:
    return units.astype(np.float64) * COORD_SCALE


def _rank_within(groups: npt.NDArray[np.intp]) -> npt.NDArray[np.intp]:
    """0, 1, 2, ... within each run of equal values of a sorted array."""
    idx = np.arange(groups.size)
    starts = np.ones(groups.size, dtype=bool)
    starts[1:] = groups[1:] != groups[:-1]
    start_of = np.maximum.accumulate(np.where(starts, idx, 0))
    ranks: npt.NDArray[np.intp] = idx - start_of
    return ranks


def _headings(x: FloatArray, y: FloatArray) -> FloatArray:
    """Direction of travel at each sample (radians), from its neighbours."""
    if x.size < 2:
        return np.zeros(x.size)
    heading: FloatArray = np.arctan2(np.gradient(y), np.gradient(x))
    return heading


def _viterbi(emission: FloatArray, way: npt.NDArray[np.int64], switch_cost: float) -> npt.NDArray[np.intp]:
    """Cheapest state sequence: emission costs plus `switch_cost` whenever the way changes."""
    n, k = emission.shape
    back = np.zeros((n, k), dtype=np.intp)
    cost = emission[0].copy()
    columns = np.arange(k)
    for i in range(1, n):
        total = cost[:, None] + np.where(way[i - 1][:, None] == way[i][None, :], 0.0, switch_cost)
        best = np.argmin(total, axis=0)
        back[i] = best
        cost = total[best, columns] + emission[i]
    path = np.zeros(n, dtype=np.intp)
    path[-1] = int(np.argmin(cost))
    for i in range(n - 1, 0, -1):
        path[i - 1] = back[i, path[i]]
    return path


def _bridge_gaps(
    labels: npt.NDArray[np.int64],
    inferred: npt.NDArray[np.uint8],
    matched: npt.NDArray[np.bool_],
    weights: FloatArray,
    max_gap_m: float,
) -> npt.NDArray[np.int64]:
    """Unmatched runs no longer than `max_gap_m` between two samples of the same class take that class."""
    out = labels.copy()
    n = labels.size
    i = 0
    while i < n:
        if matched[i]:
            i += 1
            continue
        j = i
        while j < n and not matched[j]:
            j += 1
        if i > 0 and j < n and labels[i - 1] == labels[j] and float(np.sum(weights[i:j])) <= max_gap_m:
            out[i:j] = labels[i - 1]
            inferred[i:j] = inferred[i - 1] | inferred[j]
        i = j
    return out
