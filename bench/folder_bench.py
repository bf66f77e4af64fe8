"""`syncd import` of one folder, end to end, as a person runs it (issue 32), this tree beside a baseline commit.

Run: `.venv/bin/python -m bench.folder_bench --baseline aae9fc2 [--runs 5]`

The folder: every real recording in tests/fixtures/real and its corpus (FIT, GPX, TCX, some gzipped: 48 files).
Each run imports it into a fresh state directory with default options (the parser pool decides for itself), as a
fresh process, alternating baseline and this tree. Beside them, the floor the issue compares with: plain fitdecode
reading only the folder's FIT files (records decoded, nothing stored). Prints median wall and CPU seconds, and
the throughput in MB of the files as they lie in the folder (gzipped ones compressed): syncd reads every file,
fitdecode only the plain .fit ones, so issue 32's "N x plain fitdecode" is the ratio of those MB/s.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from bench.cli_bench import FIXTURES, SYNCD, environment, timed
from bench.wait_bench import ROOT, baseline_tree

FITDECODE = """
import sys, fitdecode
for path in sys.argv[1:]:
    with fitdecode.FitReader(path, check_crc=fitdecode.CrcCheck.DISABLED) as reader:
        for frame in reader:
            pass
"""


def folder(into: Path) -> Path:
    into.mkdir(parents=True)
    for path in sorted(FIXTURES.rglob("*")):
        if path.name.removesuffix(".gz").endswith((".fit", ".gpx", ".tcx")):
            shutil.copy(path, into / path.name)
    return into


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", required=True, help="git revision to compare with (e.g. aae9fc2)")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        files = folder(tmp / "folder")
        size = sum(p.stat().st_size for p in files.iterdir())
        fits = [str(p) for p in sorted(files.iterdir()) if p.suffix == ".fit"]
        trees = {"baseline": baseline_tree(args.baseline, tmp / "baseline"), "this tree": ROOT}
        samples: dict[str, list[tuple[float, float]]] = {name: [] for name in [*trees, "plain fitdecode (FIT only)"]}
        for run in range(args.runs):
            for name, tree in trees.items():
                env = environment(tree, tmp / f"{name.replace(' ', '_')}-{run}")
                samples[name].append(timed([str(SYNCD), "import", str(files), "--quiet"], env))
            plain = environment(ROOT, tmp / "plain")
            samples["plain fitdecode (FIT only)"].append(timed([sys.executable, "-c", FITDECODE, *fits], plain))
        count = len(list(files.iterdir()))
        fit_size = sum(Path(p).stat().st_size for p in fits)
        print(f"one folder: {count} files ({len(fits)} FIT), {size / 2**20:.1f} MB; median of {args.runs} runs")
        floor = statistics.median(v[0] for v in samples["plain fitdecode (FIT only)"])
        floor_rate = fit_size / floor
        floor_cpu_rate = fit_size / statistics.median(v[1] for v in samples["plain fitdecode (FIT only)"])
        for name, values in samples.items():
            wall = statistics.median(v[0] for v in values)
            cpu = statistics.median(v[1] for v in values)
            read = fit_size if name.startswith("plain") else size
            print(
                f"  {name:28s} wall {wall:6.2f} s  cpu {cpu:6.2f} s  {read / wall / 2**20:5.2f} MB/s "
                f"(per MB vs plain fitdecode: wall {read / wall / floor_rate:5.2f}x, "
                f"cpu {read / cpu / floor_cpu_rate:5.2f}x;"
                f" whole wall vs: {floor / wall:.2f}x)"
            )


if __name__ == "__main__":
    main()
