"""Cache of surface-map tiles (Overpass answers per tile).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "map_tiles",
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("tile", sa.String(length=64), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("source", "tile", name=op.f("pk_map_tiles")),
    )


def downgrade() -> None:
    op.drop_table("map_tiles")
