"""A chunk of items stored in one unit of work, or, when that fails, each item in one of its own.

A fault then costs only the item it belongs to, found by trying the chunk's items one by one, oldest first (an
item may be the history of the ones after it). `syncd import` takes files so, the sync its older summaries.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any


def chunk_or_each[T](
    items: Sequence[T],
    attempt: Callable[[Sequence[T]], None],
    *,
    order: Callable[[T], Any],
    on_fault: Callable[[T, Exception], None],
) -> None:
    """`attempt(items)` (one unit of work, committed or rolled back whole); when it raises, `attempt([item])` for
    each item in `order`, and `on_fault(item, error)` for each that still fails."""
    if not items:
        return
    try:
        attempt(items)
        return
    except Exception:  # whose fault it was is found by trying the items one by one
        pass
    for item in sorted(items, key=order):
        try:
            attempt([item])
        except Exception as exc:
            on_fault(item, exc)
