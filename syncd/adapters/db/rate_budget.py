"""The Strava rate budget in the database, shared by every worker of the same Strava application.

Each change is read-modify-write in one transaction that starts with a no-op UPDATE of the budget row: on
PostgreSQL that takes the row lock, on SQLite the database write lock, so two workers never both spend the last
request. The arithmetic is pure (syncd.domain.rate_budget); this module only loads and saves it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import Connection, Engine

from syncd.adapters.db import status_reads
from syncd.adapters.db.base_repo import insert_for
from syncd.adapters.db.models import RATE_BUDGET
from syncd.adapters.db.reads import raw_reader
from syncd.domain.rate_budget import (
    BudgetState,
    Decision,
    Kind,
    RateSnapshot,
    after_spend,
    decide,
    exhausted,
    observed,
)


class DbRateBudget:
    """One budget row (`key`, e.g. "strava:<client_id>") with atomic spend/observe operations."""

    def __init__(self, engine: Engine, key: str) -> None:
        self._engine = engine
        self.key = key
        self._insert = insert_for(engine)

    def state(self, now: datetime) -> BudgetState:
        """The budget as seen at `now` (ended windows count as unused)."""
        with raw_reader(self._engine) as reader:
            found = status_reads.budget_row(reader, self.key)
        return (found or BudgetState()).rolled(now)

    def try_spend(self, kind: Kind, now: datetime, *, write_reserve: int = 0) -> Decision:
        """Count one request of `kind` if it fits (keeping `write_reserve` for write-backs); atomic across workers."""
        result: list[Decision] = []

        def change(state: BudgetState) -> BudgetState | None:
            decision = decide(state, kind, now, write_reserve=write_reserve)
            result.append(decision)
            return after_spend(state, kind, now) if decision.allowed else None

        self._update(now, change)
        return result[0]

    def observe(self, snapshot: RateSnapshot, now: datetime) -> None:
        """Fold in the limits and usage a response reported."""
        if not snapshot.empty:
            self._update(now, lambda state: observed(state, snapshot, now))

    def mark_exhausted(self, now: datetime) -> None:
        """Strava answered 429: nobody reads again until the window resets."""
        self._update(now, lambda state: exhausted(state, now))

    def _update(self, now: datetime, change: Callable[[BudgetState], BudgetState | None]) -> None:
        with self._engine.begin() as conn:
            self._lock(conn, now)
            row = conn.execute(sa.select(RATE_BUDGET).where(RATE_BUDGET.c.key == self.key)).one()
            new = change(status_reads.budget_state(dict(row._mapping)))
            if new is not None:
                conn.execute(
                    sa.update(RATE_BUDGET).where(RATE_BUDGET.c.key == self.key).values(**_values(new), updated_at=now)
                )

    def _lock(self, conn: Connection, now: datetime) -> None:
        conn.execute(
            self._insert(RATE_BUDGET)
            .values(key=self.key, updated_at=now)
            .on_conflict_do_nothing(index_elements=["key"])
        )
        conn.execute(sa.update(RATE_BUDGET).where(RATE_BUDGET.c.key == self.key).values(key=RATE_BUDGET.c.key))


def _values(state: BudgetState) -> dict[str, object]:
    return {
        "short_limit": state.short_limit,
        "short_usage": state.short_usage,
        "daily_limit": state.daily_limit,
        "daily_usage": state.daily_usage,
        "read_short_limit": state.read_short_limit,
        "read_short_usage": state.read_short_usage,
        "read_daily_limit": state.read_daily_limit,
        "read_daily_usage": state.read_daily_usage,
        "short_window_start": state.short_window_start,
        "daily_window_start": state.daily_window_start,
    }
