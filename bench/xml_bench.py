"""GPX and TCX reading alone: files per second through `parse_bytes` over the real GPX/TCX recordings in
tests/fixtures/real (and its corpus), decompressed beforehand, `--rounds` times each, in this process.

Run: `.venv/bin/python -m bench.xml_bench [--rounds 20]`; side by side with a baseline commit:
`.venv/bin/python -m bench.side_by_side --baseline aae9fc2 -- xml_bench --rounds 20`
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
    args = parser.parse_args()
    files = recordings()
    size = sum(len(data) for data in files.values())
    for kind in (".gpx", ".tcx"):
        chosen = {name: data for name, data in files.items() if name.endswith(kind)}
        began = time.process_time()
        for _ in range(args.rounds):
            for name, data in chosen.items():
                parse_bytes(data, name)
        cpu = time.process_time() - began
        count = len(chosen) * args.rounds
        print(f"{kind[1:].upper()}: {len(chosen)} files x {args.rounds}: {count / cpu:7.1f} files/s of CPU")
    print(f"({len(files)} files, {size / 2**20:.1f} MiB decompressed)")


if __name__ == "__main__":
    main()
