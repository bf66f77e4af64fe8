"""The `activity_flags` index: the flag codes of each activity's current annotation, one row per code.

Written in the same transaction as every new annotation (Store.save_annotation, annotation_writes), so it always
matches the latest annotation; the migration that adds it fills it from the annotations already stored.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from syncd.adapters.db.models import ACTIVITY_FLAGS, ANNOTATIONS


def replace_current_flags(conn: Connection, codes: Mapping[int, Iterable[str]]) -> None:
    """Make `codes` the current flag codes of each activity in it (inside the caller's transaction)."""
    if not codes:
        return
    conn.execute(sa.delete(ACTIVITY_FLAGS).where(ACTIVITY_FLAGS.c.activity_id.in_(list(codes))))
    rows = [{"activity_id": activity_id, "code": code} for activity_id, found in codes.items() for code in set(found)]
    if rows:
        conn.execute(sa.insert(ACTIVITY_FLAGS), rows)


def codes_of(flags_json: Any) -> list[str]:
    """Flag codes from an annotation's stored `flags` JSON (a list of {"code": …}; text on some drivers)."""
    data = json.loads(flags_json) if isinstance(flags_json, str | bytes) else flags_json
    return [str(item["code"]) for item in data or () if isinstance(item, dict) and item.get("code")]


def rebuild_current_flags(conn: Connection) -> int:
    """Refill the whole index from the latest annotation of every activity; returns how many rows it holds."""
    newest = sa.select(sa.func.max(ANNOTATIONS.c.id)).group_by(ANNOTATIONS.c.activity_id).scalar_subquery()
    conn.execute(sa.delete(ACTIVITY_FLAGS))
    total = 0
    result = conn.execute(sa.select(ANNOTATIONS.c.activity_id, ANNOTATIONS.c.flags).where(ANNOTATIONS.c.id.in_(newest)))
    while batch := result.fetchmany(5000):
        rows = [{"activity_id": int(a), "code": code} for a, flags in batch for code in set(codes_of(flags))]
        if rows:
            conn.execute(sa.insert(ACTIVITY_FLAGS), rows)
            total += len(rows)
    return total
