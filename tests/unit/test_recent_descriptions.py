from __future__ import annotations

from syncd.adapters.recent_descriptions import RecentDescriptions
from syncd.ports import RemoteDescription

NOTE = RemoteDescription(text="my run", private=False)


class Ticker:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def test_a_fresh_description_is_reused_once() -> None:
    clock = Ticker()
    recent = RecentDescriptions(fresh_s=120, monotonic=clock)
    recent.remember(1, "42", NOTE)
    clock.t = 119
    assert recent.take(1, "42") == NOTE
    assert recent.take(1, "42") is None  # used: the next write reads the platform again


def test_a_stale_or_unknown_description_is_read_again() -> None:
    clock = Ticker()
    recent = RecentDescriptions(fresh_s=120, monotonic=clock)
    recent.remember(1, "42", NOTE)
    clock.t = 121
    assert recent.take(1, "42") is None
    assert recent.take(2, "42") is None  # another athlete's activity id is another key


def test_old_entries_are_pruned_so_the_cache_stays_small() -> None:
    clock = Ticker()
    recent = RecentDescriptions(fresh_s=10, monotonic=clock)
    for i in range(1001):
        recent.remember(1, str(i), NOTE)
    clock.t = 11
    recent.remember(1, "new", NOTE)
    assert len(recent._seen) == 1
