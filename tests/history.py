"""The history as the services cut it (syncd.domain.history.History over the store's rows), for any span and
any excluded activity: what the store's own `history(..., exclude_id=)` query used to answer."""

from __future__ import annotations

from datetime import datetime

from syncd.adapters.db import Store
from syncd.domain.history import History, HistoryEntry


def history(
    store: Store, athlete_id: int, start: datetime, end: datetime, *, exclude_id: int | None = None
) -> list[HistoryEntry]:
    group = store.get_activity(exclude_id, with_streams=False).logical_group if exclude_id is not None else None
    rows = store.history_rows(athlete_id, start, end)
    return History(rows).span(start, end, activity_id=exclude_id, group=group)
