"""A small thread-safe least-recently-used map: memoised work keyed by everything the work depends on.

The feed keeps decoded flags per annotation id, card views and rendered cards per card key (the values on the card),
so a page whose rows did not change costs its queries, not its decoding and rendering. The key is the whole input,
never a version guess: a changed row makes a new key and the old entry simply ages out.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from typing import cast

_MISSING = object()


class Lru[K: Hashable, V]:
    def __init__(self, size: int) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._values: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K, compute: Callable[[], V]) -> V:
        """The value for `key`, computed (outside the lock: two threads may both compute it once) when missing."""
        with self._lock:
            found = self._values.get(key, _MISSING)
            if found is not _MISSING:
                self._values.move_to_end(key)  # two hashes of the key, not three: keys can be long tuples
                return cast(V, found)
        value = compute()
        self.put(key, value)
        return value

    def find_many(self, keys: Iterable[K]) -> list[V | None]:
        """The value held for each key (None where none; a hit counts as a use), under one lock (a history read
        looks up ~330 rows)."""
        with self._lock:
            found: list[V | None] = []
            for key in keys:
                value = self._values.get(key)
                if value is not None:
                    self._values.move_to_end(key)
                found.append(value)
            return found

    def put(self, key: K, value: V) -> None:
        """Hold `value` for `key` as the most recently used, dropping the least recently used beyond the size."""
        with self._lock:
            self._values[key] = value
            self._values.move_to_end(key)
            while len(self._values) > self._size:
                self._values.popitem(last=False)

    def __len__(self) -> int:
        return len(self._values)
