"""CPU time per feed request, in process, this tree side by side with a baseline commit (issue 32).

Run: `PYTHONPATH=$PWD .venv/bin/python -m bench.feed_cpu_bench --baseline cea0a3d [--activities 100000]`

Wall-clock figures on a shared machine move with everyone else's load; the CPU a request costs the server process
(`time.process_time` around one ASGI call, no sockets) moves much less. Builds one SQLite store of N activities
(bench.feed_bench.build), then for each tree (the baseline's `syncd` from `git archive`, and this one) runs a child
process on its own copy that calls the app directly: `/`, `?flag=downhill`, Atom, the JSON list and `?page=N` deep
(N = activities / 50), each warmed then repeated; then the first `/` after each of a few new activities.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.asgi_child import PRELUDE
from bench.wait_bench import ROOT, prepare

CHILD = (
    PRELUDE
    + """
from syncd.entrypoints.web.app import create_app

database, state, repeats, deep = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
store = Store.open(f"sqlite:///{database}", migrate=False)
app = create_app(store, Settings(state_dir=state, config_path=None))
loop = asyncio.new_event_loop()

def get(target):
    return asgi_get(app, loop, target)

for target in ["/", "/?flag=downhill", "/feed.atom", "/api/activities", f"/?page={deep}"]:
    for _ in range(3):
        get(target)
    samples = sorted(get(target) for _ in range(repeats))
    print(f"{target:22s} CPU ms per request: median {samples[len(samples) // 2]:6.2f}", flush=True)
after = []
for n in range(8):
    store_new_run(database, n, "cpu-bench")
    after.append(get("/"))
after.sort()
print(f"{'first / after a change':22s} CPU ms per request: median {after[len(after) // 2]:6.2f}", flush=True)
"""
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", required=True, help="git revision to compare with (e.g. cea0a3d)")
    parser.add_argument("--activities", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        ours, theirs, old_tree = prepare(tmp, args.activities, args.baseline)
        trees = [(f"baseline {args.baseline}", old_tree, theirs), ("this tree", ROOT, ours)]
        for name, tree, database in trees:
            copy = tmp / f"run-{database.name}"
            shutil.copy(database, copy)
            print(f"== {name}", flush=True)
            deep = str(max(1, args.activities // 50))
            subprocess.run(
                [sys.executable, "-c", CHILD, str(copy), str(tmp / "state"), str(args.requests), deep],
                cwd=tree,
                env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
                check=True,
            )


if __name__ == "__main__":
    main()
