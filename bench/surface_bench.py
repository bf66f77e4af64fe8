"""Surface map (issue 9): index build time and size for a ~50 MB extract, classification time per 10 km run.

Targets: classification < 50 ms per 10 km run once the index is loaded. No downloads are possible here, so the
extract is a synthetic city written with osmium's writer: a street grid (25 m node spacing, 1 km ways, mixed
highway/surface tags, some without a surface) plus two buildings per block, the bulk of a real extract that the
reader must skip. Peak RSS is measured per phase in a fresh process (build; load + classify).

Run: `.venv/bin/python -m bench.surface_bench` (add `--blocks 520` for ~50 MB; the file is cached in --workdir).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import osmium

LAT0, LON0 = 48.1, 11.5
M_PER_DEG = 6_371_008.8 * math.pi / 180
STEP = 25.0  # metres between street nodes
BLOCK = 4  # street nodes per block side: blocks are 100 m
HIGHWAYS = [
    ({"highway": "residential", "surface": "asphalt"}, 5),
    ({"highway": "residential"}, 3),
    ({"highway": "tertiary", "surface": "asphalt"}, 2),
    ({"highway": "footway", "surface": "paving_stones"}, 2),
    ({"highway": "footway"}, 1),
    ({"highway": "path", "surface": "dirt"}, 2),
    ({"highway": "path"}, 1),
    ({"highway": "track", "surface": "gravel"}, 1),
    ({"highway": "service", "surface": "concrete"}, 1),
]


def to_lonlat(x: float, y: float) -> tuple[float, float]:
    lat = LAT0 + y / M_PER_DEG
    return LON0 + x / (M_PER_DEG * math.cos(math.radians(lat))), lat


def node(node_id: int, location: tuple[float, float], rng: np.random.Generator) -> osmium.osm.mutable.Node:
    """With the metadata real extracts carry (version, changeset, user, time), which is much of their size."""
    uid = int(rng.integers(1, 50_000))
    return osmium.osm.mutable.Node(
        id=node_id,
        location=location,
        version=int(rng.integers(1, 8)),
        changeset=int(rng.integers(1, 150_000_000)),
        uid=uid,
        user=f"mapper{uid}",
        timestamp=f"20{int(rng.integers(10, 26))}-0{int(rng.integers(1, 10))}-1{int(rng.integers(0, 10))}T12:00:00Z",
    )


def write_city(path: Path, blocks: int) -> None:
    """A blocks x blocks grid of 100 m blocks; node ids are lattice positions so ways can refer to them."""
    side = blocks * BLOCK + 1
    rng = np.random.default_rng(9)
    weights = np.array([w for _, w in HIGHWAYS], dtype=float)
    tmp = path.with_suffix(".tmp.pbf")
    tmp.unlink(missing_ok=True)
    writer = osmium.SimpleWriter(str(tmp))
    try:
        for a in range(side):
            for b in range(side):
                if a % BLOCK == 0 or b % BLOCK == 0:
                    jx, jy = rng.normal(0, 1.5, 2)  # surveyed positions are not a perfect lattice
                    writer.add_node(node(a * side + b + 1, to_lonlat(b * STEP + jx, a * STEP + jy), rng))
        building_base = side * side + 1
        for block in range(blocks * blocks):
            a0, b0 = divmod(block, blocks)
            for k in range(2):
                x0, y0 = b0 * 100 + 15 + 40 * k, a0 * 100 + 20
                for c, (dx, dy) in enumerate(((0, 0), (30, 0), (30, 50), (0, 50))):
                    jx, jy = rng.normal(0, 1.5, 2)
                    writer.add_node(
                        node(building_base + block * 8 + k * 4 + c, to_lonlat(x0 + dx + jx, y0 + dy + jy), rng)
                    )
        way_id = 1
        per_way = 10 * BLOCK  # 1 km ways
        for line in range(0, side, BLOCK):
            for start in range(0, side - 1, per_way):
                stop = min(side - 1, start + per_way)
                tags = HIGHWAYS[int(rng.choice(len(HIGHWAYS), p=weights / weights.sum()))][0]
                row = [line * side + b + 1 for b in range(start, stop + 1)]
                col = [a * side + line + 1 for a in range(start, stop + 1)]
                writer.add_way(osmium.osm.mutable.Way(id=way_id, nodes=row, tags=tags))
                writer.add_way(osmium.osm.mutable.Way(id=way_id + 1, nodes=col, tags=tags))
                way_id += 2
        for block in range(blocks * blocks):
            for k in range(2):
                first = building_base + block * 8 + k * 4
                ring = [first, first + 1, first + 2, first + 3, first]
                writer.add_way(osmium.osm.mutable.Way(id=way_id, nodes=ring, tags={"building": "yes"}))
                way_id += 1
    finally:
        writer.close()
    tmp.rename(path)


def route_10k(blocks: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A 10 km run on the grid: random turns at intersections, 1 Hz fixes at 3 m/s, 3 m GPS noise."""
    rng = np.random.default_rng(seed)
    size = blocks * 100
    x, y = float(rng.integers(5, blocks - 5) * 100), float(rng.integers(5, blocks - 5) * 100)
    pts = [(x, y)]
    length = 0.0
    while length < 10_000:
        dx, dy = [(100, 0), (-100, 0), (0, 100), (0, -100)][int(rng.integers(4))]
        n = int(rng.integers(1, 6))
        nx, ny = min(max(x + dx * n, 0), size), min(max(y + dy * n, 0), size)
        length += abs(nx - x) + abs(ny - y)
        x, y = nx, ny
        pts.append((x, y))
    arr = np.asarray(pts)
    along = np.concatenate([[0.0], np.cumsum(np.abs(np.diff(arr, axis=0)).sum(axis=1))])
    s = np.arange(0, min(along[-1], 10_000), 3.0)
    xs = np.interp(s, along, arr[:, 0]) + rng.normal(0, 3, s.size)
    ys = np.interp(s, along, arr[:, 1]) + rng.normal(0, 3, s.size)
    lat = LAT0 + ys / M_PER_DEG
    lon = LON0 + xs / (M_PER_DEG * np.cos(np.radians(lat)))
    return lat, lon


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def phase_build(extract: Path, cache: Path) -> dict[str, float]:
    from syncd.adapters.osm import ExtractSurfaceMap

    begin = time.perf_counter()
    index = ExtractSurfaceMap(extract, cache).load()
    seconds = time.perf_counter() - begin
    size = sum(f.stat().st_size for f in cache.rglob("*") if f.is_file())
    return {"build_s": seconds, "index_mb": size / 1e6, "segments": len(index.segments), "peak_rss_mb": peak_rss_mb()}


