"""One entry point for one file's bytes: decompress, detect the format, hash, and hand to the format's parser."""

from __future__ import annotations

import contextlib
import gc
import hashlib
import itertools
import os
import re
import signal
import stat
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from syncd.domain.sport_inference import with_inferred_sport

from .detect import GZIP_MAGIC, MAX_FILE_BYTES, ZIP_MAGIC, Format, detect, gunzip
from .errors import FileImportError
from .fit import parse_fit
from .gpx import parse_gpx
from .local_time import with_local_time
from .parsed import ParsedActivity
from .tcx import parse_tcx
from .validate import check_parsed

PARSE_BUDGET_S = 120.0  # a damaged multi-day FIT on the tolerant decoder (~0.4 MB/s) fits; a hang does not


def parse_bytes(
    data: bytes, name: str, *, max_activities: int | None = None, budget_s: float = PARSE_BUDGET_S
) -> list[ParsedActivity]:
    """The activities in one file (FIT/GPX/TCX, optionally gzipped); raises FileImportError on bad input.
    `max_activities`: `[files] max_activities_per_file` (None: the default); `budget_s`: see `_time_budget`.

    `content_sha256` hashes the decompressed bytes, so the same recording gzipped or not imports once.
    """
    if not data:
        raise FileImportError(name, "empty file (0 bytes)", "copy the file again from the device or platform")
    if data[:2] == GZIP_MAGIC:
        data = gunzip(data, name)
        if not data:
            raise FileImportError(name, "empty file inside gzip", "copy the file again from the device or platform")
    if data[:4] == ZIP_MAGIC:
        raise FileImportError(
            name, "a zip archive, not a single activity file", "import the .zip itself (folders and zips are expanded)"
        )
    fmt = detect(data, name)
    _check_points(data, fmt, name)
    sha256 = hashlib.sha256(data).hexdigest()
    try:
        with _time_budget(name, budget_s), _gc_paused():
            if fmt is Format.FIT:
                activities = parse_fit(data, name, sha256, max_activities=max_activities)
            else:
                activities = (parse_gpx if fmt is Format.GPX else parse_tcx)(data, name, sha256)
        for parsed in activities:
            check_parsed(parsed)
        return [
            replace(parsed, activity=with_inferred_sport(with_local_time(parsed.activity))) for parsed in activities
        ]
    except FileImportError:
        raise
    except Exception as exc:  # a reader tripping over hostile content: one line, never a traceback
        problem = f"not a readable {fmt.value.upper()} file ({type(exc).__name__}: {_first_line(exc)})"
        raise FileImportError(name, problem, "export the activity again from the device or platform") from exc


# GPX/TCX: the XML readers hold every point as objects (~1.3 KB each today), so a 64 MiB file of bare points
# would take over a gigabyte per worker; refused on a byte-level count first (5.8 days of 1 Hz samples is plenty).
MAX_XML_POINTS = 500_000
_POINTS = {
    Format.GPX: (b"trkpt", re.compile(rb"<(?:[\w.-]+:)?trkpt[\s/>]")),
    Format.TCX: (b"Trackpoint", re.compile(rb"<(?:[\w.-]+:)?Trackpoint[\s/>]")),
}


def _check_points(data: bytes, fmt: Format, name: str) -> None:
    """Refuse a GPX/TCX file of more than MAX_XML_POINTS track points before the XML reader builds them."""
    found = _POINTS.get(fmt)
    if found is None:
        return
    word, pattern = found
    if len(data) <= MAX_XML_POINTS * len(word):  # a point spells its tag in full at least once: cannot be too many
        return
    if data.count(word) <= MAX_XML_POINTS:  # every point names the word at least once: a fast upper bound
        return
    count = sum(1 for _ in itertools.islice(pattern.finditer(data), MAX_XML_POINTS + 1))
    if count > MAX_XML_POINTS:
        problem = f"{fmt.value.upper()} file holds more than {MAX_XML_POINTS:,} track points"
        raise FileImportError(name, problem, "this is not a recording a device makes; split it or export it again")


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """The cyclic garbage collector off while one file is parsed (issue 32: ~25 % of GPX/TCX reading).

    A parse allocates tens of thousands of tree elements and rows, none of them in a reference cycle, and each
    700 allocations would wake the collector to walk them (and now and then the whole heap: SQLAlchemy, the
    rules). Reference counting still frees everything as usual; the collector runs again after the file. Left as
    found: only the caller that turned it off turns it back on (nested parses, another thread's parse)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


class _OverBudget(BaseException):  # BaseException: passes the parsers' `except Exception`
    """Raised into a parser whose time budget ran out."""


@contextlib.contextmanager
def _time_budget(name: str, seconds: float) -> Iterator[None]:
    """A parser running longer than `seconds` is stopped (SIGALRM) and the file refused in one line. Only in a main
    thread (the CLI, the import workers): signals cannot reach another thread, so the daemon's watched folder
    relies on the size and count limits alone."""
    if threading.current_thread() is not threading.main_thread() or seconds <= 0:
        yield
        return

    def expired(_signum: int, _frame: object) -> None:
        raise _OverBudget

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)  # one shot: it fires at most once
    try:
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    except _OverBudget:  # also when it fired just as the parser returned
        problem = f"reading it took longer than {seconds:g} s"
        raise FileImportError(name, problem, "this is not a recording a device makes; export it again") from None
    finally:
        signal.signal(signal.SIGALRM, previous)


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0][:200] if lines else "no detail"


def load_activities(path: Path) -> list[ParsedActivity]:
    """Parse one file on disk (a convenience for tests, rules and `syncd annotate`)."""
    return parse_bytes(read_file(path), str(path))


def read_file(path: Path) -> bytes:
    """A regular file's bytes (at most MAX_FILE_BYTES), with OS errors turned into one-line FileImportErrors.

    Opened non-blocking and checked on the open descriptor: a FIFO named `x.gpx` would block forever and a symlink
    to /dev/zero named `x.fit` would be read until memory runs out.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        with os.fdopen(fd, "rb") as handle:
            mode = os.fstat(handle.fileno()).st_mode
            if not stat.S_ISREG(mode):
                kind = "a FIFO" if stat.S_ISFIFO(mode) else "a device" if stat.S_ISCHR(mode) else "not a regular file"
                if stat.S_ISDIR(mode):
                    raise IsADirectoryError(path)
                raise FileImportError(path, f"{kind}, not an activity file", "import regular FIT, GPX or TCX files")
            data = handle.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            problem = f"larger than {MAX_FILE_BYTES // 2**20} MiB, not an activity file"
            raise FileImportError(path, problem, "import the activity files themselves")
        return data
    except FileNotFoundError as exc:
        raise FileImportError(path, "no such file", "check the path") from exc
    except PermissionError as exc:
        raise FileImportError(path, "permission denied", "make the file readable by the syncd user") from exc
    except IsADirectoryError as exc:
        raise FileImportError(path, "is a directory", "pass files, or import the folder itself") from exc
    except OSError as exc:
        raise FileImportError(path, f"cannot read file ({exc.strerror or exc})", "check the file and disk") from exc
