"""Initial schema: athletes, accounts, activities + streams, gear, annotations, outbox, digests, rate budget.

Revision ID: 0001
Revises:
Create Date: 2026-11-25

Self-contained on purpose (no imports from syncd.adapters.db.models): a migration must keep creating the schema
of its time even after the models move on. Datetimes are stored as naive UTC on SQLite and timestamptz on
PostgreSQL; the models' UTCDateTime type hands out aware UTC either way.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # SQLite only auto-increments INTEGER PRIMARY KEY
_TS = sa.DateTime(timezone=True)
_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "athletes",
        sa.Column("id", _ID, nullable=False),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=True),
        sa.Column("units", sa.String(length=10), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("digest_opt_in", sa.Boolean(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.CheckConstraint("units IN ('metric', 'imperial')", name=op.f("ck_athletes_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_athletes")),
        sa.UniqueConstraint("key", name=op.f("uq_athletes_key")),
    )
    op.create_table(
        "rate_budget",
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("short_limit", sa.Integer(), nullable=True),
        sa.Column("short_usage", sa.Integer(), nullable=False),
        sa.Column("short_window_start", _TS, nullable=True),
        sa.Column("daily_limit", sa.Integer(), nullable=True),
        sa.Column("daily_usage", sa.Integer(), nullable=False),
        sa.Column("daily_window_start", _TS, nullable=True),
        sa.Column("read_short_limit", sa.Integer(), nullable=True),
        sa.Column("read_short_usage", sa.Integer(), nullable=False),
        sa.Column("read_daily_limit", sa.Integer(), nullable=True),
        sa.Column("read_daily_usage", sa.Integer(), nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_rate_budget")),
    )
    op.create_table(
        "accounts",
        sa.Column("id", _ID, nullable=False),
        sa.Column("athlete_id", _ID, nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("tokens_encrypted", sa.LargeBinary(), nullable=True),
        sa.Column("sync_cursor", sa.String(length=200), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("state_message", sa.Text(), nullable=True),
        sa.Column("next_due_at", _TS, nullable=False),
        sa.Column("lease_owner", sa.String(length=120), nullable=True),
        sa.Column("lease_expires_at", _TS, nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.CheckConstraint("state IN ('ok', 'needs_relink', 'error')", name=op.f("ck_accounts_state")),
        sa.ForeignKeyConstraint(
            ["athlete_id"], ["athletes.id"], name=op.f("fk_accounts_athlete_id_athletes"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("provider", "external_id", name=op.f("uq_accounts_provider_external_id")),
    )
    op.create_index(op.f("ix_accounts_athlete_id"), "accounts", ["athlete_id"], unique=False)
    op.create_index(op.f("ix_accounts_next_due_at"), "accounts", ["next_due_at"], unique=False)
    op.create_table(
        "activities",
        sa.Column("id", _ID, nullable=False),
        sa.Column("athlete_id", _ID, nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("sport", sa.String(length=30), nullable=False),
        sa.Column("sport_original", sa.String(length=100), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("start_utc", _TS, nullable=False),
        sa.Column("start_local", sa.DateTime(), nullable=False),
        sa.Column("utc_offset_s", sa.Integer(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=True),
        sa.Column("distance_m", sa.Double(), nullable=True),
        sa.Column("elapsed_s", sa.Double(), nullable=True),
        sa.Column("moving_s", sa.Double(), nullable=True),
        sa.Column("elevation_gain_m", sa.Double(), nullable=True),
        sa.Column("elevation_loss_m", sa.Double(), nullable=True),
        sa.Column("gear_id", sa.String(length=64), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("workout_type", sa.Integer(), nullable=True),
        sa.Column("indoor", sa.Boolean(), nullable=False),
        sa.Column("private", sa.Boolean(), nullable=False),
        sa.Column("average_heart_rate", sa.Double(), nullable=True),
        sa.Column("max_heart_rate", sa.Double(), nullable=True),
        sa.Column("laps", _JSON, nullable=False),
        sa.Column("extra", _JSON, nullable=False),
        sa.Column("raw", _JSON, nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("logical_group", sa.String(length=64), nullable=True),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["athlete_id"], ["athletes.id"], name=op.f("fk_activities_athlete_id_athletes"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activities")),
        sa.UniqueConstraint("source", "external_id", name=op.f("uq_activities_source_external_id")),
    )
    op.create_index("ix_activities_athlete_start", "activities", ["athlete_id", "start_utc"], unique=False)
    op.create_index(op.f("ix_activities_logical_group"), "activities", ["logical_group"], unique=False)
    op.create_index("ix_activities_start", "activities", ["start_utc", "id"], unique=False)
    op.create_table(
        "digests",
        sa.Column("id", _ID, nullable=False),
        sa.Column("athlete_id", _ID, nullable=False),
        sa.Column("week", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("lease_owner", sa.String(length=120), nullable=True),
        sa.Column("lease_expires_at", _TS, nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("sent_at", _TS, nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.CheckConstraint("status IN ('claimed', 'sent', 'failed')", name=op.f("ck_digests_status")),
        sa.ForeignKeyConstraint(
            ["athlete_id"], ["athletes.id"], name=op.f("fk_digests_athlete_id_athletes"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digests")),
        sa.UniqueConstraint("athlete_id", "week", name=op.f("uq_digests_athlete_id_week")),
    )
    op.create_table(
        "gear",
        sa.Column("id", _ID, nullable=False),
        sa.Column("athlete_id", _ID, nullable=False),
        sa.Column("gear_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("distance_m", sa.Double(), nullable=False),
        sa.Column("limit_m", sa.Double(), nullable=True),
        sa.Column("retired", sa.Boolean(), nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["athlete_id"], ["athletes.id"], name=op.f("fk_gear_athlete_id_athletes"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gear")),
        sa.UniqueConstraint("athlete_id", "gear_id", name=op.f("uq_gear_athlete_id_gear_id")),
    )
    op.create_table(
        "annotations",
        sa.Column("id", _ID, nullable=False),
        sa.Column("activity_id", _ID, nullable=False),
        sa.Column("rules_version", sa.String(length=40), nullable=False),
        sa.Column("flags", _JSON, nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["activity_id"], ["activities.id"], name=op.f("fk_annotations_activity_id_activities"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_annotations")),
    )
    op.create_index("ix_annotations_activity_id", "annotations", ["activity_id", "id"], unique=False)
    op.create_table(
        "streams",
        sa.Column("activity_id", _ID, nullable=False),
        sa.Column("format_version", sa.SmallInteger(), nullable=False),
        sa.Column("samples", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["activity_id"], ["activities.id"], name=op.f("fk_streams_activity_id_activities"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("activity_id", name=op.f("pk_streams")),
    )
    op.create_table(
        "writeback_outbox",
        sa.Column("id", _ID, nullable=False),
        sa.Column("activity_id", _ID, nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("payload", _JSON, nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", _TS, nullable=False),
        sa.Column("lease_owner", sa.String(length=120), nullable=True),
        sa.Column("lease_expires_at", _TS, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'claimed', 'done', 'failed')", name=op.f("ck_writeback_outbox_status")
        ),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["activities.id"],
            name=op.f("fk_writeback_outbox_activity_id_activities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_writeback_outbox")),
    )
    op.create_index("ix_outbox_due", "writeback_outbox", ["status", "next_attempt_at"], unique=False)
    op.create_index(
        "uq_outbox_one_pending",
        "writeback_outbox",
        ["activity_id", "provider"],
        unique=True,
        sqlite_where=sa.text("status = 'pending'"),
        postgresql_where=sa.text("status = 'pending'"),
    )


def downgrade() -> None:
    op.drop_index(
        "uq_outbox_one_pending",
        table_name="writeback_outbox",
        sqlite_where=sa.text("status = 'pending'"),
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.drop_index("ix_outbox_due", table_name="writeback_outbox")
    op.drop_table("writeback_outbox")
    op.drop_table("streams")
    op.drop_index("ix_annotations_activity_id", table_name="annotations")
    op.drop_table("annotations")
    op.drop_table("gear")
    op.drop_table("digests")
    op.drop_index("ix_activities_start", table_name="activities")
    op.drop_index(op.f("ix_activities_logical_group"), table_name="activities")
    op.drop_index("ix_activities_athlete_start", table_name="activities")
    op.drop_table("activities")
    op.drop_index(op.f("ix_accounts_next_due_at"), table_name="accounts")
    op.drop_index(op.f("ix_accounts_athlete_id"), table_name="accounts")
    op.drop_table("accounts")
    op.drop_table("rate_budget")
    op.drop_table("athletes")
