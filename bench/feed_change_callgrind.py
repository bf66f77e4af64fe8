"""Instructions for the first feed page after a new activity, this tree side by side with a baseline (issue 32).

Run: `PYTHONPATH=$PWD .venv/bin/python -m bench.feed_change_callgrind --baseline 0daa271 [--activities 100000]`

Wall and CPU times on the shared machine move with everyone's load; the instructions a request executes do not.
Builds one SQLite store of N activities (bench.wait_bench.prepare), then for each tree (the baseline's `syncd`
from `git archive`, and this one) runs a child under `valgrind --tool=callgrind --collect-atstart=no
--toggle-collect=functools_reduce` on its own copy: the app is called directly (ASGI, no sockets, the thread-pool
hop inlined so the one thread callgrind follows does all the work) and warmed (one change too), then `--changes`
times an activity is stored and the page fetched inside `functools.reduce`, so only those requests are counted;
`--steady` counts as many requests of the page with nothing changed before them. Prints instructions per request.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.asgi_child import PRELUDE
from bench.wait_bench import ROOT, prepare

CHILD = (
    PRELUDE
    + """
from syncd.entrypoints.web import app as web_app

database, state, mode, changes, target = sys.argv[1], Path(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5]

async def inline(func, *args, **kwargs):
    return func(*args, **kwargs)

web_app.run_in_threadpool = inline
store = Store.open(f"sqlite:///{database}", migrate=False)
app = web_app.create_app(store, Settings(state_dir=state, config_path=None))
loop = asyncio.new_event_loop()

def counted(target):
    functools.reduce(lambda _a, _b: asgi_get(app, loop, target), [0, 0])  # the only calls of reduce: counted

for _ in range(2):
    asgi_get(app, loop, target)
store_new_run(database, 0, "cg")  # the first change's page pays what happens once (statements compiled): not counted
asgi_get(app, loop, target)
for n in range(1, changes + 1):
    if mode == "first":
        store_new_run(database, n, "cg")
    counted(target)
"""
)


def instructions(tree: Path, database: Path, state: Path, mode: str, changes: int, target: str) -> int:
    done = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            "--collect-atstart=no",
            "--toggle-collect=functools_reduce",
            sys.executable,
            "-c",
            CHILD,
            str(database),
            str(state),
            mode,
            str(changes),
            target,
        ],
        cwd=tree,
        env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
        check=True,
        capture_output=True,
        text=True,
    )
    found = re.search(r"Collected : (\d+)", done.stderr)
    if found is None:
        raise SystemExit(f"valgrind printed no instruction count: {done.stderr[-300:]}")
    return int(found.group(1)) // changes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", required=True, help="git revision to compare with (e.g. 0daa271)")
    parser.add_argument("--activities", type=int, default=100_000)
    parser.add_argument("--changes", type=int, default=5)
    parser.add_argument("--steady", action="store_true", help="also count requests with nothing changed")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        ours, theirs, old_tree = prepare(tmp, args.activities, args.baseline)
        deep = f"/?page={max(1, args.activities // 50)}"
        runs = [(mode, target) for mode in ("first", *(["steady"] if args.steady else [])) for target in ("/", deep)]
        jobs = {}
        with ThreadPoolExecutor(2) as pool:  # valgrind is single-threaded: two at a time on two cores
            for n, (mode, target) in enumerate(runs):
                for name, tree, database in (("baseline", old_tree, theirs), ("this tree", ROOT, ours)):
                    copy = tmp / f"{name.replace(' ', '_')}-{n}.db"
                    shutil.copy(database, copy)
                    state = tmp / f"state-{name.replace(' ', '_')}-{n}"
                    jobs[(mode, target, name)] = pool.submit(
                        instructions, tree, copy, state, mode, args.changes, target
                    )
        print(f"instructions per request (callgrind), {args.activities:,} activities, baseline {args.baseline}")
        for mode, target in runs:
            label = f"{'first after a new activity' if mode == 'first' else 'nothing changed'}: {target}"
            old, new = jobs[(mode, target, "baseline")].result(), jobs[(mode, target, "this tree")].result()
            print(f"  {label:44s} baseline {old / 1e6:7.1f} M   this tree {new / 1e6:7.1f} M   ({old / new:.2f}x)")


if __name__ == "__main__":
    main()
