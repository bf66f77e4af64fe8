"""An index on the outbox by activity and platform: each queued note is compared with the one last written there
(an unchanged note is not queued again), and the activity page shows that note's state.

Revision ID: 0005_i27
Revises: 0004_i15pain
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0005_i27"
down_revision = "0004_i15pain"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_outbox_activity", "writeback_outbox", ["activity_id", "provider", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_outbox_activity", table_name="writeback_outbox")
