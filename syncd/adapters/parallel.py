"""Run a pure, CPU-bound function over many items on several cores, results in the items' order.

Used where one process owns the I/O (a zip being read, the database being written) and the work in between is
independent per item: parsing imported files, running the rules over stored activities. The caller's process
feeds the workers a bounded number of items ahead, so memory stays flat however many items there are. A work
function's exception comes back as that item's outcome; a worker that dies (killed, out of memory) fails the items
it held and the pool is started again for the rest.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.context import BaseContext
from types import TracebackType
from typing import Self

from syncd.ports import InProcess

# Items handed to the workers ahead of the one being collected, per worker: keeps every core busy, bounds memory.
IN_FLIGHT_PER_WORKER = 4
MAX_WORKERS = 4
PR_SET_PDEATHSIG = 1  # linux/prctl.h


def default_workers() -> int:
    """The cores this process may run on, at most MAX_WORKERS."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_WORKERS))


class ProcessMap:
    """A pool of worker processes, started on first use and kept for every `map` until `close`.

    `preload` names the modules the work functions live in: a fork server imports them once, so each worker it
    forks starts with them loaded.
    """

    def __init__(self, workers: int | None = None, *, preload: Sequence[str] = ()) -> None:
        self.workers = default_workers() if workers is None else max(1, workers)
        self._preload = list(preload)
        self._pool: ProcessPoolExecutor | None = None
        self.sent = 0  # items handed to worker processes (what a test or a report can check)

    def map[T, R](self, work: Callable[[T], R], items: Iterable[T]) -> Iterator[R | Exception]:
        """Each item's result (or its exception) in order; one worker means in this process."""
        if self.workers <= 1:
            yield from InProcess().map(work, items)
            return
        pending: deque[tuple[T, Future[R]]] = deque()
        for item in items:
            pending.append((item, self._submit(work, item)))
            if len(pending) >= self.workers * IN_FLIGHT_PER_WORKER:
                done = self._collect(work, pending.popleft())
                yield done
        while pending:
            done = self._collect(work, pending.popleft())
            yield done

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()

    def _submit[T, R](self, work: Callable[[T], R], item: T) -> Future[R]:
        if self._pool is None:
            context = _context(self._preload)
            self._pool = ProcessPoolExecutor(self.workers, mp_context=context, initializer=_die_with_parent)
        self.sent += 1
        try:
            return self._pool.submit(work, item)
        except BrokenProcessPool as exc:  # broken since the last collect: the item is retried when collected
            failed: Future[R] = Future()
            failed.set_exception(exc)
            return failed

    def _collect[T, R](self, work: Callable[[T], R], submitted: tuple[T, Future[R]]) -> R | Exception:
        item, outcome = submitted
        try:
            return outcome.result()
        except BrokenProcessPool:
            # A worker died and took every item in flight with it. Run each again alone in a fresh pool: the one
            # that kills its worker again fails, the others come back as if nothing had happened.
            self._discard_pool()
            retry = self._submit(work, item)
            try:
                return retry.result()
            except BrokenProcessPool as exc:
                self._discard_pool()
                return exc
            except Exception as exc:
                return exc
        except Exception as exc:  # the work's own error, raised in the worker
            return exc

    def _discard_pool(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None


def _context(preload: list[str]) -> BaseContext:
    """Plain fork when this process runs a single thread (the CLI), else the fork server, else spawn.

    fork is the cheapest start by far (the work's modules are already imported), but forking a process with other
    threads (the daemon's scheduler, a web server) can copy a lock another thread holds into the child. The fork
    server is a clean process that imports the work's modules once and forks each worker from there.
    """
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and _single_threaded():
        return multiprocessing.get_context("fork")
    if "forkserver" in methods:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(preload)
        return context
    return multiprocessing.get_context("spawn")


def _single_threaded() -> bool:
    """No other Python thread (what CPython's fork warning counts); numpy's BLAS threads hold no Python lock."""
    return threading.active_count() == 1


def _die_with_parent() -> None:
    """Worker start: never outlive the caller. A killed `syncd import` (SIGKILL, OOM killer) cannot shut its pool
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
