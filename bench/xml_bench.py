"""GPX and TCX reading alone: files per second through `parse_bytes` over the real GPX/TCX recordings in
tests/fixtures/real (and its corpus), decompressed beforehand, `--rounds` times each, in this process.

Run: `.venv/bin/python -m bench.xml_bench [--rounds 20] [--compare]`; side by side with a baseline commit:
`.venv/bin/python -m bench.side_by_side --baseline aae9fc2 -- xml_bench --rounds 20`. `--compare` also times the
tree readers alone (the scanner switched off, issue 32), alternating with the normal path in this process.
"""

from __future__ import annotations

import argparse
import gzip
import time
from pathlib import Path

from syncd.adapters.files import parse_bytes

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "real"


def recordings() -> dict[str, bytes]:
    found = {}
    for path in sorted(FIXTURES.rglob("*")):
        name = path.name.removesuffix(".gz")
        if not name.endswith((".gpx", ".tcx")):
            continue
        data = path.read_bytes()
        found[name] = gzip.decompress(data) if path.name.endswith(".gz") else data
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--compare", action="store_true", help="also time the tree readers without the scanner")
    args = parser.parse_args()
    files = recordings()
    size = sum(len(data) for data in files.values())
    for kind in (".gpx", ".tcx"):
        chosen = {name: data for name, data in files.items() if name.endswith(kind)}
        count = len(chosen) * args.rounds
        cpu = _cpu(chosen, args.rounds, scanner=True)
        line = f"{kind[1:].upper()}: {len(chosen)} files x {args.rounds}: {count / cpu:7.1f} files/s of CPU"
        if args.compare:
            tree = _cpu(chosen, args.rounds, scanner=False)
            line += f" (tree readers alone: {count / tree:7.1f}, {tree / cpu:.2f}x)"
        print(line)
    print(f"({len(files)} files, {size / 2**20:.1f} MiB decompressed)")


def _cpu(chosen: dict[str, bytes], rounds: int, *, scanner: bool) -> float:
    """CPU seconds to parse `chosen` `rounds` times, with the scanner (when this tree has one) or without."""
    readers = _readers()
    saved = [(module, name, getattr(module, name)) for module, name in readers]
    if not scanner:
        for module, name in readers:
            setattr(module, name, lambda data: None)
    try:
        began = time.process_time()
        for _ in range(rounds):
            for name, data in chosen.items():
                parse_bytes(data, name)
        return time.process_time() - began
    finally:
        for module, name, value in saved:
            setattr(module, name, value)


def _readers() -> list[tuple[object, str]]:
    """The scanner entry points the readers call (none in a tree before issue 32's scanner)."""
    from syncd.adapters.files import gpx, tcx

    return [(m, n) for m, n in ((gpx, "scan_gpx"), (tcx, "scan_tcx")) if hasattr(m, n)]


if __name__ == "__main__":
    main()
