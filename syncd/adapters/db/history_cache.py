"""The feed's history reads (the week strip, the session cards): rows read whole only where they changed.

After any change every feed page's strip and session counts read the athlete's last ~14 weeks again (~330 rows at
100,000 activities, 16 ms with their dates and summaries on a busy machine), though usually one row is new. Here a
thin read of the same range (each row's id and what witnesses a change to it) says which rows the cache holds as
they are; only the others are read whole. A change shows in `updated_at` or `content_hash` (every write of an
activity's content sets both) or in `logical_group` (a twin link sets neither), so the answer is always what
`annotation_queries.history_rows` reads (tests/integration/test_history_cache.py): nothing here is a version guess.
"""

from __future__ import annotations

import weakref
from datetime import UTC, datetime
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy import Engine

from syncd.adapters.db.mapping import HISTORY_COLUMNS, history_entry
from syncd.adapters.db.models import ACTIVITIES
from syncd.domain.history import HistoryRow
from syncd.lru import Lru

CACHE_ROWS = 4096  # a dozen athletes' strips (~330 rows each); a row is ~0.5 kB


class _Held(NamedTuple):
    witness: tuple[Any, ...]
    row: HistoryRow


# Raw values (no datetime per row on SQLite): compared for equality only, never read as dates.
_WITNESS = (
    sa.type_coerce(ACTIVITIES.c.updated_at, sa.String).label("w_updated"),
    ACTIVITIES.c.content_hash.label("w_hash"),
    ACTIVITIES.c.logical_group.label("w_group"),
)
_RANGE = (
    ACTIVITIES.c.athlete_id == sa.bindparam("athlete"),
    ~ACTIVITIES.c.deleted,
    ACTIVITIES.c.start_utc >= sa.bindparam("start", type_=ACTIVITIES.c.start_utc.type),
    ACTIVITIES.c.start_utc < sa.bindparam("end", type_=ACTIVITIES.c.start_utc.type),
)
# Built once: constructing a statement costs about as much as running the thin one.
_THIN = sa.select(ACTIVITIES.c.id, *_WITNESS).where(*_RANGE).order_by(ACTIVITIES.c.start_utc, ACTIVITIES.c.id)
_WHOLE_RANGE = sa.select(ACTIVITIES.c.id, *_WITNESS, *HISTORY_COLUMNS).where(*_RANGE)
_WHOLE_BY_ID = sa.select(ACTIVITIES.c.id, *_WITNESS, *HISTORY_COLUMNS).where(
    ACTIVITIES.c.id.in_(sa.bindparam("ids", expanding=True))
)
_WIDTH = 1 + len(_WITNESS)

_CACHES: weakref.WeakKeyDictionary[Engine, Lru[int, _Held]] = weakref.WeakKeyDictionary()


def _cache(engine: Engine) -> Lru[int, _Held]:
    return _CACHES.setdefault(engine, Lru(CACHE_ROWS))


def history_rows(engine: Engine, athlete_id: int, start: datetime, end: datetime) -> list[HistoryRow]:
    """The athlete's not-deleted activities with start <= start_utc < end, ordered by (start_utc, id)."""
    cache = _cache(engine)
    params = {"athlete": athlete_id, "start": start.astimezone(UTC), "end": end.astimezone(UTC)}
    with engine.connect() as conn:
        thin = conn.execute(_THIN, params).all()
        rows: dict[int, HistoryRow] = {}
        missing: list[int] = []
        for found, held in zip(thin, cache.find_many([found[0] for found in thin]), strict=True):
            if held is not None and held.witness == tuple(found)[1:]:
                rows[found[0]] = held.row
            else:
                missing.append(found[0])
        if missing:  # few: by id; most (a cold cache, a new range): the range itself
            whole = _WHOLE_RANGE if 2 * len(missing) > len(thin) else _WHOLE_BY_ID
            for found in conn.execute(whole, {**params, "ids": missing}):
                held = _Held(tuple(found)[1:_WIDTH], HistoryRow(found[0], found.logical_group, history_entry(found)))
                cache.put(found[0], held)  # with the witness read with it: a later thin read compares to that
                rows[found[0]] = held.row
    # a row deleted between the two reads is left out, one stored in between waits for the next read
    return [rows[found[0]] for found in thin if found[0] in rows]
