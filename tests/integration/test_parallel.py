"""adapters/parallel.py: results in order, a work error is that item's outcome, a worker that dies fails only the
item that killed it, one worker runs in process."""

from __future__ import annotations

import os
from concurrent.futures.process import BrokenProcessPool

import pytest

from syncd.adapters.parallel import ProcessMap
from syncd.ports import InProcess

KILLER = 13


def _square_or_fail(n: int) -> int:
    if n == 7:
        raise ValueError(f"seven is not allowed ({n})")
    if n == KILLER:
        os._exit(3)  # as the OOM killer would: no exception, the process is gone
    return n * n


def _pid(_n: int) -> int:
    return os.getpid()


def test_results_come_back_in_order_with_each_error_as_its_items_outcome() -> None:
    with ProcessMap(2) as pool:
        outcomes = list(pool.map(_square_or_fail, range(12)))
    assert [o for i, o in enumerate(outcomes) if i != 7] == [i * i for i in range(12) if i != 7]
    assert isinstance(outcomes[7], ValueError) and str(outcomes[7]) == "seven is not allowed (7)"


def test_a_dead_worker_fails_only_the_item_that_killed_it() -> None:
    items = [n for n in range(30) if n != 7]
    with ProcessMap(2) as pool:
        outcomes = list(pool.map(_square_or_fail, items))
        after = list(pool.map(_square_or_fail, [2, 3]))  # the pool is usable afterwards
    failed = [item for item, outcome in zip(items, outcomes, strict=True) if isinstance(outcome, Exception)]
    assert failed == [KILLER]
    assert isinstance(outcomes[items.index(KILLER)], BrokenProcessPool)
    assert [o for item, o in zip(items, outcomes, strict=True) if item != KILLER] == [
        n * n for n in items if n != KILLER
    ]
    assert after == [4, 9]


def test_the_work_runs_in_other_processes_and_one_worker_runs_here() -> None:
    with ProcessMap(2) as pool:
        pids = set(pool.map(_pid, range(16)))
    assert os.getpid() not in pids and len(pids) >= 1
    with ProcessMap(1) as pool:
        assert set(pool.map(_pid, range(4))) == {os.getpid()}


def test_in_process_keeps_going_after_an_error() -> None:
    outcomes = list(InProcess().map(_square_or_fail, [6, 7, 8]))
    assert outcomes[0] == 36 and outcomes[2] == 64
    assert isinstance(outcomes[1], ValueError)


@pytest.mark.parametrize("workers", [0, -3])
def test_fewer_than_one_worker_means_one(workers: int) -> None:
    assert ProcessMap(workers).workers == 1
