"""Parse import items on several cores: the caller's process reads them in order, worker processes parse them
(adapters/parallel.py), and the results come back in the same order, a bounded number in flight.

Parsing is CPU-bound (XML, FIT decoding, distance smoothing) and files are independent, so a Strava export of
thousands of files parses about twice as fast on two cores. Reading stays in the caller's process (a zip member
cannot be read from another process, and one reader keeps the disk sequential). A worker that dies (killed, out of
memory) fails only the files it held, with one line each.

The pool starts only when the work pays for it (issue 32: a folder of 32 recordings, 11 MB, took 4.5 s pooled and
3.5 s in one process). With no `workers` given: an import whose first LOOKAHEAD items are all there is and hold
less than MIN_PARALLEL_BYTES (gzip counted as inflated) is parsed in process, and so is any import while the
machine has no idle core (the load average is at the core count: workers would only queue behind it). An explicit
`workers` (`--jobs N`) is obeyed for anything but a handful of files.
"""

from __future__ import annotations

import itertools
import os
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace

from syncd.adapters.parallel import ProcessMap, default_workers

from .errors import FileImportError
from .items import ImportItem, parse_item_bytes
from .parsed import ParsedActivity

# Below this many files everything is parsed in process.
MIN_PARALLEL_FILES = 8
# Below this much data (in an import no longer than LOOKAHEAD items) starting workers costs more than it saves.
MIN_PARALLEL_BYTES = 48 * 2**20
LOOKAHEAD = 256
_GZIP_RATIO = 8  # a gzipped GPX/TCX inflates about this much

__all__ = ["MIN_PARALLEL_BYTES", "MIN_PARALLEL_FILES", "ParsedItem", "default_workers", "parse_items"]


@dataclass(frozen=True, slots=True)
class ParsedItem:
    """One item's outcome: its activities, or the one-line error that skipped it."""

    item: ImportItem
    size: int  # bytes read; 0 when unreadable
    activities: list[ParsedActivity] = field(default_factory=list)
    error: FileImportError | None = None


@dataclass(frozen=True, slots=True)
class _Read:
    """What goes to a worker: the bytes read here, or why they could not be."""

    name: str
    export_row: Mapping[str, str] | None
    data: bytes = b""
    error: FileImportError | None = None
    max_activities: int | None = None  # [files] max_activities_per_file


def parse_items(
    items: Iterable[ImportItem], *, workers: int | None = None, max_activities: int | None = None
) -> Iterator[ParsedItem]:
    """Every item parsed, in order; `workers` 1 parses in process, None uses `default_workers()`."""
    stream = iter(items)
    head = list(itertools.islice(stream, LOOKAHEAD))
    held: deque[tuple[ImportItem, int]] = deque()  # the items (and bytes read) whose results are to come

    def reads() -> Iterator[_Read]:
        for item in itertools.chain(head, stream):
            read = replace(_read(item), max_activities=max_activities)
            held.append((item, len(read.data)))
            yield read

    more = len(head) == LOOKAHEAD
    with ProcessMap(_processes(head, more=more, workers=workers), preload=[__name__]) as pool:
        for outcome in pool.map(_parse_job, reads()):
            yield _collect(*held.popleft(), outcome)


def _processes(head: list[ImportItem], *, more: bool, workers: int | None) -> int | None:
    """1 (parse in process) unless the work pays for workers; else `workers` (None: one per core)."""
    if len(head) < MIN_PARALLEL_FILES:
        return 1
    if workers is not None:
        return workers
    weight = sum(item.size * (_GZIP_RATIO if item.name.endswith(".gz") else 1) for item in head)
    if not more and weight < MIN_PARALLEL_BYTES:
        return 1
    return None if _idle_cores() >= 1 else 1


def _idle_cores() -> float:
    try:
        return default_workers() - os.getloadavg()[0]
    except OSError:  # no load average on this system: assume the cores are free
        return float(default_workers())


def _read(item: ImportItem) -> _Read:
    try:
        return _Read(item.name, item.export_row, item.read())
    except FileImportError as exc:
        return _Read(item.name, item.export_row, error=exc)


def _parse_job(read: _Read) -> list[ParsedActivity]:
    """In a worker: the read item's activities; raises its one-line FileImportError."""
    if read.error is not None:
        raise read.error
    return parse_item_bytes(read.data, read.name, read.export_row, max_activities=read.max_activities)


def _collect(item: ImportItem, size: int, outcome: list[ParsedActivity] | Exception) -> ParsedItem:
    if isinstance(outcome, FileImportError):
        return ParsedItem(item, size, error=outcome)
    if isinstance(outcome, Exception):  # the worker died (killed, out of memory): this file fails, the rest go on
        problem = f"the parser process failed ({type(outcome).__name__})"
        return ParsedItem(item, size, error=FileImportError(item.name, problem, "import the file again"))
    return ParsedItem(item, size, outcome)
