"""Loading an athlete's history for a use case: the store loads the rows, the domain cuts them
(`syncd.domain.history.History`, the one definition of "the history before this run")."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from syncd.domain.history import History, HistoryEntry

if TYPE_CHECKING:
    from syncd.ports import HistoryReader


def history_between(store: HistoryReader, athlete_id: int, start: datetime, end: datetime) -> list[HistoryEntry]:
    """What the athlete did in [start, end), each run synced from two sources once (the digest, the week strip)."""
    return History(store.history_rows(athlete_id, start, end)).span(start, end)
