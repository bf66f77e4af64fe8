"""SQLAlchemy table definitions; the same schema runs on SQLite (one household) and PostgreSQL (N workers).

The migrations in `migrations/versions/` create exactly these tables; `tests/integration/test_store_schema.py`
checks that the two never drift. Work queues (accounts' sync turn, writeback_outbox, digests) carry
`lease_owner`/`lease_expires_at` so a crashed worker's claim expires and another worker takes it over.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from syncd.storable import storable_json, storable_text


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Aware UTC in and out. SQLite keeps naive UTC text; PostgreSQL keeps timestamptz."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store: pass an aware UTC datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class StorableJson(sa.types.TypeDecorator[Any]):
    """JSON (JSONB on PostgreSQL) whose strings and keys are made storable on the way in (syncd.storable): a NUL
    or a lone surrogate in a platform's payload is kept as its spelled-out escape instead of failing the row."""

    impl = sa.JSON
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> sa.types.TypeEngine[Any]:
        return dialect.type_descriptor(JSONB() if dialect.name == "postgresql" else sa.JSON())

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        return storable_json(value)


class StorableString(sa.types.TypeDecorator[str]):
    """A String/Text column whose values are made storable on the way in (syncd.storable.storable_text): NUL is
    dropped and a lone surrogate becomes U+FFFD on every backend, also in WHERE clauses, so a lookup by the
    original finds the stored row."""

    impl: sa.types.TypeEngine[Any] | type[sa.types.TypeEngine[Any]] = sa.String  # set per column (length, Text)
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return storable_text(value) if isinstance(value, str) else value


BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Json = StorableJson()
Double: sa.Double[float] = sa.Double()


def _now() -> datetime:
    return datetime.now(UTC)


NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: Json, list[Any]: Json, float: Double}


class AthleteRow(Base):
    __tablename__ = "athletes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(120), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200), default="")
    timezone: Mapped[str | None] = mapped_column(sa.String(64))
    units: Mapped[str] = mapped_column(sa.String(10), default="metric")
    email: Mapped[str | None] = mapped_column(sa.String(320))
    digest_opt_in: Mapped[bool] = mapped_column(default=False)
    advice_mode: Mapped[str | None] = mapped_column(sa.String(20))  # None: follow [advice] mode
    created_at: Mapped[datetime] = mapped_column(default=_now)
    # False: `units` follows `[notes] units` (kept in step by Store.follow_default_units); True: the athlete chose.
    units_chosen: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    max_heart_rate: Mapped[float | None]
    write_back: Mapped[str | None] = mapped_column(sa.String(10))  # None: `[strava]`/`[garmin] write_back`
    digest_unsubscribed_at: Mapped[datetime | None]

    __table_args__ = (sa.CheckConstraint("units IN ('metric', 'imperial')", name="units"),)


