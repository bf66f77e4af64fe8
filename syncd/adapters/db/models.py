"""SQLAlchemy Core table definitions; the same schema runs on SQLite (one household) and PostgreSQL (N workers).

Core `Table`s, not ORM classes: every query in syncd/adapters/db is a Core statement, and `sqlalchemy.orm` with
declarative classes cost a short command such as `syncd status` about a third of its start-up (issue 32).

The migrations in `migrations/versions/` create exactly these tables; `tests/integration/test_store_schema.py`
checks that the two never drift. Work queues (accounts' sync turn, writeback_outbox, digests) carry
`lease_owner`/`lease_expires_at` so a crashed worker's claim expires and another worker takes it over.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

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
        if dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import JSONB  # SQLite never loads the PostgreSQL dialect

            return dialect.type_descriptor(JSONB())
        return dialect.type_descriptor(sa.JSON())

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


METADATA = sa.MetaData(naming_convention=NAMING)


def _id() -> sa.Column[int]:
    return sa.Column("id", BigId, primary_key=True)


def _when(name: str, *, nullable: bool = False, **kwargs: Any) -> sa.Column[datetime]:
    """An aware-UTC timestamp column (`created_at`-like ones default to now)."""
    return sa.Column(name, UTCDateTime(), nullable=nullable, **kwargs)


def _ref(name: str, table: str, *, nullable: bool = False, **kwargs: Any) -> sa.Column[int]:
    """A reference to `table`.id (of its type) whose rows go with the referenced row."""
    return sa.Column(name, sa.ForeignKey(f"{table}.id", ondelete="CASCADE"), nullable=nullable, **kwargs)


def _col(name: str, kind: Any, *, nullable: bool = False, **kwargs: Any) -> sa.Column[Any]:
    """A column that is NOT NULL unless it says otherwise (as the ORM's `Mapped[X]` made them)."""
    return sa.Column(name, kind, nullable=nullable, **kwargs)


def _null(name: str, kind: Any, **kwargs: Any) -> sa.Column[Any]:
    return sa.Column(name, kind, nullable=True, **kwargs)


def _lease() -> tuple[sa.Column[Any], sa.Column[Any]]:
    """Who holds a work item's lease and until when (base_repo.py: claims with leases)."""
    return _null("lease_owner", sa.String(120)), _when("lease_expires_at", nullable=True)


ATHLETES = sa.Table(
    "athletes",
    METADATA,
    _id(),
    _col("key", sa.String(120), unique=True),
    _col("name", sa.String(200), default=""),
    _null("timezone", sa.String(64)),
    _col("units", sa.String(10), default="metric"),
    _null("email", sa.String(320)),
    _col("digest_opt_in", sa.Boolean(), default=False),
    _null("advice_mode", sa.String(20)),  # None: follow [advice] mode
    _when("created_at", default=_now),
    # False: `units` follows `[notes] units` (kept in step by Store.follow_default_units); True: the athlete chose.
    _col("units_chosen", sa.Boolean(), default=False, server_default=sa.false()),
    _null("max_heart_rate", Double),
    _null("write_back", sa.String(10)),  # None: `[strava]`/`[garmin] write_back`
    _when("digest_unsubscribed_at", nullable=True),
    sa.CheckConstraint("units IN ('metric', 'imperial')", name="units"),
)

ACCOUNTS = sa.Table(
    "accounts",
    METADATA,
    _id(),
    _ref("athlete_id", "athletes", index=True),
    _col("provider", sa.String(20)),
    _col("external_id", sa.String(64)),
    _null("tokens_encrypted", sa.LargeBinary()),
    _null("sync_cursor", sa.String(200)),
    _col("state", sa.String(20), default="ok"),
    _null("state_message", sa.Text()),
    _when("next_due_at", default=_now, index=True),
    *_lease(),
    _when("created_at", default=_now),
    _when("updated_at", default=_now),
    sa.UniqueConstraint("provider", "external_id"),
    sa.CheckConstraint("state IN ('ok', 'needs_relink', 'error')", name="state"),
)

ACTIVITIES = sa.Table(
    "activities",
    METADATA,
    _id(),
    _ref("athlete_id", "athletes"),
    _col("source", sa.String(20)),
    _col("external_id", sa.String(200)),
    _col("sport", sa.String(30)),
    _col("sport_original", sa.String(100)),
    _col("name", sa.Text(), default=""),
    _when("start_utc"),
    _col("start_local", sa.DateTime(timezone=False)),
    _col("utc_offset_s", sa.Integer(), default=0),
    _null("timezone", sa.String(64)),
    _null("distance_m", Double),
    _null("elapsed_s", Double),
    _null("moving_s", Double),
    _null("elevation_gain_m", Double),
    _null("elevation_loss_m", Double),
    _null("gear_id", sa.String(64)),
    _null("description", sa.Text()),
    _null("workout_type", sa.Integer()),
    _col("indoor", sa.Boolean(), default=False),
    _col("private", sa.Boolean(), default=False),
    _null("average_heart_rate", Double),
    _null("max_heart_rate", Double),
    _col("laps", Json, default=list),
    _col("extra", Json, default=dict),
    _col("raw", Json, default=dict),
    _col("content_hash", sa.String(64)),
    _null("logical_group", sa.String(64), index=True),
    _col("deleted", sa.Boolean(), default=False),
    # syncd's sync state, beside (never inside) the platform's raw payload: new detail not annotated since, and the
    # detail fetch's last bad payload ({"attempts", "retry_at", "error"}) with its backoff
    _col("needs_annotation", sa.Boolean(), default=False, server_default=sa.false()),
    _null("sync_failure", Json),
    # bad input about this activity that syncd kept going past, by kind ("twin", "pain_tag"): a value-free line
    # naming the problem and the fix, shown by `syncd status` until the input is fixed
    _null("input_warnings", Json),
    _when("created_at", default=_now),
    _when("updated_at", default=_now),
    sa.UniqueConstraint("source", "external_id"),
    sa.Index("ix_activities_athlete_start", "athlete_id", "start_utc"),
    sa.Index("ix_activities_start", "start_utc", "id"),
    sa.Index("ix_activities_updated_at", "updated_at"),  # the feed's cache key (feed_queries.data_version)
)

# One row per activity: every channel in one compressed blob (codec.py), never a row per sample.
STREAMS = sa.Table(
    "streams",
    METADATA,
    _ref("activity_id", "activities", primary_key=True),
    _col("format_version", sa.SmallInteger()),
    _col("samples", sa.Integer()),
    _col("data", sa.LargeBinary()),
)

GEAR = sa.Table(
    "gear",
    METADATA,
    _id(),
    _ref("athlete_id", "athletes"),
    _col("gear_id", sa.String(64)),
    _col("name", sa.String(200), default=""),
    _col("kind", sa.String(20), default="shoe"),
    _col("distance_m", Double, default=0.0),
    _null("limit_m", Double),
    _col("retired", sa.Boolean(), default=False),
    _when("updated_at", default=_now),
    sa.UniqueConstraint("athlete_id", "gear_id"),
)

# Append-only: one row per distinct result, so the newest id per activity is the current annotation.
ANNOTATIONS = sa.Table(
    "annotations",
    METADATA,
    _id(),
    _ref("activity_id", "activities"),
    _col("rules_version", sa.String(40)),
    _col("flags", Json, default=list),
    _null("note", sa.Text()),
    # the note as written to the activity's platform when it differs from `note` (pain data from the diary never
    # reaches a platform: docs/pain.md); None: the same text
    _null("platform_note", sa.Text()),
    _when("created_at", default=_now),
    sa.Index("ix_annotations_activity_id", "activity_id", "id"),
)

# The current (latest) annotation's flag codes, one row per activity and code, kept beside every annotation write
# (flag_index.py): the feed's `?flag=` filter reads this index instead of every annotation's JSON.
ACTIVITY_FLAGS = sa.Table(
    "activity_flags",
    METADATA,
    sa.Column(
        "activity_id",
        BigId,
        sa.ForeignKey("activities.id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    ),
    _col("code", sa.String(40), primary_key=True),
    sa.Index("ix_activity_flags_code", "code", "activity_id"),
)

OUTBOX = sa.Table(
    "writeback_outbox",
    METADATA,
    _id(),
    _ref("activity_id", "activities"),
    _col("provider", sa.String(20)),
    _col("note", sa.Text()),
    _col("payload", Json, default=dict),
    _col("status", sa.String(10), default="pending"),
    _col("attempts", sa.Integer(), default=0),
    _when("next_attempt_at", default=_now),
    *_lease(),
    _null("last_error", sa.Text()),
    _when("created_at", default=_now),
    _when("updated_at", default=_now),
    # held: not written for a reason a settings change may lift (the write-back off, a public activity under
    # "private"); the next drain after such a change gives it back to the queue
    sa.CheckConstraint("status IN ('pending', 'claimed', 'done', 'failed', 'held')", name="status"),
    # uq_outbox_one_pending: see schema_metadata()
    sa.Index("ix_outbox_due", "status", "next_attempt_at"),
    sa.Index("ix_outbox_activity", "activity_id", "provider", "id"),  # write-back badges, note state
)

DIGESTS = sa.Table(
    "digests",
    METADATA,
    _id(),
    _ref("athlete_id", "athletes"),
    _col("week", sa.String(8)),
    _col("status", sa.String(10), default="claimed"),
    *_lease(),
    _col("attempts", sa.Integer(), default=0),
    _null("last_error", sa.Text()),
    _when("sent_at", nullable=True),
    _when("created_at", default=_now),
    sa.UniqueConstraint("athlete_id", "week"),
    sa.CheckConstraint("status IN ('claimed', 'sent', 'failed')", name="status"),
)

# Platform rate limits shared by all workers (Strava: 15-minute and daily windows, reads and totals).
RATE_BUDGET = sa.Table(
    "rate_budget",
    METADATA,
    _col("key", sa.String(120), primary_key=True),
    _null("short_limit", sa.Integer()),
    _col("short_usage", sa.Integer(), default=0),
    _when("short_window_start", nullable=True),
    _null("daily_limit", sa.Integer()),
    _col("daily_usage", sa.Integer(), default=0),
    _when("daily_window_start", nullable=True),
    _null("read_short_limit", sa.Integer()),
    _col("read_short_usage", sa.Integer(), default=0),
    _null("read_daily_limit", sa.Integer()),
    _col("read_daily_usage", sa.Integer(), default=0),
    _when("updated_at", default=_now),
)

# Surface-map answers cached per tile (e.g. an Overpass query for one tile), so a street is never asked twice.
MAP_TILES = sa.Table(
    "map_tiles",
    METADATA,
    _col("source", sa.String(200), primary_key=True),
    _col("tile", sa.String(64), primary_key=True),
    _when("fetched_at", default=_now),
    _col("data", sa.LargeBinary()),
)

# The back-pain diary (health data): one row per entry; `slot` keeps one entry per run and source or per day. A tag
# entry lives as long as the tag does on its activity (and goes with the activity); the athlete's text on the
# platform is never touched.
PAIN_ENTRIES = sa.Table(
    "pain_entries",
    METADATA,
    _id(),
    _ref("athlete_id", "athletes"),
    _col("day", sa.Date()),
    _col("score", sa.SmallInteger()),
    _col("note", sa.Text(), default=""),
    _col("source", sa.String(10)),
    _ref("activity_id", "activities", nullable=True),
    _col("slot", sa.String(40)),
    _when("recorded_at", default=_now),
    sa.UniqueConstraint("athlete_id", "slot"),
    sa.CheckConstraint("score >= 0 AND score <= 10", name="score"),
    sa.CheckConstraint("source IN ('tag', 'web', 'cli', 'checkin')", name="source"),
    sa.Index("ix_pain_entries_athlete_day", "athlete_id", "day"),
)

# An athlete's own Apprise URLs (`syncd athlete set --notify`), encrypted like platform tokens: they hold tokens and
# passwords; and the kinds of message the athlete turned off (`--notify-kinds`), comma-separated.
NOTIFY_TARGETS = sa.Table(
    "notify_targets",
    METADATA,
    sa.Column(
        "athlete_id",
        BigId,
        sa.ForeignKey("athletes.id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    ),
    _null("urls_encrypted", sa.LargeBinary()),
    _col("muted", sa.String(40), default=""),
    _when("updated_at", default=_now),
)

# The push-notification outbox: one row per message and target, so a failing target is retried with back-off on its
# own and never holds the others. `target` names the URL without showing it ("config:1", "athlete:2"); `ref` makes a
# message idempotent (the activity, the week, the day).
NOTIFICATIONS = sa.Table(
    "notifications",
    METADATA,
    _id(),
    _ref("athlete_id", "athletes"),
    _col("kind", sa.String(10)),
    _col("ref", sa.String(40)),
    _col("target", sa.String(40)),
    _col("scheme", sa.String(32)),
    _col("title", sa.Text()),
    _col("body", sa.Text()),
    _null("link", sa.Text()),
    _col("status", sa.String(10), default="pending"),
    _col("attempts", sa.Integer(), default=0),
    _when("next_attempt_at", default=_now),
    *_lease(),
    _null("last_error", sa.Text()),
    _when("sent_at", nullable=True),
    _when("created_at", default=_now),
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


_storable_text_columns(METADATA)


def schema_metadata() -> sa.MetaData:
    """Every table with every index, for what reads or writes DDL (the migrations' environment, schema checks).

    The one partial index (one pending or held write-back per activity and platform) is attached here, not above: its
    PostgreSQL option makes SQLAlchemy import its whole PostgreSQL dialect (~25 ms), which queries on SQLite never
    need; queries do not name the index (ON CONFLICT DO NOTHING has no target)."""
    if "uq_outbox_one_pending" not in {index.name for index in OUTBOX.indexes}:
        sa.Index(
            "uq_outbox_one_pending",
            OUTBOX.c.activity_id,
            OUTBOX.c.provider,
            unique=True,
            sqlite_where=sa.text("status IN ('pending', 'held')"),
            postgresql_where=sa.text("status IN ('pending', 'held')"),
        )
    return METADATA
