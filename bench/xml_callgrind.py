"""GPX/TCX reading by instruction count, exact whatever the machine's load (issue 32): parse four real recordings
`rounds` times in this process; run it under callgrind with 1 and 3 rounds, and half the difference is one round's
instructions without start-up and first-use costs (imports, pattern compiles).

Run from outside the checkout (so that `syncd` comes from PYTHONPATH, not the current directory), e.g. for a
baseline extracted with `git archive REV syncd | tar -x -C /tmp/base`:
`cd / && PYTHONPATH=/tmp/base:$CHECKOUT valgrind --tool=callgrind --callgrind-out-file=/dev/null
$CHECKOUT/.venv/bin/python -m bench.xml_callgrind N` for N in 1 and 3; for this tree, PYTHONPATH=$CHECKOUT.
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
