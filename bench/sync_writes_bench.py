"""Writes to the activities table during one first Strava sync: how many statements, and how many of them write the
platform's raw payload (issue 27: sync state used to be written into the payload, a second upsert per run).

Run: `PYTHONPATH=$PWD .venv/bin/python -m bench.sync_writes_bench [--runs 20]`

The simulated Strava (real stravalib over loopback) holds N runs inside the annotation window; the first sync into
SQLite lists, fetches and annotates them (write-back off). Counted: INSERT/UPDATE statements on `activities`.
"""

from __future__ import annotations

import argparse
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from syncd.adapters.crypto import SecretBox
from syncd.adapters.db import Store
from syncd.testing import strava_harness as harness
from syncd.testing.seed import seed_synthetic
from syncd.testing.strava_server import StravaSimulator
from tests.integration.conftest import FakeClock


def measure(runs: int) -> dict[str, int]:
    clock = FakeClock()
    counts = {"statements": 0, "payload_writes": 0}
    with tempfile.TemporaryDirectory() as tmp:
        box = SecretBox(SecretBox.generate_key(), origin="the bench key")
        store = Store.open(f"sqlite:///{Path(tmp) / 'syncd.db'}", clock=clock, secret_box=box)

        def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            head = " ".join(statement.split()).upper()
            if head.startswith(("INSERT INTO ACTIVITIES ", "UPDATE ACTIVITIES SET")):
                counts["statements"] += 1
                counts["payload_writes"] += " RAW" in head.split(" WHERE ")[0].replace("(", " ").replace(",", " ")

        sa.event.listen(store.engine, "before_cursor_execute", count)
        with StravaSimulator(clock=clock.now) as sim:
            athlete = sim.add_athlete(firstname="Ada", lastname="Runner").id
            seed_synthetic(sim, athlete, count=runs, end=clock.now() - timedelta(hours=2), run_share=1.0, seed=3)
            harness.link(store, sim, athlete, clock=clock)
            report = harness.service(store, sim, clock=clock, write_back="off").run_once("w1")
        sync = report.accounts[0].report
        assert sync is not None and sync.annotated == runs
        store.close()
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    runs = parser.parse_args().runs
    counts = measure(runs)
    print(
        f"{runs} runs: {counts['statements']} activity-row writes, {counts['payload_writes']} of them write the raw "
        f"payload ({counts['payload_writes'] / runs:.1f} per run)"
    )


if __name__ == "__main__":
    main()