class AccountRow(Base):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    athlete_id: Mapped[int] = mapped_column(sa.ForeignKey("athletes.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(sa.String(20))
    external_id: Mapped[str] = mapped_column(sa.String(64))
    tokens_encrypted: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    sync_cursor: Mapped[str | None] = mapped_column(sa.String(200))
    state: Mapped[str] = mapped_column(sa.String(20), default="ok")
    state_message: Mapped[str | None] = mapped_column(sa.Text)
    next_due_at: Mapped[datetime] = mapped_column(default=_now, index=True)
    lease_owner: Mapped[str | None] = mapped_column(sa.String(120))
    lease_expires_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=_now)
    updated_at: Mapped[datetime] = mapped_column(default=_now)

    __table_args__ = (
        sa.UniqueConstraint("provider", "external_id"),
        sa.CheckConstraint("state IN ('ok', 'needs_relink', 'error')", name="state"),
    )


class ActivityRow(Base):
    __tablename__ = "activities"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    athlete_id: Mapped[int] = mapped_column(sa.ForeignKey("athletes.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(sa.String(20))
    external_id: Mapped[str] = mapped_column(sa.String(200))
    sport: Mapped[str] = mapped_column(sa.String(30))
    sport_original: Mapped[str] = mapped_column(sa.String(100))
    name: Mapped[str] = mapped_column(sa.Text, default="")
    start_utc: Mapped[datetime]
    start_local: Mapped[datetime] = mapped_column(sa.DateTime(timezone=False))
    utc_offset_s: Mapped[int] = mapped_column(default=0)
    timezone: Mapped[str | None] = mapped_column(sa.String(64))
    distance_m: Mapped[float | None]
    elapsed_s: Mapped[float | None]
    moving_s: Mapped[float | None]
    elevation_gain_m: Mapped[float | None]
    elevation_loss_m: Mapped[float | None]
    gear_id: Mapped[str | None] = mapped_column(sa.String(64))
    description: Mapped[str | None] = mapped_column(sa.Text)
    workout_type: Mapped[int | None]
    indoor: Mapped[bool] = mapped_column(default=False)
    private: Mapped[bool] = mapped_column(default=False)
    average_heart_rate: Mapped[float | None]
    max_heart_rate: Mapped[float | None]
    laps: Mapped[list[Any]] = mapped_column(default=list)
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)
    raw: Mapped[dict[str, Any]] = mapped_column(default=dict)
    content_hash: Mapped[str] = mapped_column(sa.String(64))
    logical_group: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    deleted: Mapped[bool] = mapped_column(default=False)
    # syncd's sync state, beside (never inside) the platform's raw payload: new detail not annotated since, and the
    # detail fetch's last bad payload ({"attempts", "retry_at", "error"}) with its backoff
    needs_annotation: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    sync_failure: Mapped[dict[str, Any] | None] = mapped_column(nullable=True)
    # bad input about this activity that syncd kept going past, by kind ("twin", "pain_tag"): a value-free line
    # naming the problem and the fix, shown by `syncd status` until the input is fixed
    input_warnings: Mapped[dict[str, Any] | None] = mapped_column(nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=_now)
    updated_at: Mapped[datetime] = mapped_column(default=_now)

    __table_args__ = (
        sa.UniqueConstraint("source", "external_id"),
        sa.Index("ix_activities_athlete_start", "athlete_id", "start_utc"),
        sa.Index("ix_activities_start", "start_utc", "id"),
        sa.Index("ix_activities_updated_at", "updated_at"),  # the feed's cache key (feed_queries.data_version)
    )


class StreamsRow(Base):
    """One row per activity: every channel in one compressed blob (codec.py), never a row per sample."""

    __tablename__ = "streams"

    activity_id: Mapped[int] = mapped_column(sa.ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True)
    format_version: Mapped[int] = mapped_column(sa.SmallInteger)
    samples: Mapped[int]
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)


class GearRow(Base):
    __tablename__ = "gear"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    athlete_id: Mapped[int] = mapped_column(sa.ForeignKey("athletes.id", ondelete="CASCADE"))
    gear_id: Mapped[str] = mapped_column(sa.String(64))
    name: Mapped[str] = mapped_column(sa.String(200), default="")
    kind: Mapped[str] = mapped_column(sa.String(20), default="shoe")
    distance_m: Mapped[float] = mapped_column(default=0.0)
    limit_m: Mapped[float | None]
    retired: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(default=_now)

    __table_args__ = (sa.UniqueConstraint("athlete_id", "gear_id"),)


class AnnotationRow(Base):
    """Append-only: one row per distinct result, so the newest id per activity is the current annotation."""

    __tablename__ = "annotations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    activity_id: Mapped[int] = mapped_column(sa.ForeignKey("activities.id", ondelete="CASCADE"))
    rules_version: Mapped[str] = mapped_column(sa.String(40))
    flags: Mapped[list[Any]] = mapped_column(default=list)
    note: Mapped[str | None] = mapped_column(sa.Text)
    # the note as written to the activity's platform when it differs from `note` (pain data from the diary never
    # reaches a platform: docs/pain.md); None: the same text
    platform_note: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=_now)

    __table_args__ = (sa.Index("ix_annotations_activity_id", "activity_id", "id"),)


class ActivityFlagRow(Base):
    """The current (latest) annotation's flag codes, one row per activity and code, kept beside every annotation
    write (flag_index.py): the feed's `?flag=` filter reads this index instead of every annotation's JSON."""

    __tablename__ = "activity_flags"

    activity_id: Mapped[int] = mapped_column(
        BigId, sa.ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    code: Mapped[str] = mapped_column(sa.String(40), primary_key=True)

    __table_args__ = (sa.Index("ix_activity_flags_code", "code", "activity_id"),)


class OutboxRow(Base):
    __tablename__ = "writeback_outbox"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    activity_id: Mapped[int] = mapped_column(sa.ForeignKey("activities.id", ondelete="CASCADE"))
    provider: Mapped[str] = mapped_column(sa.String(20))
    note: Mapped[str] = mapped_column(sa.Text)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(sa.String(10), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=_now)
    lease_owner: Mapped[str | None] = mapped_column(sa.String(120))
    lease_expires_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=_now)
    updated_at: Mapped[datetime] = mapped_column(default=_now)

    __table_args__ = (
        sa.CheckConstraint("status IN ('pending', 'claimed', 'done', 'failed')", name="status"),
        sa.Index(
            "uq_outbox_one_pending",
            "activity_id",
            "provider",
            unique=True,
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        ),
        sa.Index("ix_outbox_due", "status", "next_attempt_at"),
        sa.Index("ix_outbox_activity", "activity_id", "provider", "id"),  # write-back badges, note state
    )


class DigestRow(Base):
    __tablename__ = "digests"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    athlete_id: Mapped[int] = mapped_column(sa.ForeignKey("athletes.id", ondelete="CASCADE"))
    week: Mapped[str] = mapped_column(sa.String(8))
    status: Mapped[str] = mapped_column(sa.String(10), default="claimed")
    lease_owner: Mapped[str | None] = mapped_column(sa.String(120))
    lease_expires_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=_now)

    __table_args__ = (
        sa.UniqueConstraint("athlete_id", "week"),
        sa.CheckConstraint("status IN ('claimed', 'sent', 'failed')", name="status"),
    )


