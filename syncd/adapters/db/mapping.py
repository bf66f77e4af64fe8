"""Activity/Flag <-> column values, and the content hash that makes re-syncing an unchanged activity a no-op."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import Row

from syncd.adapters.db.models import ACTIVITIES
from syncd.domain.flags import Confidence, Flag, FlagCode, Severity
from syncd.domain.history import HistoryEntry, summarize
from syncd.domain.model import Activity, Lap, Source, Sport, Streams
from syncd.lru import Lru

type AnyRow = Row[*tuple[Any, ...]]  # lazily evaluated: any result row, whatever its columns

# Scalar Activity fields stored in same-named columns (timezone_name is stored as `timezone`).
SCALAR_FIELDS = (
    "name",
    "utc_offset_s",
    "distance_m",
    "elapsed_s",
    "moving_s",
    "elevation_gain_m",
    "elevation_loss_m",
    "gear_id",
    "description",
    "workout_type",
    "indoor",
    "private",
    "average_heart_rate",
    "max_heart_rate",
)


def to_json_value(value: object) -> Any:
    """Plain JSON data (lists, dicts, str, numbers): what the JSON columns give back, so comparisons are fair."""
    return json.loads(json.dumps(value, default=str, allow_nan=True))


def activity_values(activity: Activity) -> dict[str, Any]:
    values: dict[str, Any] = {name: getattr(activity, name) for name in SCALAR_FIELDS}
    values.update(
        source=activity.source.value,
        external_id=activity.external_id,
        sport=activity.sport.value,
        sport_original=activity.sport_original,
        start_utc=activity.start_utc,
        start_local=activity.start_local,
        timezone=activity.timezone_name,
        laps=[asdict(lap) for lap in activity.laps],
        extra=to_json_value(dict(activity.extra)),
    )
    return values


def content_hash(values: Mapping[str, Any], raw: Mapping[str, object], streams_body: bytes | None) -> str:
    """sha256 over everything stored for an activity (streams as codec.pack_streams' uncompressed body, so the
    hash is known before paying for zlib); equal hash means nothing to write."""
    canonical = json.dumps(
        {"values": values, "raw": raw}, sort_keys=True, default=_json_default, separators=(",", ":"), allow_nan=True
    )
    digest = hashlib.sha256(canonical.encode())
    digest.update(b"\x00streams\x00" + (streams_body or b""))
    return digest.hexdigest()


def _json_default(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def activity_from_row(row: AnyRow, streams: Streams | None) -> Activity:
    m = row._mapping
    return Activity(
        source=Source(m["source"]),
        external_id=m["external_id"],
        sport=Sport(m["sport"]),
        sport_original=m["sport_original"],
        start_utc=m["start_utc"],
        timezone_name=m["timezone"],
        streams=streams,
        laps=tuple(Lap(**lap) for lap in m["laps"] or ()),
        extra=dict(m["extra"] or {}),
        **{name: m[name] for name in SCALAR_FIELDS},
    )


def flags_to_json(flags: Sequence[Flag]) -> list[Any]:
    result: list[Any] = to_json_value([flag.to_json() for flag in flags])
    return result


def flags_from_json(data: Sequence[Mapping[str, Any]]) -> tuple[Flag, ...]:
    return tuple(
        Flag(
            code=FlagCode(item["code"]),
            severity=Severity(item["severity"]),
            confidence=Confidence(item["confidence"]),
            evidence=dict(item.get("evidence") or {}),
            advice=str(item.get("advice") or ""),
        )
        for item in data
    )


# What a history entry needs of an activity row (the single and the batch annotation paths read the same).
HISTORY_COLUMNS = (
    ACTIVITIES.c.logical_group,
    ACTIVITIES.c.source,
    ACTIVITIES.c.external_id,
    ACTIVITIES.c.sport,
    ACTIVITIES.c.sport_original,
    ACTIVITIES.c.start_utc,
    ACTIVITIES.c.utc_offset_s,
    ACTIVITIES.c.distance_m,
    ACTIVITIES.c.elapsed_s,
    ACTIVITIES.c.moving_s,
    ACTIVITIES.c.average_heart_rate,
    ACTIVITIES.c.workout_type,
    ACTIVITIES.c.elevation_gain_m,
    ACTIVITIES.c.gear_id,
)


# Bounded to what the feed rereads (a 12-week strip is ~100 entries an athlete): at 8,192 a first sync of a long
# history kept ~6 MB of entries it never read again (issue 32's first-sync memory row)
_HISTORY: Lru[tuple[Any, ...], HistoryEntry] = Lru(1024)


def history_entry(row: AnyRow) -> HistoryEntry:
    """The history summary of a row selected with HISTORY_COLUMNS, made once per distinct row (the feed's weekly
    strip and session counts read the same weeks again after every change; entries are immutable)."""
    return _HISTORY.get(tuple(row), lambda: _history_entry(row))


def _history_entry(row: AnyRow) -> HistoryEntry:
    return summarize(
        Activity(
            source=Source(row.source),
            external_id=row.external_id,
            sport=Sport(row.sport),
            sport_original=row.sport_original,
            start_utc=row.start_utc,
            utc_offset_s=row.utc_offset_s,
            distance_m=row.distance_m,
            elapsed_s=row.elapsed_s,
            moving_s=row.moving_s,
            average_heart_rate=row.average_heart_rate,
            workout_type=row.workout_type,
            elevation_gain_m=row.elevation_gain_m,
            gear_id=row.gear_id,
        )
    )
