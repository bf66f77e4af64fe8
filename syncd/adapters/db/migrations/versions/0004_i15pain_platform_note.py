"""The note as written to a platform, beside syncd's own (the platform's never carries the diary).

Revision ID: 0004_i15pain
Revises: 0003_i16perf
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_i15pain"
down_revision = "0003_i16perf"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("annotations") as batch:
        batch.add_column(sa.Column("platform_note", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("annotations", "platform_note")  # plain DROP COLUMN, as the other downgrades: no table copy