class RateBudgetRow(Base):
    """Platform rate limits shared by all workers (Strava: 15-minute and daily windows, reads and totals)."""

    __tablename__ = "rate_budget"

    key: Mapped[str] = mapped_column(sa.String(120), primary_key=True)
    short_limit: Mapped[int | None]
    short_usage: Mapped[int] = mapped_column(default=0)
    short_window_start: Mapped[datetime | None]
    daily_limit: Mapped[int | None]
    daily_usage: Mapped[int] = mapped_column(default=0)
    daily_window_start: Mapped[datetime | None]
    read_short_limit: Mapped[int | None]
    read_short_usage: Mapped[int] = mapped_column(default=0)
    read_daily_limit: Mapped[int | None]
    read_daily_usage: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=_now)


class MapTileRow(Base):
    """Surface-map answers cached per tile (e.g. an Overpass query for one tile), so a street is never asked twice."""

    __tablename__ = "map_tiles"

    source: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    tile: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    fetched_at: Mapped[datetime] = mapped_column(default=_now)
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)


class PainEntryRow(Base):
    """The back-pain diary (health data): one row per entry; `slot` keeps one entry per run and source or per day.

    A tag entry lives as long as the tag does on its activity (and goes with the activity); the athlete's text on
    the platform is never touched.
    """

    __tablename__ = "pain_entries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    athlete_id: Mapped[int] = mapped_column(sa.ForeignKey("athletes.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(sa.Date)
    score: Mapped[int] = mapped_column(sa.SmallInteger)
    note: Mapped[str] = mapped_column(sa.Text, default="")
    source: Mapped[str] = mapped_column(sa.String(10))
    activity_id: Mapped[int | None] = mapped_column(sa.ForeignKey("activities.id", ondelete="CASCADE"))
    slot: Mapped[str] = mapped_column(sa.String(40))
    recorded_at: Mapped[datetime] = mapped_column(default=_now)

    __table_args__ = (
        sa.UniqueConstraint("athlete_id", "slot"),
        sa.CheckConstraint("score >= 0 AND score <= 10", name="score"),
        sa.CheckConstraint("source IN ('tag', 'web', 'cli', 'checkin')", name="source"),
        sa.Index("ix_pain_entries_athlete_day", "athlete_id", "day"),
    )


class NotifyTargetRow(Base):
    """An athlete's own Apprise URLs (`syncd athlete set --notify`), encrypted like platform tokens: they hold
    tokens and passwords; and the kinds of message the athlete turned off (`--notify-kinds`), comma-separated."""

    __tablename__ = "notify_targets"

    athlete_id: Mapped[int] = mapped_column(
        BigId, sa.ForeignKey("athletes.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    urls_encrypted: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    muted: Mapped[str] = mapped_column(sa.String(40), default="")
    updated_at: Mapped[datetime] = mapped_column(default=_now)


class NotificationRow(Base):
    """The push-notification outbox: one row per message and target, so a failing target is retried with back-off
    on its own and never holds the others. `target` names the URL without showing it ("config:1", "athlete:2");
    `ref` makes a message idempotent (the activity, the week, the day)."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    athlete_id: Mapped[int] = mapped_column(sa.ForeignKey("athletes.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(10))
    ref: Mapped[str] = mapped_column(sa.String(40))
    target: Mapped[str] = mapped_column(sa.String(40))
    scheme: Mapped[str] = mapped_column(sa.String(32))
    title: Mapped[str] = mapped_column(sa.Text)
    body: Mapped[str] = mapped_column(sa.Text)
    link: Mapped[str | None] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(10), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=_now)
    lease_owner: Mapped[str | None] = mapped_column(sa.String(120))
    lease_expires_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=_now)

    __table_args__ = (
        sa.UniqueConstraint("athlete_id", "kind", "ref", "target"),
        sa.CheckConstraint("status IN ('pending', 'claimed', 'done', 'failed')", name="status"),
        sa.Index("ix_notifications_due", "status", "next_attempt_at"),
    )


def _storable_text_columns(metadata: sa.MetaData) -> None:
    """Every String/Text column of every table becomes a StorableString of the same SQL type, in this one place,
    so a column added later is covered too (the DDL, and so the migrations, stay as they are)."""
    for table in metadata.tables.values():
        for column in table.columns:
            kind = column.type
            if isinstance(kind, sa.String) and not isinstance(kind, sa.Enum):
                storable = StorableString()
                storable.impl = kind
                column.type = storable


_storable_text_columns(Base.metadata)

TABLES = (
    "athletes",
    "accounts",
    "activities",
    "streams",
    "gear",
    "annotations",
    "writeback_outbox",
    "digests",
    "rate_budget",
    "map_tiles",
    "pain_entries",
    "notifications",
)
