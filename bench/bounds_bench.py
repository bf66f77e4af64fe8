"""Issue 31: what the limits cost and that splitting a multi-session FIT file is linear.

- The FIT limit walk on the hostile files (20 million one-byte records; 10,000 sessions): time to the refusal.
- Parsing a FIT file of N sessions with the cap lifted (max_activities=N): time per session should stay flat
  (before: 1,000 sessions 4.5 s, 3,000 22.8 s, 10,000 697 s to import).

Run: `.venv/bin/python -m bench.bounds_bench`
"""

from __future__ import annotations

import resource
import time

from syncd.adapters.files import FileImportError
from syncd.adapters.files.parse import parse_bytes
from tests.hostile import fit_of_sessions, fit_of_tiny_records


def _refusal(name: str, data: bytes) -> None:
    started = time.perf_counter()
    try:
        parse_bytes(data, name)
    except FileImportError as exc:
        print(f"{name}: refused in {time.perf_counter() - started:.3f} s ({exc.problem})")
    else:
        print(f"{name}: NOT refused")


def main() -> None:
    _refusal("20M one-byte records (20 MB)", fit_of_tiny_records(20_000_000))
    _refusal("10,000 sessions", fit_of_sessions(10_000))
    for sessions in (100, 300, 1_000, 3_000):
        data = fit_of_sessions(sessions)
        started = time.perf_counter()
        legs = parse_bytes(data, "many.fit", max_activities=sessions)
        took = time.perf_counter() - started
        print(f"{sessions:>5} sessions parsed (cap lifted): {took:.2f} s, {1e3 * took / len(legs):.2f} ms per session")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
