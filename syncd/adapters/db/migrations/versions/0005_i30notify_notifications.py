"""Push notifications: the athletes' own Apprise URLs (encrypted) and the kinds they turned off, the notification
outbox; pain entries from the one-tap check-in (source 'checkin').

Revision ID: 0005_i30notify
Revises: 0004_i15pain
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_i30notify"
down_revision = "0005_i32"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_SOURCES_OLD = "source IN ('tag', 'web', 'cli')"
_SOURCES_NEW = "source IN ('tag', 'web', 'cli', 'checkin')"


def upgrade() -> None:
    op.create_table(
        "notify_targets",
        sa.Column("athlete_id", _ID, nullable=False, autoincrement=False),
        sa.Column("urls_encrypted", sa.LargeBinary(), nullable=True),
        sa.Column("muted", sa.String(length=40), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["athlete_id"], ["athletes.id"], name=op.f("fk_notify_targets_athlete_id_athletes"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("athlete_id", name=op.f("pk_notify_targets")),
    )
    op.create_table(
        "notifications",
        sa.Column("id", _ID, nullable=False),
        sa.Column("athlete_id", _ID, nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("ref", sa.String(length=40), nullable=False),
        sa.Column("target", sa.String(length=40), nullable=False),
        sa.Column("scheme", sa.String(length=32), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("link", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_owner", sa.String(length=120), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('pending', 'claimed', 'done', 'failed')", name=op.f("ck_notifications_status")),
        sa.ForeignKeyConstraint(
            ["athlete_id"], ["athletes.id"], name=op.f("fk_notifications_athlete_id_athletes"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint(
            "athlete_id", "kind", "ref", "target", name=op.f("uq_notifications_athlete_id_kind_ref_target")
        ),
    )
    op.create_index("ix_notifications_due", "notifications", ["status", "next_attempt_at"])
    _pain_sources(_SOURCES_NEW)


def downgrade() -> None:
    op.execute("DELETE FROM pain_entries WHERE source = 'checkin'")
    _pain_sources(_SOURCES_OLD)
    op.drop_index("ix_notifications_due", table_name="notifications")
    op.drop_table("notifications")
    op.drop_table("notify_targets")


def _pain_sources(condition: str) -> None:
    # SQLite cannot alter a constraint: batch mode copies the table (recreate="always"), PostgreSQL alters in place
    with op.batch_alter_table("pain_entries", recreate="auto") as batch:
        batch.drop_constraint(op.f("ck_pain_entries_source"), type_="check")
        batch.create_check_constraint(op.f("ck_pain_entries_source"), sa.text(condition))
