"""Sync state out of the platform's raw payload (issue 27): `activities.needs_annotation` and
`activities.sync_failure` hold what the sync pass used to write into `raw` under "not_annotated_yet" and
"sync_failure" (which cost a second upsert of the whole payload per run). The keys are moved out of the stored
payloads, so `raw` is exactly what the platform sent. `activities.input_warnings`: bad input syncd kept going past
(an ambiguous twin match, a #back tag on a run dated in the future), shown by `syncd status`.

Revision ID: 0006_h27state
Revises: 0005_i30notify
Create Date: 2026-12-07
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006_h27state"
down_revision = "0005_i30notify"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_FAILURE, _UNANNOTATED = "sync_failure", "not_annotated_yet"  # the old keys inside raw
_BATCH = 500


def _activities() -> sa.TableClause:
    return sa.table(
        "activities",
        sa.column("id", sa.BigInteger()),
        sa.column("raw", _JSON),
        sa.column("needs_annotation", sa.Boolean()),
        sa.column("sync_failure", _JSON),
    )


def upgrade() -> None:
    # plain ADD COLUMN (no batch copy of the table on SQLite: its drop would cascade to the activities' rows)
    op.add_column("activities", sa.Column("needs_annotation", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("activities", sa.Column("sync_failure", _JSON, nullable=True))
    op.add_column("activities", sa.Column("input_warnings", _JSON, nullable=True))  # shown by `syncd status`
    table = _activities()
    conn = op.get_bind()
    # only rows whose payload text names a key (cheap on both backends); the JSON is checked again below
    text = sa.cast(table.c.raw, sa.Text)
    holding = sa.or_(text.contains(_FAILURE), text.contains(_UNANNOTATED))
    after = 0
    while True:
        rows = conn.execute(
            sa.select(table.c.id, table.c.raw).where(holding, table.c.id > after).order_by(table.c.id).limit(_BATCH)
        ).all()
        for row in rows:
            raw: dict[str, Any] = dict(row.raw or {})
            if _FAILURE not in raw and _UNANNOTATED not in raw:
                continue
            failure = raw.pop(_FAILURE, None)
            unannotated = bool(raw.pop(_UNANNOTATED, False))
            values = {
                "raw": raw,
                "needs_annotation": unannotated,
                "sync_failure": failure if isinstance(failure, dict) else sa.null(),  # SQL NULL, not JSON null
            }
            conn.execute(sa.update(table).where(table.c.id == row.id).values(**values))
        if len(rows) < _BATCH:
            return
        after = int(rows[-1].id)


def downgrade() -> None:
    table = _activities()
    conn = op.get_bind()
    marked = sa.or_(table.c.needs_annotation, table.c.sync_failure.is_not(None))
    rows = conn.execute(
        sa.select(table.c.id, table.c.raw, table.c.needs_annotation, table.c.sync_failure).where(marked)
    ).all()
    for row in rows:
        raw: dict[str, Any] = dict(row.raw or {})
        if row.needs_annotation:
            raw[_UNANNOTATED] = True
        if row.sync_failure is not None:
            raw[_FAILURE] = row.sync_failure
        conn.execute(sa.update(table).where(table.c.id == row.id).values(raw=raw))
    # plain DROP COLUMN (SQLite 3.35+): a batch copy of the table would cascade its drop to annotations and streams
    for column in ("input_warnings", "sync_failure", "needs_annotation"):
        op.drop_column("activities", column)
