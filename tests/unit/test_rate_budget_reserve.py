"""The write reserve covers the whole write-back: the read of the description before it and the write (issue 17)."""

from __future__ import annotations

from datetime import UTC, datetime

from syncd.domain.rate_budget import BudgetState, after_spend, decide, next_short_reset

NOW = datetime(2026, 11, 23, 6, 7, tzinfo=UTC)


def _state(read_short_usage: int, short_usage: int) -> BudgetState:
    return BudgetState(
        read_short_usage=read_short_usage,
        short_usage=short_usage,
        short_window_start=datetime(2026, 11, 23, 6, 0, tzinfo=UTC),
        daily_window_start=datetime(2026, 11, 23, tzinfo=UTC),
    )


def test_sync_reads_stop_at_the_reserve_but_the_write_back_read_and_write_go_through() -> None:
    state = _state(read_short_usage=90, short_usage=150)  # read limit 100, reserve 10: sync reads are done
    sync_read = decide(state, "read", NOW, write_reserve=10)
    assert not sync_read.allowed and sync_read.resume_at == next_short_reset(NOW)
    assert decide(state, "writeback_read", NOW, write_reserve=10).allowed
    state = after_spend(state, "writeback_read", NOW)
    assert (state.read_short_usage, state.short_usage) == (91, 151)  # it counts as a read
    assert decide(state, "write", NOW, write_reserve=10).allowed


def test_write_back_reads_still_respect_the_limits_themselves() -> None:
    state = _state(read_short_usage=100, short_usage=150)
    decision = decide(state, "writeback_read", NOW, write_reserve=10)
    assert not decision.allowed and decision.resume_at == next_short_reset(NOW)
    assert decide(state, "write", NOW, write_reserve=10).allowed  # writes only count against the overall limit
