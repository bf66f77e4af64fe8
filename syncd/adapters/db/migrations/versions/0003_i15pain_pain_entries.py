"""The back-pain diary (pain_entries) and an athlete's own advice mode.

Revision ID: 0003_i15pain
Revises: 0003_i12cli
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_i15pain"
down_revision = "0003_i12cli"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("athletes") as batch:
        batch.add_column(sa.Column("advice_mode", sa.String(length=20), nullable=True))
    op.create_table(
        "pain_entries",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("athlete_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("score", sa.SmallInteger(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("activity_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("slot", sa.String(length=40), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("score >= 0 AND score <= 10", name=op.f("ck_pain_entries_score")),
        sa.CheckConstraint("source IN ('tag', 'web', 'cli')", name=op.f("ck_pain_entries_source")),
        sa.ForeignKeyConstraint(
            ["athlete_id"], ["athletes.id"], name=op.f("fk_pain_entries_athlete_id_athletes"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["activity_id"], ["activities.id"], name=op.f("fk_pain_entries_activity_id_activities"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pain_entries")),
        sa.UniqueConstraint("athlete_id", "slot", name=op.f("uq_pain_entries_athlete_id_slot")),
    )
    op.create_index("ix_pain_entries_athlete_day", "pain_entries", ["athlete_id", "day"])


def downgrade() -> None:
    op.drop_index("ix_pain_entries_athlete_day", table_name="pain_entries")
    op.drop_table("pain_entries")
    op.drop_column("athletes", "advice_mode")  # not a batch copy: dropping athletes would cascade to activities
