"""Athletes: who they are, their settings, and the key for links that work without a login."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from syncd.adapters.db import reads
from syncd.adapters.db.annotation_queries import STALE
from syncd.adapters.db.base_repo import RepoBase
from syncd.adapters.db.errors import NotFoundError, StoreError
from syncd.adapters.db.models import ACTIVITIES, ANNOTATIONS, ATHLETES
from syncd.adapters.db.reads import raw_reader
from syncd.records import AthleteRecord


class AthleteRepo(RepoBase):
    """The athletes table, for the Store."""

    def signing_key(self, purpose: str) -> bytes:
        """A key derived from the encryption key, for links that must work without a login (unsubscribe)."""
        if self._box is None:
            raise StoreError("the store was opened without its encryption key; open it with open_store(settings)")
        return self._box.derive(purpose)

    def ensure_athlete(
        self, key: str, *, name: str = "", timezone_name: str | None = None, units: str = "metric"
    ) -> int:
        """Id of the athlete with `key` ("local", "strava:123"), created on first use; existing rows are kept.

        `units` is only the starting preference of a new athlete (from `[notes] units`); theirs wins afterwards.
        """
        if units not in ("metric", "imperial"):
            raise StoreError(f"units must be 'metric' or 'imperial', not {units!r}: fix [notes] units")
        with self._engine.begin() as conn:
            stmt = self._insert(ATHLETES).values(key=key, name=name, timezone=timezone_name, units=units)
            conn.execute(stmt.on_conflict_do_nothing(index_elements=["key"]))
            athlete_id = conn.execute(sa.select(ATHLETES.c.id).where(ATHLETES.c.key == key)).scalar_one()
        return int(athlete_id)

    def update_athlete(
        self,
        athlete_id: int,
        *,
        name: str | None = None,
        timezone_name: str | None = None,
        units: str | None = None,
        email: str | None = None,
        digest_opt_in: bool | None = None,
    ) -> None:
        """Change the given fields (None leaves a field as it is)."""
        if units is not None and units not in ("metric", "imperial"):
            raise StoreError(f"units must be 'metric' or 'imperial', not {units!r}: fix the athlete settings")
        changes = {
            column: value
            for column, value in (
                ("name", name),
                ("timezone", timezone_name),
                ("units", units),
                ("units_chosen", True if units is not None else None),
                ("email", email),
                ("digest_opt_in", digest_opt_in),
            )
            if value is not None
        }
        if not changes:
            return
        with self._engine.begin() as conn:
            result = conn.execute(sa.update(ATHLETES).where(ATHLETES.c.id == athlete_id).values(**changes))
        if result.rowcount == 0:
            raise NotFoundError(f"no athlete with id {athlete_id}: list athletes with `syncd status`")

    def set_athlete_settings(self, athlete_id: int, **changes: Any) -> None:
        """Write the given athlete columns (`syncd athlete set`; syncd.services.athletes validates the values)."""
        allowed = {
            "units",
            "units_chosen",
            "max_heart_rate",
            "write_back",
            "digest_unsubscribed_at",
            "timezone",
            "email",
            "digest_opt_in",
        }
        unknown = set(changes) - allowed
        if unknown:
            raise StoreError(f"not an athlete setting: {', '.join(sorted(unknown))}")
        if not changes:
            return
        with self._engine.begin() as conn:
            result = conn.execute(sa.update(ATHLETES).where(ATHLETES.c.id == athlete_id).values(**changes))
        if result.rowcount == 0:
            raise NotFoundError(f"no athlete with id {athlete_id}: list athletes with `syncd athlete list`")

    def follow_default_units(self, units: str) -> list[int]:
        """Athletes who never chose their units follow `[notes] units`; returns those whose units changed now."""
        if units not in ("metric", "imperial"):
            raise StoreError(f"units must be 'metric' or 'imperial', not {units!r}: fix [notes] units")
        with raw_reader(self._engine) as reader:
            ids = reads.units_to_follow(reader, units)
        if ids:  # only those still not following (a concurrent `athlete set --units` keeps its choice)
            with self._engine.begin() as conn:
                conn.execute(
                    sa.update(ATHLETES).where(ATHLETES.c.id.in_(ids), ~ATHLETES.c.units_chosen).values(units=units)
                )
        return ids

    def mark_annotations_stale(self, athlete_id: int, *, gear_id: str | None = None) -> int:
        """Make `reannotate` (and the daemon's periodic re-run) redo these activities after a settings change.

        The newest annotation of each of the athlete's activities (only those with `gear_id`, when given) gets the
        rules version "stale", which never equals a current version; returns how many were marked.
        """
        latest = (
            sa.select(sa.func.max(ANNOTATIONS.c.id))
            .join(ACTIVITIES, ACTIVITIES.c.id == ANNOTATIONS.c.activity_id)
            .where(ACTIVITIES.c.athlete_id == athlete_id)
            .group_by(ANNOTATIONS.c.activity_id)
        )
        if gear_id is not None:
            latest = latest.where(ACTIVITIES.c.gear_id == gear_id)
        with self._engine.begin() as conn:
            ids = list(conn.execute(latest).scalars())
            if ids:
                conn.execute(sa.update(ANNOTATIONS).where(ANNOTATIONS.c.id.in_(ids)).values(rules_version=STALE))
        return len(ids)

    def get_athlete(self, athlete_id: int) -> AthleteRecord:
        with raw_reader(self._engine) as reader:
            found = reads.get_athlete(reader, athlete_id)
        if found is None:
            raise NotFoundError(f"no athlete with id {athlete_id}: list athletes with `syncd status`")
        return found

    def list_athletes(self) -> list[AthleteRecord]:
        with raw_reader(self._engine) as reader:
            return reads.list_athletes(reader)
