"""Loading an athlete's history for a use case: the store loads the rows, the domain cuts them
(`syncd.domain.history.History`, the one definition of "the history before this run")."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from syncd.domain.history import HISTORY_WINDOW, History, HistoryEntry

if TYPE_CHECKING:
    from syncd.ports import HistoryReader
    from syncd.records import StoredActivity


def history_between(store: HistoryReader, athlete_id: int, start: datetime, end: datetime) -> list[HistoryEntry]:
    """What the athlete did in [start, end), each run synced from two sources once (the digest, the week strip)."""
    return History(store.history_rows(athlete_id, start, end)).span(start, end)


def history_of(
    store: HistoryReader, stored: StoredActivity, *, window: timedelta = HISTORY_WINDOW
) -> list[HistoryEntry]:
    """The history of a stored run: what started in `window` before it, never itself nor its twin."""
    start = stored.activity.start_utc
    rows = store.history_rows(stored.athlete_id, start - window, start)
    return History(rows).before(start, activity_id=stored.id, group=stored.logical_group, window=window)
