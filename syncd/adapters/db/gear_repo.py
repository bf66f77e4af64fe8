"""Gear (shoes): the platform's figures, the athlete's own limits, distance run since a date."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from syncd.adapters.db import reads
from syncd.adapters.db.base_repo import RepoBase, _aware
from syncd.adapters.db.models import ACTIVITIES, GEAR
from syncd.adapters.db.reads import raw_reader
from syncd.domain.model import Gear


class GearRepo(RepoBase):
    """The gear table, for the Store."""

    def gear_distance_after(self, athlete_id: int, gear_id: str, after: datetime) -> float:
        """Metres recorded with `gear_id` by activities that started after `after` (one run on two platforms once).

        A shoe's distance as of a run is the platform's figure today minus this: later runs never count.
        """
        stmt = sa.select(ACTIVITIES.c.logical_group, ACTIVITIES.c.distance_m).where(
            ACTIVITIES.c.athlete_id == athlete_id,
            ~ACTIVITIES.c.deleted,
            ACTIVITIES.c.gear_id == gear_id,
            ACTIVITIES.c.start_utc > _aware(after, "after"),
        )
        with self._engine.connect() as conn:
            rows = conn.execute(stmt).all()
        seen: set[str] = set()
        total = 0.0
        for row in rows:
            if row.logical_group is not None:
                if row.logical_group in seen:
                    continue
                seen.add(row.logical_group)
            total += float(row.distance_m or 0.0)
        return total

    def upsert_gear(self, athlete_id: int, gear: Gear) -> None:
        values = {
            "name": gear.name,
            "kind": gear.kind,
            "distance_m": gear.distance_m,
            "limit_m": gear.limit_m,
            "retired": gear.retired,
            "updated_at": self._now(),
        }
        stmt = self._insert(GEAR).values(athlete_id=athlete_id, gear_id=gear.gear_id, **values)
        with self._engine.begin() as conn:
            # A platform without per-shoe limits (Strava) never erases the limit set with `syncd athlete set`.
            keep_limit = {**values, "limit_m": sa.func.coalesce(stmt.excluded.limit_m, GEAR.c.limit_m)}
            conn.execute(stmt.on_conflict_do_update(index_elements=["athlete_id", "gear_id"], set_=keep_limit))

    def set_gear_limit(self, athlete_id: int, gear_id: str, limit_m: float | None) -> bool:
        """The athlete's own replacement distance for one shoe (None: back to `[rules] shoe_limit_km`)."""
        with self._engine.begin() as conn:
            result = conn.execute(
                sa.update(GEAR)
                .where(GEAR.c.athlete_id == athlete_id, GEAR.c.gear_id == gear_id)
                .values(limit_m=limit_m, updated_at=self._now())
            )
        return bool(result.rowcount)

    def get_gear(self, athlete_id: int, gear_id: str) -> Gear | None:
        with raw_reader(self._engine) as reader:
            found = reads.list_gear(reader, athlete_id, gear_id=gear_id)
        return found[0] if found else None

    def list_gear(self, athlete_id: int) -> list[Gear]:
        with raw_reader(self._engine) as reader:
            return reads.list_gear(reader, athlete_id)
