"""The write-back policy decided once, at drain (issue 27): a note is queued whenever its platform text changes, and
the drain writes it or holds it. A held item (`status = 'held'`, its reason in `payload`) is not written because
the write-back is off (the athlete's or the platform's) or the activity is public under "private"; the next drain
after that setting changes gives it back to the queue, so no re-annotation is needed. At most one item per
activity and platform is pending or held (`uq_outbox_one_pending`), so a newer note replaces a held one in place.

Revision ID: 0007_wbonce
Revises: 0006_h27state
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_wbonce"
down_revision = "0006_h27state"
branch_labels = None
depends_on = None

_OLD, _NEW = "status = 'pending'", "status IN ('pending', 'held')"
_STATUSES_OLD = "status IN ('pending', 'claimed', 'done', 'failed')"
_STATUSES_NEW = "status IN ('pending', 'claimed', 'done', 'failed', 'held')"


def _one_pending(where: str) -> None:
    op.create_index(
        "uq_outbox_one_pending",
        "writeback_outbox",
        ["activity_id", "provider"],
        unique=True,
        sqlite_where=sa.text(where),
        postgresql_where=sa.text(where),
    )


def _swap(old_where: str, new_where: str, statuses: str) -> None:
    op.drop_index("uq_outbox_one_pending", table_name="writeback_outbox")
    # SQLite changes a CHECK constraint only by copying the table (nothing references the outbox: no cascade)
    with op.batch_alter_table("writeback_outbox", recreate="auto") as batch:
        batch.drop_constraint(op.f("ck_writeback_outbox_status"), type_="check")
        batch.create_check_constraint("status", statuses)
    _one_pending(new_where)


def upgrade() -> None:
    _swap(_OLD, _NEW, _STATUSES_NEW)


def downgrade() -> None:
    conn = op.get_bind()
    conn.execute(sa.text("UPDATE writeback_outbox SET status = 'done' WHERE status = 'held'"))
    _swap(_NEW, _OLD, _STATUSES_OLD)
