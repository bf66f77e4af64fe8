"""The Store: every read and write syncd makes, on SQLite or PostgreSQL, behind plain records.

Work that several worker processes share (account sync turns, the write-back outbox, weekly digests) is handed out
by claims with leases: one UPDATE … WHERE <eligible> … RETURNING whose row set comes from a sub-select that is
`FOR UPDATE SKIP LOCKED` on PostgreSQL. On SQLite the same UPDATE is a compare-and-set under the database write
lock (a write statement takes the lock before it reads), so two workers never get the same row; a lease that
expires (worker crashed) makes the row eligible again.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, Self

import sqlalchemy as sa
from sqlalchemy import ColumnElement, Connection, Engine
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from syncd.adapters.clock import SystemClock
from syncd.adapters.crypto import SecretBox
from syncd.adapters.db import identity as identity_queries
from syncd.adapters.db.codec import FORMAT_VERSION, compress_packed, decode_streams, pack_streams
from syncd.adapters.db.engine import create_store_engine, safe_url, upgrade_schema
from syncd.adapters.db.errors import NotFoundError, StoreError
from syncd.adapters.db.flag_index import replace_current_flags
from syncd.adapters.db.mapping import (
    HISTORY_COLUMNS,
    AnyRow,
    activity_from_row,
    activity_values,
    content_hash,
    flags_from_json,
    flags_to_json,
    history_entry,
    to_json_value,
)
from syncd.adapters.db.models import (
    TABLES,
    AccountRow,
    ActivityRow,
    AnnotationRow,
    AthleteRow,
    Base,
    DigestRow,
    GearRow,
    OutboxRow,
    StreamsRow,
)
from syncd.adapters.db.pain_repository import PainRepository
from syncd.adapters.db.rate_budget import DbRateBudget
from syncd.adapters.db.repositories import (
    AccountLeases,
    ActivityReads,
    AnnotationBatches,
    DigestLog,
    MapTiles,
    OutboxLog,
)
from syncd.domain.flags import Flag
from syncd.domain.history import HistoryEntry
from syncd.domain.model import Activity, Gear, Streams
from syncd.ports import Clock
from syncd.records import (
    AccountRecord,
    AnnotationRecord,
    AthleteRecord,
    OutboxItem,
    StoredActivity,
    TwinFacts,
    UpsertResult,
)

_BATCH = 500
STALE = "stale"  # the rules version of an annotation whose athlete's settings changed since it was written
_ACCOUNT_STATES = frozenset({"ok", "needs_relink", "error"})


def _aware(dt: datetime, what: str) -> datetime:
    if dt.tzinfo is None:
        raise ValueError(f"{what} must be an aware datetime (UTC)")
    return dt.astimezone(UTC)


class Store:
    """Repository over one database. Thread-safe (one Engine, a connection per call); open one per process."""

    def __init__(self, engine: Engine, *, secret_box: SecretBox | None = None, clock: Clock | None = None) -> None:
        self._engine = engine
        self._box = secret_box
        self._clock: Clock = clock or SystemClock()
        self._insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
        # the other aggregates' repositories, on the same engine
        self.outbox_log = OutboxLog(engine)
        self.account_leases = AccountLeases(engine)
        self.digest_log = DigestLog(engine)
        self.activity_reads = ActivityReads(engine)
        self.map_tiles = MapTiles(engine)
        self.annotation_batches = AnnotationBatches(engine, self._enqueue)

    def rate_budget(self, key: str) -> DbRateBudget:
        """The rate budget shared by every worker for one platform application (e.g. "strava:<client id>")."""
        return DbRateBudget(self._engine, key)

    @classmethod
    def open(
        cls, url: str, *, secret_box: SecretBox | None = None, clock: Clock | None = None, migrate: bool = True
    ) -> Store:
        """Open (creating if needed) the database at `url` and bring its schema to the newest migration."""
        engine = create_store_engine(url)
        try:
            if migrate:
                upgrade_schema(engine)
        except StoreError:
            engine.dispose()
            raise
        return cls(engine, secret_box=secret_box, clock=clock)

    @property
    def engine(self) -> Engine:
        return self._engine

    @property
    def pain_diary(self) -> PainRepository:
        """The athletes' pain diaries (health data), on the same engine."""
        return PainRepository(self._engine)

    @property
    def shown_url(self) -> str:
        """The database URL as `syncd status` shows it: any password hidden."""
        return safe_url(self._engine.url)

    @property
    def dialect(self) -> str:
        return self._engine.dialect.name

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({self._engine.url.render_as_string(hide_password=True)!r})"

    def signing_key(self, purpose: str) -> bytes:
        """A key derived from the encryption key, for links that must work without a login (unsubscribe)."""
        if self._box is None:
            raise StoreError("the store was opened without its encryption key; open it with open_store(settings)")
        return self._box.derive(purpose)

    def _now(self) -> datetime:
        return _aware(self._clock.now(), "clock.now()")

    def now(self) -> datetime:
        """The store's clock (what it stamps rows with), for writers beside the Store."""
        return self._now()

    # ---- athletes -------------------------------------------------------------------------------------------

    def ensure_athlete(
        self, key: str, *, name: str = "", timezone_name: str | None = None, units: str = "metric"
    ) -> int:
        """Id of the athlete with `key` ("local", "strava:123"), created on first use; existing rows are kept.

        `units` is only the starting preference of a new athlete (from `[notes] units`); theirs wins afterwards.
        """
        if units not in ("metric", "imperial"):
            raise StoreError(f"units must be 'metric' or 'imperial', not {units!r}: fix [notes] units")
        with self._engine.begin() as conn:
            stmt = self._insert(AthleteRow).values(key=key, name=name, timezone=timezone_name, units=units)
            conn.execute(stmt.on_conflict_do_nothing(index_elements=["key"]))
            athlete_id = conn.execute(sa.select(AthleteRow.id).where(AthleteRow.key == key)).scalar_one()
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
            result = conn.execute(sa.update(AthleteRow).where(AthleteRow.id == athlete_id).values(**changes))
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
            result = conn.execute(sa.update(AthleteRow).where(AthleteRow.id == athlete_id).values(**changes))
        if result.rowcount == 0:
            raise NotFoundError(f"no athlete with id {athlete_id}: list athletes with `syncd athlete list`")

    def follow_default_units(self, units: str) -> list[int]:
        """Athletes who never chose their units follow `[notes] units`; returns those whose units changed now."""
        if units not in ("metric", "imperial"):
            raise StoreError(f"units must be 'metric' or 'imperial', not {units!r}: fix [notes] units")
        with self._engine.begin() as conn:
            ids = list(
                conn.execute(
                    sa.select(AthleteRow.id).where(~AthleteRow.units_chosen, AthleteRow.units != units)
                ).scalars()
            )
            if ids:
                conn.execute(sa.update(AthleteRow).where(AthleteRow.id.in_(ids)).values(units=units))
        return [int(i) for i in ids]

    def mark_annotations_stale(self, athlete_id: int, *, gear_id: str | None = None) -> int:
        """Make `reannotate` (and the daemon's periodic re-run) redo these activities after a settings change.

        The newest annotation of each of the athlete's activities (only those with `gear_id`, when given) gets the
        rules version "stale", which never equals a current version; returns how many were marked.
        """
        latest = (
            sa.select(sa.func.max(AnnotationRow.id))
            .join(ActivityRow, ActivityRow.id == AnnotationRow.activity_id)
            .where(ActivityRow.athlete_id == athlete_id)
            .group_by(AnnotationRow.activity_id)
        )
        if gear_id is not None:
            latest = latest.where(ActivityRow.gear_id == gear_id)
        with self._engine.begin() as conn:
            ids = list(conn.execute(latest).scalars())
            if ids:
                conn.execute(sa.update(AnnotationRow).where(AnnotationRow.id.in_(ids)).values(rules_version=STALE))
        return len(ids)

    def get_athlete(self, athlete_id: int) -> AthleteRecord:
        with self._engine.connect() as conn:
            row = conn.execute(sa.select(AthleteRow.__table__).where(AthleteRow.id == athlete_id)).first()
        if row is None:
            raise NotFoundError(f"no athlete with id {athlete_id}: list athletes with `syncd status`")
        return _athlete(row)

    def list_athletes(self) -> list[AthleteRecord]:
        with self._engine.connect() as conn:
            rows = conn.execute(sa.select(AthleteRow.__table__).order_by(AthleteRow.id)).all()
        return [_athlete(row) for row in rows]

    # ---- activities -----------------------------------------------------------------------------------------

    def upsert_activity(self, athlete_id: int, activity: Activity, raw: Mapping[str, object]) -> UpsertResult:
        """Insert or update by (source, external_id); identical content writes nothing.

        `activity.streams` None leaves any stored streams in place (a summary-only sync must not drop the
        detail fetched earlier); otherwise the streams row is replaced.
        """
        values = activity_values(activity)
        raw_json: dict[str, Any] = to_json_value(dict(raw))
        packed = pack_streams(activity.streams) if activity.streams is not None else None
        digest = content_hash(values, raw_json, packed)  # before compressing: unchanged content costs no zlib
        now = self._now()
        row_values = {**values, "athlete_id": athlete_id, "raw": raw_json, "content_hash": digest, "updated_at": now}
        with self._engine.begin() as conn:
            created = False
            existing = conn.execute(
                sa.select(ActivityRow.id, ActivityRow.content_hash, ActivityRow.athlete_id, ActivityRow.deleted)
                .where(ActivityRow.source == activity.source.value, ActivityRow.external_id == activity.external_id)
                .with_for_update()
            ).first()
            if existing is None:
                inserted = conn.execute(
                    self._insert(ActivityRow)
                    .values(**row_values, created_at=now)
                    .on_conflict_do_nothing(index_elements=["source", "external_id"])
                    .returning(ActivityRow.id)
                ).scalar()
                if inserted is not None:
                    activity_id, created = int(inserted), True
                else:  # another worker inserted it a moment ago
                    activity_id = int(
                        conn.execute(
                            sa.select(ActivityRow.id)
                            .where(
                                ActivityRow.source == activity.source.value,
                                ActivityRow.external_id == activity.external_id,
                            )
                            .with_for_update()
                        ).scalar_one()
                    )
            else:
                activity_id = int(existing.id)
                if existing.content_hash == digest and existing.athlete_id == athlete_id and not existing.deleted:
                    return UpsertResult(activity_id, created=False, changed=False)
            if not created:
                conn.execute(
                    sa.update(ActivityRow).where(ActivityRow.id == activity_id).values(**row_values, deleted=False)
                )
            if packed is not None and activity.streams is not None:
                self._put_streams(conn, activity_id, compress_packed(packed), len(activity.streams))
        return UpsertResult(activity_id, created=created, changed=True)

    def _put_streams(self, conn: Connection, activity_id: int, blob: bytes, samples: int) -> None:
        values = {"format_version": FORMAT_VERSION, "samples": samples, "data": blob}
        stmt = self._insert(StreamsRow).values(activity_id=activity_id, **values)
        conn.execute(stmt.on_conflict_do_update(index_elements=["activity_id"], set_=values))

    def mark_deleted(self, source: str, external_id: str) -> bool:
        """Soft-delete (the platform deleted it): kept for the audit trail, left out of history and listings."""
        with self._engine.begin() as conn:
            result = conn.execute(
                sa.update(ActivityRow)
                .where(ActivityRow.source == source, ActivityRow.external_id == external_id, ~ActivityRow.deleted)
                .values(deleted=True, updated_at=self._now())
            )
        return bool(result.rowcount)

    def get_activity(self, activity_id: int, *, with_streams: bool = True) -> StoredActivity:
        with self._engine.connect() as conn:
            row = conn.execute(sa.select(ActivityRow.__table__).where(ActivityRow.id == activity_id)).first()
            if row is None:
                raise NotFoundError(f"no activity with id {activity_id}: re-run `syncd sync` or `syncd import`")
            streams = self._streams_for(conn, [activity_id]).get(activity_id) if with_streams else None
        return _stored(row, streams)

    def find_activity_id(self, source: str, external_id: str) -> int | None:
        with self._engine.connect() as conn:
            found = conn.execute(
                sa.select(ActivityRow.id).where(ActivityRow.source == source, ActivityRow.external_id == external_id)
            ).scalar()
        return None if found is None else int(found)

    def platform_ids_since(self, athlete_id: int, source: str, since: datetime) -> list[tuple[str, datetime]]:
        """(external id, start) of the athlete's activities from `source` since `since` (ids and starts only)."""
        from syncd.adapters.db.poll_queries import platform_ids_since

        return list(platform_ids_since(self._engine, athlete_id, source, since))

    def iter_activities(
        self, *, athlete_id: int | None = None, since: datetime | None = None, with_streams: bool = False
    ) -> Iterator[StoredActivity]:
        """Not-deleted activities, oldest first, fetched in batches (keyset paging, no long-open cursor)."""
        conditions: list[ColumnElement[bool]] = [~ActivityRow.deleted]
        if athlete_id is not None:
            conditions.append(ActivityRow.athlete_id == athlete_id)
        if since is not None:
            conditions.append(ActivityRow.start_utc >= _aware(since, "since"))
        after: tuple[datetime, int] | None = None
        while True:
            page = list(conditions)
            if after is not None:
                page.append(sa.tuple_(ActivityRow.start_utc, ActivityRow.id) > sa.tuple_(*after))
            with self._engine.connect() as conn:
                rows = conn.execute(
                    sa.select(ActivityRow.__table__)
                    .where(*page)
                    .order_by(ActivityRow.start_utc, ActivityRow.id)
                    .limit(_BATCH)
                ).all()
                streams = self._streams_for(conn, [row.id for row in rows]) if with_streams else {}
            for row in rows:
                yield _stored(row, streams.get(row.id))
            if len(rows) < _BATCH:
                return
            after = (rows[-1].start_utc, rows[-1].id)

    def _streams_for(self, conn: Connection, ids: Sequence[int]) -> dict[int, Streams]:
        if not ids:
            return {}
        rows = conn.execute(
            sa.select(StreamsRow.activity_id, StreamsRow.data).where(StreamsRow.activity_id.in_(ids))
        ).all()
        return {int(row.activity_id): decode_streams(bytes(row.data)) for row in rows}

    def history(
        self, athlete_id: int, start: datetime, end: datetime, *, exclude_id: int | None = None
    ) -> list[HistoryEntry]:
        """Summaries of the athlete's activities with start <= start_utc < end (no streams, no raw JSON).

        One run synced from two platforms (a shared `logical_group`, syncd.services.identity) appears once, and
        never when it is the twin of `exclude_id` (the activity being annotated is not its own history).
        """
        stmt = (
            sa.select(*HISTORY_COLUMNS)
            .where(
                ActivityRow.athlete_id == athlete_id,
                ~ActivityRow.deleted,
                ActivityRow.start_utc >= _aware(start, "start"),
                ActivityRow.start_utc < _aware(end, "end"),
            )
            .order_by(ActivityRow.start_utc, ActivityRow.id)
        )
        if exclude_id is not None:
            own_group = sa.select(ActivityRow.logical_group).where(ActivityRow.id == exclude_id).scalar_subquery()
            stmt = stmt.where(
                ActivityRow.id != exclude_id,
                sa.or_(
                    ActivityRow.logical_group.is_(None), ActivityRow.logical_group != sa.func.coalesce(own_group, "")
                ),
            )
        with self._engine.connect() as conn:
            rows = conn.execute(stmt).all()
        seen_groups: set[str] = set()
        unique = []
        for row in rows:
            if row.logical_group is not None:
                if row.logical_group in seen_groups:
                    continue  # the same run from the other platform: its load counts once
                seen_groups.add(row.logical_group)
            unique.append(row)
        return [history_entry(row) for row in unique]

    def gear_distance_after(self, athlete_id: int, gear_id: str, after: datetime) -> float:
        """Metres recorded with `gear_id` by activities that started after `after` (one run on two platforms once).

        A shoe's distance as of a run is the platform's figure today minus this: later runs never count.
        """
        stmt = sa.select(ActivityRow.logical_group, ActivityRow.distance_m).where(
            ActivityRow.athlete_id == athlete_id,
            ~ActivityRow.deleted,
            ActivityRow.gear_id == gear_id,
            ActivityRow.start_utc > _aware(after, "after"),
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

    # ---- gear -----------------------------------------------------------------------------------------------

    def upsert_gear(self, athlete_id: int, gear: Gear) -> None:
        values = {
            "name": gear.name,
            "kind": gear.kind,
            "distance_m": gear.distance_m,
            "limit_m": gear.limit_m,
            "retired": gear.retired,
            "updated_at": self._now(),
        }
        stmt = self._insert(GearRow).values(athlete_id=athlete_id, gear_id=gear.gear_id, **values)
        with self._engine.begin() as conn:
            # A platform without per-shoe limits (Strava) never erases the limit set with `syncd athlete set`.
            keep_limit = {**values, "limit_m": sa.func.coalesce(stmt.excluded.limit_m, GearRow.limit_m)}
            conn.execute(stmt.on_conflict_do_update(index_elements=["athlete_id", "gear_id"], set_=keep_limit))

    def set_gear_limit(self, athlete_id: int, gear_id: str, limit_m: float | None) -> bool:
        """The athlete's own replacement distance for one shoe (None: back to `[rules] shoe_limit_km`)."""
        with self._engine.begin() as conn:
            result = conn.execute(
                sa.update(GearRow)
                .where(GearRow.athlete_id == athlete_id, GearRow.gear_id == gear_id)
                .values(limit_m=limit_m, updated_at=self._now())
            )
        return bool(result.rowcount)

    def get_gear(self, athlete_id: int, gear_id: str) -> Gear | None:
        with self._engine.connect() as conn:
            row = conn.execute(
                sa.select(GearRow.__table__).where(GearRow.athlete_id == athlete_id, GearRow.gear_id == gear_id)
            ).first()
        return None if row is None else _gear(row)

    def list_gear(self, athlete_id: int) -> list[Gear]:
        with self._engine.connect() as conn:
            rows = conn.execute(
                sa.select(GearRow.__table__).where(GearRow.athlete_id == athlete_id).order_by(GearRow.gear_id)
            ).all()
        return [_gear(row) for row in rows]

    # ---- cross-platform twins (queries in adapters/db/identity.py) --------------------------------------------

    def twin_facts(self, activity_id: int) -> TwinFacts | None:
        return identity_queries.facts(self._engine, activity_id)

    def twins_near(
        self, athlete_id: int, start: datetime, within: timedelta, sources: Sequence[str]
    ) -> list[TwinFacts]:
        return identity_queries.nearby(self._engine, athlete_id, start, within, sources)

    def group_members(self, group: str) -> list[TwinFacts]:
        return identity_queries.members(self._engine, group)

    def set_logical_group(self, activity_ids: Sequence[int], group: str | None) -> None:
        identity_queries.set_group(self._engine, activity_ids, group)

    # ---- annotations ----------------------------------------------------------------------------------------

    def save_annotation(
        self,
        activity_id: int,
        rules_version: str,
        flags: Sequence[Flag],
        note: str | None,
        *,
        write_back_to: Sequence[str] = (),
        platform_note: str | None = None,
    ) -> bool:
        """Store a new annotation unless it equals the latest one; True when something was written.

        A changed annotation with a note is queued for each platform in `write_back_to` in the same transaction:
        a crash never leaves a current annotation whose note was not queued. `platform_note` (when it differs from
        `note`) is the text that goes to the platform.
        """
        flags_json = flags_to_json(flags)
        with self._engine.begin() as conn:
            # Lock the activity so two workers annotating it at once do not both append the same result.
            locked = conn.execute(
                sa.select(ActivityRow.id).where(ActivityRow.id == activity_id).with_for_update()
            ).first()
            if locked is None:
                raise NotFoundError(f"no activity with id {activity_id}: re-run `syncd sync` or `syncd import`")
            if _latest_result(conn, activity_id) == (rules_version, flags_json, note, platform_note):
                return False
            conn.execute(
                sa.insert(AnnotationRow).values(
                    activity_id=activity_id,
                    rules_version=rules_version,
                    flags=flags_json,
                    note=note,
                    platform_note=platform_note,
                    created_at=self._now(),
                )
            )
            replace_current_flags(conn, {activity_id: [flag.code.value for flag in flags]})
            written = note if platform_note is None else platform_note
            for provider in write_back_to:
                if written is not None and self._enqueue(conn, activity_id, provider, written) is None:
                    raise StoreError(
                        f"could not queue write-back for activity {activity_id}: too much contention; retry later"
                    )
        return True

    def latest_annotation(self, activity_id: int) -> AnnotationRecord | None:
        with self._engine.connect() as conn:
            row = conn.execute(
                sa.select(AnnotationRow.__table__)
                .where(AnnotationRow.activity_id == activity_id)
                .order_by(AnnotationRow.id.desc())
                .limit(1)
            ).first()
        if row is None:
            return None
        return AnnotationRecord(
            id=int(row.id),
            activity_id=int(row.activity_id),
            rules_version=row.rules_version,
            flags=flags_from_json(row.flags),
            note=row.note,
            created_at=row.created_at,
            platform_note=row.platform_note,
        )

    # ---- accounts and tokens --------------------------------------------------------------------------------

    def _seal(self, tokens: Mapping[str, object]) -> bytes:
        if self._box is None:
            raise StoreError("cannot store account tokens: no encryption key loaded; open the store with a SecretBox")
        return self._box.encrypt(json.dumps(dict(tokens), sort_keys=True, default=str).encode())

    def upsert_account(
        self, athlete_id: int, provider: str, external_id: str, tokens: Mapping[str, object] | None
    ) -> int:
        """Link (or re-link) an account. New tokens also reset the state to "ok"; None keeps stored tokens."""
        now = self._now()
        values: dict[str, Any] = {"athlete_id": athlete_id, "updated_at": now}
        if tokens is not None:
            values.update(tokens_encrypted=self._seal(tokens), state="ok", state_message=None)
        stmt = self._insert(AccountRow).values(
            provider=provider, external_id=external_id, created_at=now, next_due_at=now, **values
        )
        stmt = stmt.on_conflict_do_update(index_elements=["provider", "external_id"], set_=values)
        with self._engine.begin() as conn:
            account_id = conn.execute(stmt.returning(AccountRow.id)).scalar_one()
        return int(account_id)

    def set_account_tokens(self, account_id: int, tokens: Mapping[str, object]) -> None:
        """Save refreshed tokens (Strava rotates the refresh token: save every time)."""
        self._update_account(account_id, tokens_encrypted=self._seal(tokens))

    def set_account_state(self, account_id: int, state: str, message: str | None = None) -> None:
        if state not in _ACCOUNT_STATES:
            raise ValueError(f"account state must be one of {sorted(_ACCOUNT_STATES)}, not {state!r}")
        self._update_account(account_id, state=state, state_message=message)

    def _update_account(self, account_id: int, **values: Any) -> None:
        with self._engine.begin() as conn:
            result = conn.execute(
                sa.update(AccountRow).where(AccountRow.id == account_id).values(**values, updated_at=self._now())
            )
        if result.rowcount == 0:
            raise NotFoundError(f"no account with id {account_id}: list accounts with `syncd accounts`")

    def get_account_tokens(self, account_id: int) -> dict[str, object] | None:
        with self._engine.connect() as conn:
            row = conn.execute(sa.select(AccountRow.tokens_encrypted).where(AccountRow.id == account_id)).first()
        if row is None:
            raise NotFoundError(f"no account with id {account_id}: list accounts with `syncd accounts`")
        if row.tokens_encrypted is None:
            return None
        if self._box is None:
            raise StoreError("cannot read account tokens: no encryption key loaded; open the store with a SecretBox")
        tokens: dict[str, object] = json.loads(self._box.decrypt(bytes(row.tokens_encrypted)))
        return tokens

    def list_accounts(self) -> list[AccountRecord]:
        with self._engine.connect() as conn:
            rows = conn.execute(sa.select(*_ACCOUNT_COLUMNS).order_by(AccountRow.id)).all()
        return [_account(row) for row in rows]

    def claim_accounts(
        self, worker: str, *, now: datetime, lease_s: float, limit: int, provider: str | None = None
    ) -> list[AccountRecord]:
        """Accounts due for a sync (state ok, next_due_at passed, lease free or expired), leased to `worker`.

        `provider` restricts the claim to one platform, so each platform's sync only takes its own accounts.
        """
        now = _aware(now, "now")
        eligible = sa.and_(
            AccountRow.state == "ok",
            AccountRow.next_due_at <= now,
            sa.or_(AccountRow.lease_expires_at.is_(None), AccountRow.lease_expires_at < now),
            sa.true() if provider is None else AccountRow.provider == provider,
        )
        values = {"lease_owner": worker, "lease_expires_at": now + timedelta(seconds=lease_s)}
        # Accounts synced before (an incremental poll, a webhook wake: new activities, a request or two) go before
        # a first sync (a month of backfill that can take a window's reads); within each, longest-waiting first,
        # so every athlete gets a turn.
        rows = self._claim(
            AccountRow,
            eligible=eligible,
            order=(AccountRow.sync_cursor.is_(None), AccountRow.next_due_at),
            values=values,
            returning=_ACCOUNT_COLUMNS,
            limit=limit,
        )
        return sorted((_account(row) for row in rows), key=lambda a: (a.next_due_at, a.id))

    def make_accounts_due(self, now: datetime, *, provider: str | None = None) -> int:
        """`syncd sync`: a person wants every linked account synced now, not at its scheduled time."""
        now = _aware(now, "now")
        with self._engine.begin() as conn:
            result = conn.execute(
                sa.update(AccountRow)
                .where(
                    AccountRow.state == "ok",
                    AccountRow.next_due_at > now,
                    sa.true() if provider is None else AccountRow.provider == provider,
                )
                .values(next_due_at=now)
            )
        return int(result.rowcount or 0)

    def activity_changes(self, since: datetime) -> dict[tuple[int, str], tuple[int, int]]:
        """(new, updated) activities per (athlete id, source) written since `since` (what a sync pass did)."""
        since = _aware(since, "since")
        new = sa.func.sum(sa.case((ActivityRow.created_at >= since, 1), else_=0))
        with self._engine.connect() as conn:
            rows = conn.execute(
                sa.select(ActivityRow.athlete_id, ActivityRow.source, new.label("new"), sa.func.count().label("n"))
                .where(ActivityRow.updated_at >= since)
                .group_by(ActivityRow.athlete_id, ActivityRow.source)
            ).all()
        return {(int(r.athlete_id), str(r.source)): (int(r.new or 0), int(r.n) - int(r.new or 0)) for r in rows}

    def release_account(
        self, account_id: int, worker: str, *, next_due_at: datetime, sync_cursor: str | None = None
    ) -> bool:
        """End `worker`'s lease, schedule the next sync and save the cursor; False if the lease was lost."""
        values: dict[str, Any] = {
            "lease_owner": None,
            "lease_expires_at": None,
            "next_due_at": _aware(next_due_at, "next_due_at"),
            "updated_at": self._now(),
        }
        if sync_cursor is not None:
            values["sync_cursor"] = sync_cursor
        with self._engine.begin() as conn:
            result = conn.execute(
                sa.update(AccountRow)
                .where(AccountRow.id == account_id, AccountRow.lease_owner == worker)
                .values(**values)
            )
        return bool(result.rowcount)

    # ---- write-back outbox ----------------------------------------------------------------------------------

    def enqueue_writeback(self, activity_id: int, provider: str, note: str) -> int:
        """Queue `note` for the platform; a still-pending item for the same activity and platform gets the new note."""
        for _ in range(3):
            with self._engine.begin() as conn:
                queued = self._enqueue(conn, activity_id, provider, note)
            if queued is not None:
                return queued
        raise StoreError(f"could not queue write-back for activity {activity_id}: too much contention; retry later")

    def _enqueue(self, conn: Connection, activity_id: int, provider: str, note: str) -> int | None:
        """One try inside the caller's transaction: update the pending item, else insert one; None on a race."""
        now = self._now()
        pending = sa.and_(
            OutboxRow.activity_id == activity_id, OutboxRow.provider == provider, OutboxRow.status == "pending"
        )
        updated = conn.execute(
            sa.update(OutboxRow).where(pending).values(note=note, updated_at=now).returning(OutboxRow.id)
        ).scalar()
        if updated is not None:
            return int(updated)
        inserted = conn.execute(
            self._insert(OutboxRow)
            .values(
                activity_id=activity_id,
                provider=provider,
                note=note,
                status="pending",
                next_attempt_at=now,
                created_at=now,
                updated_at=now,
            )
            .on_conflict_do_nothing()
            .returning(OutboxRow.id)
        ).scalar()
        return None if inserted is None else int(inserted)

    def claim_writebacks(
        self,
        worker: str,
        *,
        now: datetime,
        lease_s: float,
        limit: int,
        providers: Collection[str] | None = None,
    ) -> list[OutboxItem]:
        """Up to `limit` due items (pending and due, or claimed with an expired lease), leased to `worker`.

        `providers` limits the claim to the platforms the caller can write to, so one platform's drain never
        holds another platform's notes.
        """
        now = _aware(now, "now")
        eligible = sa.and_(
            sa.or_(
                sa.and_(OutboxRow.status == "pending", OutboxRow.next_attempt_at <= now),
                sa.and_(OutboxRow.status == "claimed", OutboxRow.lease_expires_at < now),
            ),
            sa.true() if providers is None else OutboxRow.provider.in_(sorted(providers)),
        )
        values = {
            "status": "claimed",
            "lease_owner": worker,
            "lease_expires_at": now + timedelta(seconds=lease_s),
            "attempts": OutboxRow.attempts + 1,
            "updated_at": now,
        }
        columns = [
            OutboxRow.id,
            OutboxRow.activity_id,
            OutboxRow.provider,
            OutboxRow.note,
            OutboxRow.attempts,
            OutboxRow.lease_owner,
            OutboxRow.lease_expires_at,
            OutboxRow.last_error,
        ]
        # Newest activities first: a new run's note goes out before a long backfill (a first sync of 30 days, a
        # re-annotation) queued earlier, whichever athlete each belongs to.
        newest_first = (
            sa.select(ActivityRow.start_utc).where(ActivityRow.id == OutboxRow.activity_id).scalar_subquery().desc()
        )
        rows = self._claim(
            OutboxRow, eligible=eligible, order=(newest_first,), values=values, returning=columns, limit=limit
        )
        items = [OutboxItem(**dict(row._mapping)) for row in rows]
        return sorted(items, key=lambda item: item.id)

    def complete_writeback(self, item_id: int, worker: str) -> bool:
        """Mark done; False when `worker` no longer holds the lease (another worker took it over)."""
        with self._engine.begin() as conn:
            result = conn.execute(
                sa.update(OutboxRow)
                .where(OutboxRow.id == item_id, OutboxRow.lease_owner == worker, OutboxRow.status == "claimed")
                .values(status="done", lease_owner=None, lease_expires_at=None, updated_at=self._now())
            )
        return bool(result.rowcount)

    def fail_writeback(self, item_id: int, worker: str, error: str, retry_at: datetime | None) -> bool:
        """Give the item back for a retry at `retry_at` (None: give up, status failed); False if the lease was lost.

        If a newer note was queued meanwhile for the same activity and platform, this one is superseded: failed.
        """
        mine = sa.and_(OutboxRow.id == item_id, OutboxRow.lease_owner == worker, OutboxRow.status == "claimed")
        base = {"lease_owner": None, "lease_expires_at": None, "last_error": error[:2000], "updated_at": self._now()}
        if retry_at is not None:
            try:
                with self._engine.begin() as conn:
                    result = conn.execute(
                        sa.update(OutboxRow)
                        .where(mine)
                        .values(**base, status="pending", next_attempt_at=_aware(retry_at, "retry_at"))
                    )
                return bool(result.rowcount)
            except IntegrityError:  # a newer pending item exists: it carries the newer note
                base["last_error"] = f"superseded by a newer note; last error: {error}"[:2000]
        with self._engine.begin() as conn:
            result = conn.execute(sa.update(OutboxRow).where(mine).values(**base, status="failed"))
        return bool(result.rowcount)

    # ---- weekly digests -------------------------------------------------------------------------------------

    def claim_digest(
        self, athlete_id: int, week: str, worker: str, *, now: datetime, lease_s: float, retry_early: bool = False
    ) -> bool:
        """True for exactly one worker per (athlete, ISO week), until it is sent.

        Expired claims reopen; failed ones reopen at their retry time (`fail_digest(retry_at=)`), or at once with
        `retry_early` (an operator who just fixed the mail settings and runs `syncd digest --send`).
        """
        now = _aware(now, "now")
        retry_due = sa.or_(DigestRow.lease_expires_at.is_(None), DigestRow.lease_expires_at <= now)
        failed_ready = DigestRow.status == "failed" if retry_early else sa.and_(DigestRow.status == "failed", retry_due)
        lease = {"lease_owner": worker, "lease_expires_at": now + timedelta(seconds=lease_s)}
        with self._engine.begin() as conn:
            inserted = conn.execute(
                self._insert(DigestRow)
                .values(athlete_id=athlete_id, week=week, status="claimed", attempts=1, created_at=now, **lease)
                .on_conflict_do_nothing(index_elements=["athlete_id", "week"])
                .returning(DigestRow.id)
            ).scalar()
            if inserted is not None:
                return True
            result = conn.execute(
                sa.update(DigestRow)
                .where(
                    DigestRow.athlete_id == athlete_id,
                    DigestRow.week == week,
                    sa.or_(
                        failed_ready,
                        sa.and_(DigestRow.status == "claimed", DigestRow.lease_expires_at < now),
                    ),
                )
                .values(status="claimed", attempts=DigestRow.attempts + 1, **lease)
            )
        return bool(result.rowcount)

    def mark_digest_sent(self, athlete_id: int, week: str, worker: str) -> bool:
        return self._finish_digest(athlete_id, week, worker, status="sent", sent_at=self._now())

    def fail_digest(
        self, athlete_id: int, week: str, worker: str, error: str, *, retry_at: datetime | None = None
    ) -> bool:
        """Record a failed send; claim_digest (by anyone) may retry it from `retry_at` (None: at once)."""
        return self._finish_digest(
            athlete_id, week, worker, status="failed", last_error=error[:2000], retry_at=retry_at
        )

    def _finish_digest(
        self, athlete_id: int, week: str, worker: str, *, retry_at: datetime | None = None, **values: Any
    ) -> bool:
        # While a row is failed, its lease column holds the retry time (the earliest next claim).
        with self._engine.begin() as conn:
            result = conn.execute(
                sa.update(DigestRow)
                .where(
                    DigestRow.athlete_id == athlete_id,
                    DigestRow.week == week,
                    DigestRow.lease_owner == worker,
                    DigestRow.status == "claimed",
                )
                .values(lease_owner=None, lease_expires_at=retry_at, **values)
            )
        return bool(result.rowcount)

    def digest_status(self, athlete_id: int, week: str) -> str | None:
        with self._engine.connect() as conn:
            status = conn.execute(
                sa.select(DigestRow.status).where(DigestRow.athlete_id == athlete_id, DigestRow.week == week)
            ).scalar()
        return None if status is None else str(status)

    # ---- claims and housekeeping ----------------------------------------------------------------------------

    def _claim(
        self,
        model: type[Base],
        *,
        eligible: ColumnElement[bool],
        order: tuple[Any, ...],
        values: Mapping[str, Any],
        returning: Sequence[Any],
        limit: int,
    ) -> list[AnyRow]:
        if limit <= 0:
            return []
        pk = model.__table__.c.id
        # A MATERIALIZED CTE runs the locking SELECT exactly once: as `id IN (SELECT ... LIMIT n FOR UPDATE SKIP
        # LOCKED)` PostgreSQL may re-run the subquery per row, and every run skips the rows it already locked, so
        # limit=1 claimed every due row (issue 17). SQLite has one writer, so the plain form is exact there.
        picked = (
            sa.select(pk.label("picked_id"))
            .where(eligible)
            .order_by(*order, pk)
            .limit(limit)
            .with_for_update(skip_locked=True)
            .cte("picked")
            .prefix_with("MATERIALIZED", dialect="postgresql")
        )
        # `eligible` is repeated on the UPDATE: that is the compare-and-set (PostgreSQL re-checks it on rows that
        # changed under us; SQLite evaluates everything under its write lock).
        stmt = (
            sa.update(model)
            .where(pk.in_(sa.select(picked.c.picked_id)), eligible)
            .values(**values)
            .returning(*returning)
        )
        with self._engine.begin() as conn:
            return list(conn.execute(stmt).all())

    def counts(self) -> dict[str, int]:
        """Rows per table (for `syncd status` and `syncd doctor`)."""
        with self._engine.connect() as conn:
            return {
                name: int(conn.execute(sa.select(sa.func.count()).select_from(sa.table(name))).scalar_one())
                for name in TABLES
            }


_ACCOUNT_COLUMNS = (
    AccountRow.id,
    AccountRow.athlete_id,
    AccountRow.provider,
    AccountRow.external_id,
    AccountRow.tokens_encrypted.is_not(None).label("has_tokens"),
    AccountRow.state,
    AccountRow.state_message,
    AccountRow.sync_cursor,
    AccountRow.next_due_at,
    AccountRow.lease_owner,
    AccountRow.lease_expires_at,
)


def _latest_result(conn: Connection, activity_id: int) -> tuple[str, Any, str | None, str | None] | None:
    """The activity's current annotation as (version, flags, note, platform note), or None."""
    latest = conn.execute(
        sa.select(AnnotationRow.rules_version, AnnotationRow.flags, AnnotationRow.note, AnnotationRow.platform_note)
        .where(AnnotationRow.activity_id == activity_id)
        .order_by(AnnotationRow.id.desc())
        .limit(1)
    ).first()
    if latest is None:
        return None
    return (latest.rules_version, to_json_value(latest.flags), latest.note, latest.platform_note)


def _athlete(row: AnyRow) -> AthleteRecord:
    return AthleteRecord(
        id=int(row.id),
        key=row.key,
        name=row.name,
        timezone_name=row.timezone,
        units=row.units,
        email=row.email,
        digest_opt_in=bool(row.digest_opt_in),
        units_chosen=bool(row.units_chosen),
        max_heart_rate=row.max_heart_rate,
        write_back=row.write_back,
        digest_unsubscribed_at=row.digest_unsubscribed_at,
    )


def _account(row: AnyRow) -> AccountRecord:
    values = dict(row._mapping)
    values["has_tokens"] = bool(values["has_tokens"])
    return AccountRecord(**values)


def _gear(row: AnyRow) -> Gear:
    return Gear(
        gear_id=row.gear_id,
        name=row.name,
        distance_m=row.distance_m,
        limit_m=row.limit_m,
        retired=bool(row.retired),
        kind=row.kind,
    )


def _stored(row: AnyRow, streams: Streams | None) -> StoredActivity:
    return StoredActivity(
        id=int(row.id),
        athlete_id=int(row.athlete_id),
        activity=activity_from_row(row, streams),
        raw=dict(row.raw or {}),
        logical_group=row.logical_group,
    )
