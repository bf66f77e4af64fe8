"""The back-pain diary table: record, read, remove, export and delete entries (health data, never logged).

Kept beside the Store rather than inside it: the diary is its own aggregate with its own rules (one entry per run
and source, one per day for entries without a run), and it only needs the engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy import Engine

from syncd.adapters.db import reads
from syncd.adapters.db.annotation_queries import STALE
from syncd.adapters.db.base_repo import insert_for
from syncd.adapters.db.errors import NotFoundError
from syncd.adapters.db.models import ACTIVITIES, ANNOTATIONS, ATHLETES, PAIN_ENTRIES
from syncd.adapters.db.reads import raw_reader
from syncd.domain.model import RUN_SPORTS
from syncd.domain.pain import PainEntry, PainSource


def slot_for(source: PainSource, day: date, activity_id: int | None) -> str:
    """One tag entry per run, one form entry per run, and one entry per day for everything without a run."""
    if activity_id is not None:
        return f"{source.value}:{activity_id}"
    return f"day:{day.isoformat()}"


class PainRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._insert = insert_for(engine)

    # ---- entries ----------------------------------------------------------------------------------------------

    def record(self, entry: PainEntry, *, now: datetime | None = None) -> PainEntry:
        """Insert or replace the entry in its slot; returns it as stored."""
        recorded = (now or datetime.now(UTC)).astimezone(UTC)
        values = {
            "day": entry.day,
            "score": entry.score,
            "note": entry.note,
            "source": entry.source.value,
            "activity_id": entry.activity_id,
            "recorded_at": recorded,
        }
        slot = slot_for(entry.source, entry.day, entry.activity_id)
        stmt = self._insert(PAIN_ENTRIES).values(athlete_id=entry.athlete_id, slot=slot, **values)
        with self._engine.begin() as conn:
            conn.execute(stmt.on_conflict_do_update(index_elements=["athlete_id", "slot"], set_=values))
            row_id = conn.execute(
                sa.select(PAIN_ENTRIES.c.id).where(
                    PAIN_ENTRIES.c.athlete_id == entry.athlete_id, PAIN_ENTRIES.c.slot == slot
                )
            ).scalar_one()
        return next(e for e in self.entries(entry.athlete_id, day_from=entry.day, day_to=entry.day) if e.id == row_id)

    def tag_entry(self, activity_id: int) -> PainEntry | None:
        with raw_reader(self._engine) as reader:
            found = [e for e in reads.pain_entries(reader, activity_id=activity_id) if e.source is PainSource.TAG]
        return found[0] if found else None

    def tagged_activities(self, activity_ids: Sequence[int]) -> set[int]:
        """Which of these activities hold a #back tag entry (a batch asks once instead of once per activity)."""
        if not activity_ids:
            return set()
        stmt = sa.select(PAIN_ENTRIES.c.activity_id).where(
            PAIN_ENTRIES.c.activity_id.in_(activity_ids), PAIN_ENTRIES.c.source == PainSource.TAG.value
        )
        with self._engine.connect() as conn:
            return {int(i) for i in conn.execute(stmt).scalars() if i is not None}

    def remove_tag(self, activity_id: int) -> bool:
        """The runner deleted the tag from the activity: the entry goes too."""
        with self._engine.begin() as conn:
            result = conn.execute(
                sa.delete(PAIN_ENTRIES).where(
                    PAIN_ENTRIES.c.activity_id == activity_id, PAIN_ENTRIES.c.source == PainSource.TAG.value
                )
            )
        return bool(result.rowcount)

    def entries(
        self, athlete_id: int | None = None, *, day_from: date | None = None, day_to: date | None = None
    ) -> list[PainEntry]:
        """Entries oldest first (by day, then when recorded), each with its run's start when it has one."""
        with raw_reader(self._engine) as reader:
            return reads.pain_entries(reader, athlete_id, day_from=day_from, day_to=day_to)

    def delete_athlete(self, athlete_id: int) -> int:
        with self._engine.begin() as conn:
            result = conn.execute(sa.delete(PAIN_ENTRIES).where(PAIN_ENTRIES.c.athlete_id == athlete_id))
        return int(result.rowcount or 0)

    def count(self, athlete_id: int) -> int:
        with self._engine.connect() as conn:
            return int(
                conn.execute(
                    sa.select(sa.func.count()).select_from(PAIN_ENTRIES).where(PAIN_ENTRIES.c.athlete_id == athlete_id)
                ).scalar_one()
            )

    # ---- what the diary needs from the rest of the store --------------------------------------------------------

    def advice_mode(self, athlete_id: int) -> str | None:
        with raw_reader(self._engine) as reader:
            return reads.advice_mode(reader, athlete_id)

    def set_advice_mode(self, athlete_id: int, mode: str | None) -> None:
        with self._engine.begin() as conn:
            result = conn.execute(sa.update(ATHLETES).where(ATHLETES.c.id == athlete_id).values(advice_mode=mode))
        if result.rowcount == 0:
            raise NotFoundError(f"no athlete with id {athlete_id}: list athletes with `syncd athlete list`")

    def first_activity_day(self, athlete_id: int) -> date | None:
        """The local date of the athlete's first recorded activity (a diary entry before it is refused)."""
        with self._engine.connect() as conn:
            first = conn.execute(
                sa.select(sa.func.min(ACTIVITIES.c.start_local)).where(
                    ACTIVITIES.c.athlete_id == athlete_id, ~ACTIVITIES.c.deleted
                )
            ).scalar()
        if first is None:
            return None
        return first.date() if isinstance(first, datetime) else datetime.fromisoformat(str(first)).date()

    def keep_description(self, activity_id: int, text: str | None) -> None:
        """The description as just read from the platform, so re-annotating later reads the runner's current tag."""
        with self._engine.begin() as conn:
            conn.execute(sa.update(ACTIVITIES).where(ACTIVITIES.c.id == activity_id).values(description=text))

    def mark_runs_stale(self, athlete_id: int, day_from: date, day_to: date) -> int:
        """Make `reannotate` redo the notes of runs on day_from..day_to (local), whose mode an entry may change."""
        latest = (
            sa.select(sa.func.max(ANNOTATIONS.c.id))
            .join(ACTIVITIES, ACTIVITIES.c.id == ANNOTATIONS.c.activity_id)
            .where(
                ACTIVITIES.c.athlete_id == athlete_id,
                ACTIVITIES.c.sport.in_([s.value for s in RUN_SPORTS]),
                ACTIVITIES.c.start_local >= datetime.combine(day_from, time()),
                ACTIVITIES.c.start_local < datetime.combine(day_to + timedelta(days=1), time()),
            )
            .group_by(ANNOTATIONS.c.activity_id)
        )
        with self._engine.begin() as conn:
            ids = list(conn.execute(latest).scalars())
            if ids:
                conn.execute(sa.update(ANNOTATIONS).where(ANNOTATIONS.c.id.in_(ids)).values(rules_version=STALE))
        return len(ids)
