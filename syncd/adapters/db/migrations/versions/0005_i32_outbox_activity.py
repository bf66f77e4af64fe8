"""The feed's write-back badges and the activity page's note state: writeback_outbox indexed by activity and
platform (each queued note is also compared with the one last written there: an unchanged note is not queued again).

Every feed page reads the outbox rows of its 50 activities; without an index on activity_id that was a scan of the
whole outbox (14,000 rows: ~15 ms of a 20 ms page at 100,000 activities).

Revision ID: 0005_i32
Revises: 0004_i15pain
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0005_i32"
down_revision = "0004_i15pain"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_outbox_activity", "writeback_outbox", ["activity_id", "provider", "id"])


def downgrade() -> None:
    op.drop_index("ix_outbox_activity", table_name="writeback_outbox")
