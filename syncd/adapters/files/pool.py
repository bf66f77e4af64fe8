"""Parse import items on several cores: the caller's process reads them in order, worker processes parse them,
and the results come back in the same order, a bounded number in flight.

Parsing is CPU-bound (XML, FIT decoding, distance smoothing) and files are independent, so a Strava export of
thousands of files parses about twice as fast on two cores. Reading stays in the caller's process (a zip member
cannot be read from another process, and one reader keeps the disk sequential). A handful of files is parsed in
process: starting workers would cost more than it saves. A worker that dies (killed, out of memory) fails only
the file it held, with one line.
"""

from __future__ import annotations

import ctypes
import itertools
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing.context import BaseContext

from .errors import FileImportError
from .items import ImportItem, parse_item_bytes
from .parsed import ParsedActivity

# Below this many files everything is parsed in process.
MIN_PARALLEL_FILES = 8
# Files handed to the workers ahead of the one being stored, per worker: keeps both cores busy, bounds memory.
IN_FLIGHT_PER_WORKER = 4
MAX_WORKERS = 4
PR_SET_PDEATHSIG = 1  # linux/prctl.h


@dataclass(frozen=True, slots=True)
class ParsedItem:
    """One item's outcome: its activities, or the one-line error that skipped it."""

    item: ImportItem
    size: int  # bytes read; 0 when unreadable
    activities: list[ParsedActivity] = field(default_factory=list)
    error: FileImportError | None = None


def default_workers() -> int:
    """The cores this process may run on, at most MAX_WORKERS."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_WORKERS))


def parse_items(items: Iterable[ImportItem], *, workers: int | None = None) -> Iterator[ParsedItem]:
    """Every item parsed, in order; `workers` 1 parses in process, None uses `default_workers()`."""
    count = default_workers() if workers is None else workers
    stream = iter(items)
    head = list(itertools.islice(stream, MIN_PARALLEL_FILES))
    if count <= 1 or len(head) < MIN_PARALLEL_FILES:
        yield from (_parse_here(item) for item in itertools.chain(head, stream))
        return
    with ProcessPoolExecutor(count, mp_context=_context(), initializer=_die_with_parent) as pool:
        pending: deque[tuple[ImportItem, int, Future[list[ParsedActivity]] | FileImportError]] = deque()
        for item in itertools.chain(head, stream):
            pending.append(_submit(pool, item))
            if len(pending) >= count * IN_FLIGHT_PER_WORKER:
                yield _collect(*pending.popleft())
        while pending:
            yield _collect(*pending.popleft())


def _context() -> BaseContext:
    """Plain fork when this process runs a single thread (the CLI import), else the fork server, else spawn.

    fork is the cheapest start by far (the parsers are already imported), but forking a process with other threads
    (the daemon's scheduler, a web server) can copy a lock another thread holds into the child. The
    fork server is a clean process that imports the parsers once and forks each worker from there.
    """
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and _single_threaded():
        return multiprocessing.get_context("fork")
    if "forkserver" in methods:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([parse_item_bytes.__module__])
        return context
    return multiprocessing.get_context("spawn")


def _single_threaded() -> bool:
    """No other Python thread (what CPython's fork warning counts); numpy's BLAS threads hold no Python lock."""
    return threading.active_count() == 1


def _die_with_parent() -> None:
    """Worker start: never outlive the import. A killed `syncd import` (SIGKILL, OOM killer) cannot shut its pool
    down; orphaned workers would wait for work forever, holding the terminal's or the service's pipes open.

    Linux kills the worker with its parent (PR_SET_PDEATHSIG); elsewhere a watchdog thread notices the parent is
    gone within a second.
    """
    parent = os.getppid()
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    else:
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True, name="parent-watch").start()
    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(1)


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(1)


def _parse_here(item: ImportItem) -> ParsedItem:
    try:
        data = item.read()
    except FileImportError as exc:
        return ParsedItem(item, 0, error=exc)
    try:
        return ParsedItem(item, len(data), parse_item_bytes(data, item.name, item.export_row))
    except FileImportError as exc:
        return ParsedItem(item, len(data), error=exc)


def _submit(
    pool: ProcessPoolExecutor, item: ImportItem
) -> tuple[ImportItem, int, Future[list[ParsedActivity]] | FileImportError]:
    try:
        data = item.read()
    except FileImportError as exc:
        return item, 0, exc
    return item, len(data), pool.submit(_parse_job, data, item.name, item.export_row)


def _parse_job(data: bytes, name: str, export_row: Mapping[str, str] | None) -> list[ParsedActivity]:
    return parse_item_bytes(data, name, export_row)


def _collect(item: ImportItem, size: int, outcome: Future[list[ParsedActivity]] | FileImportError) -> ParsedItem:
    if isinstance(outcome, FileImportError):
        return ParsedItem(item, size, error=outcome)
    try:
        return ParsedItem(item, size, outcome.result())
    except FileImportError as exc:
        return ParsedItem(item, size, error=exc)
    except Exception as exc:  # the worker died (killed, out of memory): this file fails, the next ones go on
        problem = f"the parser process failed ({type(exc).__name__})"
        return ParsedItem(item, size, error=FileImportError(item.name, problem, "import the file again"))