def phase_classify(extract: Path, cache: Path, blocks: int, runs: int) -> dict[str, float]:
    from syncd.adapters.osm import ExtractSurfaceMap

    begin = time.perf_counter()
    smap = ExtractSurfaceMap(extract, cache)
    smap.load()
    load_s = time.perf_counter() - begin
    tracks = [route_10k(blocks, seed) for seed in range(runs)]
    smap.classify(*tracks[0])  # warm-up
    times, unknown = [], []
    for lat, lon in tracks:
        begin = time.perf_counter()
        result = smap.classify(lat, lon)
        times.append(time.perf_counter() - begin)
        assert result is not None
        unknown.append(result.unknown_m / result.total_m)
    return {
        "load_ms": load_s * 1000,
        "classify_ms_median": statistics.median(times) * 1000,
        "classify_ms_max": max(times) * 1000,
        "unknown_share_pct_median": statistics.median(unknown) * 100,
        "peak_rss_mb": peak_rss_mb(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--blocks", type=int, default=520, help="grid side in 100 m blocks (520 -> ~50 MB .pbf)")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/syncd-surface-bench"))
    parser.add_argument("--phase", choices=("all", "build", "classify"), default="all")
    args = parser.parse_args()
    extract = args.workdir / f"city-{args.blocks}.osm.pbf"
    cache = args.workdir / "cache"
    if args.phase == "build":
        print(json.dumps(phase_build(extract, cache)))
        return
    if args.phase == "classify":
        print(json.dumps(phase_classify(extract, cache, args.blocks, args.runs)))
        return
    args.workdir.mkdir(parents=True, exist_ok=True)
    if not extract.exists():
        begin = time.perf_counter()
        write_city(extract, args.blocks)
        print(f"wrote {extract} in {time.perf_counter() - begin:.1f} s")
    import shutil

    shutil.rmtree(cache, ignore_errors=True)
    common = [sys.executable, "-m", "bench.surface_bench", "--blocks", str(args.blocks), "--workdir", str(args.workdir)]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    build = json.loads(
        subprocess.run(
            [*common, "--phase", "build"], capture_output=True, text=True, check=True, env=env
        ).stdout.splitlines()[-1]
    )
    use = json.loads(
        subprocess.run(
            [*common, "--phase", "classify", "--runs", str(args.runs)],
            capture_output=True,
            text=True,
            check=True,
            env=env,
        ).stdout.splitlines()[-1]
    )
    mb = extract.stat().st_size / 1e6
    grid = f"{args.blocks}x{args.blocks} blocks of 100 m"
    print(f"extract: {mb:.1f} MB .osm.pbf ({grid}), {build['segments']:,} way segments indexed")
    print(
        f"index build: {build['build_s']:.1f} s, on disk {build['index_mb']:.1f} MB, "
        f"peak RSS {build['peak_rss_mb']:.0f} MB"
    )
    print(f"index load (memory-mapped): {use['load_ms']:.1f} ms")
    median, worst = use["classify_ms_median"], use["classify_ms_max"]
    print(f"classify 10 km run (1 Hz, 3 m noise): median {median:.1f} ms, max {worst:.1f} ms over {args.runs} runs")
    print(f"  unknown share median {use['unknown_share_pct_median']:.1f}%; peak RSS {use['peak_rss_mb']:.0f} MB")


if __name__ == "__main__":
    main()
