"""FIT decode: syncd's decoder (fitfast columns + header-CRC repair) against plain fitdecode, side by side.

Run: `.venv/bin/python -m bench.fit_bench [--rounds 5]`

Every real FIT fixture (tests/fixtures/real and ../shared/fixtures/real, identical files counted once) is decoded
by both in alternation within each round, so machine noise hits both alike; the figures are the median round.
"Plain fitdecode" reads every frame of the file (CRC unchecked), the least any fitdecode-based reader does.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import statistics
import time
from pathlib import Path

import fitdecode

from syncd.adapters.files.fit_decode import decode

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = (ROOT / "tests" / "fixtures" / "real", ROOT.parents[1] / "shared" / "fixtures" / "real")


def real_fit_files() -> list[tuple[str, bytes]]:
    seen: dict[str, tuple[str, bytes]] = {}
    for folder in FOLDERS:
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.fit")):
            data = path.read_bytes()
            seen.setdefault(hashlib.sha256(data).hexdigest(), (path.name, data))
    return list(seen.values())


def plain_fitdecode(data: bytes) -> int:
    frames = 0
    with fitdecode.FitReader(io.BytesIO(data), check_crc=fitdecode.CrcCheck.DISABLED) as reader:
        for _frame in reader:
            frames += 1
    return frames


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    files = real_fit_files()
    size = sum(len(d) for _n, d in files)
    fallbacks = [name for name, data in files if decode(data, name).decoder != "fitfast"]
    ours: list[float] = []
    theirs: list[float] = []
    for _ in range(args.rounds):
        fast = slow = 0.0
        for name, data in files:
            begin = time.perf_counter()
            decode(data, name)
            fast += time.perf_counter() - begin
            begin = time.perf_counter()
            plain_fitdecode(data)
            slow += time.perf_counter() - begin
        ours.append(fast)
        theirs.append(slow)
    fast_s, slow_s = statistics.median(ours), statistics.median(theirs)
    print(f"{len(files)} distinct real FIT files, {size / 1e6:.2f} MB, median of {args.rounds} rounds")
    print(f"  syncd decode   : {fast_s * 1e3:8.1f} ms  ({size / fast_s / 1e6:6.1f} MB/s)")
    print(f"  plain fitdecode: {slow_s * 1e3:8.1f} ms  ({size / slow_s / 1e6:6.1f} MB/s)")
    print(f"  ratio          : {slow_s / fast_s:8.1f}x   fallbacks to fitdecode: {len(fallbacks)} {fallbacks}")


if __name__ == "__main__":
    main()
