"""Feed at 100,000 activities: an index of each activity's current flag codes, and activities.updated_at indexed.

`activity_flags` replaces scanning every annotation's JSON for the feed's `?flag=` filter; it is filled here from
the annotations already stored. `ix_activities_updated_at` makes the feed's cache key (newest change) one index
lookup.

Revision ID: 0003_i16perf
Revises: 0003_i15pain
Create Date: 2026-11-29
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0003_i16perf"
down_revision = "0003_i15pain"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "activity_flags",
        sa.Column("activity_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["activities.id"],
            name=op.f("fk_activity_flags_activity_id_activities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("activity_id", "code", name=op.f("pk_activity_flags")),
    )
    op.create_index("ix_activity_flags_code", "activity_flags", ["code", "activity_id"])
    op.create_index("ix_activities_updated_at", "activities", ["updated_at"])
    _fill()


def _fill() -> None:
    conn = op.get_bind()
    annotations = sa.table("annotations", sa.column("id"), sa.column("activity_id"), sa.column("flags"))
    flags_index = sa.table("activity_flags", sa.column("activity_id"), sa.column("code"))
    newest = sa.select(sa.func.max(annotations.c.id)).group_by(annotations.c.activity_id).scalar_subquery()
    result = conn.execute(sa.select(annotations.c.activity_id, annotations.c.flags).where(annotations.c.id.in_(newest)))
    while batch := result.fetchmany(5000):
        rows: list[dict[str, object]] = []
        for activity_id, flags in batch:
            data = json.loads(flags) if isinstance(flags, str | bytes) else flags
            codes = {str(f["code"]) for f in data or () if isinstance(f, dict) and f.get("code")}
            rows.extend({"activity_id": int(activity_id), "code": code} for code in codes)
        if rows:
            conn.execute(sa.insert(flags_index), rows)


def downgrade() -> None:
    op.drop_index("ix_activities_updated_at", table_name="activities")
    op.drop_index("ix_activity_flags_code", table_name="activity_flags")
    op.drop_table("activity_flags")
