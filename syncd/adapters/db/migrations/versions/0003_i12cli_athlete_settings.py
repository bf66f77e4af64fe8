"""Athlete settings a person changes with `syncd athlete set`: chosen units, maximum heart rate, write-back mode,
and the time a digest unsubscribe link was followed.

Revision ID: 0003_i12cli
Revises: 0002
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_i12cli"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("athletes", sa.Column("units_chosen", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("athletes", sa.Column("max_heart_rate", sa.Double(), nullable=True))
    op.add_column("athletes", sa.Column("write_back", sa.String(length=10), nullable=True))
    op.add_column("athletes", sa.Column("digest_unsubscribed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    # plain DROP COLUMN (SQLite 3.35+): a batch copy of athletes would cascade its drop to every activity
    for column in ("digest_unsubscribed_at", "write_back", "max_heart_rate", "units_chosen"):
        op.drop_column("athletes", column)
