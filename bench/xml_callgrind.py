"""GPX/TCX reading by instruction count, exact whatever the machine's load (issue 32): parse four real recordings
`rounds` times in this process; run it under callgrind with 1 and 3 rounds, and half the difference is one round's
instructions without start-up and first-use costs (imports, pattern compiles).

Run: `PYTHONPATH=TREE valgrind --tool=callgrind --callgrind-out-file=/dev/null .venv/bin/python -m bench.xml_callgrind
N` for N in 1 and 3, with TREE this tree and a baseline's `syncd` (`git archive REV syncd | tar -x -C DIR`).
"""

from __future__ import annotations

import sys
from pathlib import Path

from syncd.adapters.files import parse_bytes

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "real"
NAMES = ("Afternoon_Walk_Polar_Watch.gpx", "Morning_Run_with_H10.gpx", "korita-zbevnica.gpx", "c2eb1b_6.tcx")


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    blobs = [(name, (FIXTURES / name).read_bytes()) for name in NAMES]
    for _ in range(rounds):
        for name, data in blobs:
            parse_bytes(data, name)


if __name__ == "__main__":
    main()
