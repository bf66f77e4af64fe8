"""What `syncd status` reads beyond the athletes and accounts (reads.py): row counts, the outbox, digests, push
notifications, input warnings, the Strava budget, when runs appear and which wait for their streams. Plain SQL over
a `reads.Reader`, the one place these queries live: the Store's repositories call these same functions.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from syncd.adapters.db.reads import Reader, when
from syncd.domain.model import RUN_SPORTS, Source, Sport
from syncd.domain.rate_budget import BudgetState
from syncd.domain.streams_state import streams_pending
from syncd.status_records import InputWarning

# Every table, in the order `syncd status --json` and `syncd doctor` count them (models.py defines their columns).
TABLES = (
    "athletes",
    "accounts",
    "activities",
    "streams",
    "gear",
    "annotations",
    "writeback_outbox",
    "digests",
    "rate_budget",
    "map_tiles",
    "pain_entries",
    "notifications",
)


def counts(reader: Reader) -> dict[str, int]:
    """Rows per table (for `syncd status` and `syncd doctor`)."""
    return {name: int(reader.value(f"SELECT count(*) FROM {name}")) for name in TABLES}


def last_synced(reader: Reader) -> dict[int, datetime]:
    """When each account's row last changed: the end of its last sync (or a token refresh/re-link)."""
    return {int(r[0]): when(r[1]) for r in reader.rows("SELECT id, updated_at FROM accounts")}  # type: ignore[misc]


def outbox_summary(reader: Reader) -> dict[str, Any]:
    """Write-back outbox depth by status and the last errors (for operators; `syncd status`)."""
    depth = reader.rows("SELECT status, count(*) FROM writeback_outbox GROUP BY status")
    errors = reader.rows(
        "SELECT activity_id, provider, last_error, updated_at FROM writeback_outbox "
        "WHERE last_error IS NOT NULL AND status <> 'done' ORDER BY updated_at DESC LIMIT 5"
    )
    return {
        "depth": {str(k): int(v) for k, v in depth},
        "held": held_counts(reader),
        "last_errors": [{"activity_id": r[0], "provider": r[1], "error": r[2], "at": when(r[3])} for r in errors],
    }


def held_counts(reader: Reader) -> list[dict[str, Any]]:
    """Held notes counted per athlete, platform and reason (write_back_policy.skip_reason), for `syncd status`."""
    rows = reader.rows(
        "SELECT a.athlete_id, o.provider, o.payload FROM writeback_outbox o "
        "JOIN activities a ON a.id = o.activity_id WHERE o.status = 'held'"
    )
    counts: Counter[tuple[int, str, str]] = Counter()
    for athlete_id, provider, payload in rows:
        found = reader.json(payload)
        reason = found.get("reason") if isinstance(found, dict) else None
        counts[(int(athlete_id), str(provider), str(reason or "held"))] += 1
    return [
        {"athlete_id": athlete, "provider": provider, "reason": reason, "count": count}
        for (athlete, provider, reason), count in sorted(counts.items())
    ]


def digest_failures(reader: Reader, limit: int = 20) -> list[dict[str, Any]]:
    rows = reader.rows(
        "SELECT athlete_id, week, attempts, last_error FROM digests WHERE status = 'failed' ORDER BY week DESC LIMIT ?",
        (limit,),
    )
    return [{"athlete_id": int(r[0]), "week": r[1], "attempts": int(r[2]), "error": r[3] or ""} for r in rows]


def digest_sent_count(reader: Reader) -> int:
    return int(reader.value("SELECT count(*) FROM digests WHERE status = 'sent'"))


_WAITING = {"done": "sent", "pending": "waiting", "claimed": "waiting", "failed": "failed"}


def notify_summary(reader: Reader) -> list[dict[str, Any]]:
    """Per athlete and target: messages sent, waiting (with the next attempt), failed for good, the last error."""
    rows = reader.rows(
        "SELECT a.key, n.target, n.scheme, n.status, count(*), min(n.next_attempt_at), max(n.last_error) "
        "FROM notifications n JOIN athletes a ON a.id = n.athlete_id "
        "GROUP BY a.key, n.target, n.scheme, n.status ORDER BY a.key, n.target"
    )
    targets: dict[tuple[str, str], dict[str, Any]] = {}
    for athlete, target, scheme, status, n, next_at, error in rows:
        entry = targets.setdefault(
            (athlete, target),
            {"athlete": athlete, "target": target, "scheme": scheme, "sent": 0, "waiting": 0, "failed": 0},
        )
        key = _WAITING[status]
        entry[key] += int(n)
        if key == "waiting":
            entry["next_attempt_at"] = when(next_at)
        if error and key != "sent":
            entry["last_error"] = error
    return list(targets.values())


def input_warnings(reader: Reader, limit: int = 20) -> list[InputWarning]:
    """The newest activities' warnings first (not deleted ones)."""
    rows = reader.rows(
        "SELECT id, athlete_id, source, external_id, start_utc, input_warnings FROM activities "
        "WHERE input_warnings IS NOT NULL AND NOT deleted ORDER BY start_utc DESC, id DESC LIMIT ?",
        (limit,),
    )
    return [
        InputWarning(int(r[0]), int(r[1]), r[2], r[3], when(r[4]), str(kind), str(text))  # type: ignore[arg-type]
        for r in rows
        for kind, text in sorted(dict(reader.json(r[5]) or {}).items())
    ]


def awaiting_streams_ids(reader: Reader, athlete_id: int, source: str, before: datetime) -> list[int]:
    """The athlete's runs from `source` that started before `before` and whose samples are still on the platform
    (syncd.domain.streams_state), newest first: the history streams fetched from the budget left over."""
    sports = [sport.value for sport in RUN_SPORTS]
    rows = reader.rows(
        "SELECT a.id, a.sport, a.extra FROM activities a LEFT OUTER JOIN streams s ON s.activity_id = a.id "
        f"WHERE a.athlete_id = ? AND NOT a.deleted AND a.source = ? AND a.sport IN ({', '.join('?' * len(sports))}) "
        "AND a.start_utc < ? AND s.activity_id IS NULL ORDER BY a.start_utc DESC, a.id DESC",
        (athlete_id, source, *sports, reader.at(before)),
    )
    return [
        int(r[0])
        for r in rows
        if streams_pending(Source(source), Sport(r[1]), has_streams=False, extra=reader.json(r[2]) or {})
    ]


def recent_appearances(reader: Reader, athlete_id: int, since: datetime) -> list[tuple[datetime, float, int]]:
    """(start_utc, elapsed seconds, utc offset) of the athlete's activities since `since` (adaptive polling)."""
    rows = reader.rows(
        "SELECT start_utc, elapsed_s, moving_s, utc_offset_s FROM activities "
        "WHERE athlete_id = ? AND NOT deleted AND start_utc >= ? ORDER BY start_utc",
        (athlete_id, reader.at(since)),
    )
    return [(when(r[0]), float(r[1] or r[2] or 0.0), int(r[3] or 0)) for r in rows]  # type: ignore[misc]


_BUDGET = (
    "short_limit, short_usage, daily_limit, daily_usage, read_short_limit, read_short_usage, read_daily_limit, "
    "read_daily_usage, short_window_start, daily_window_start"
)


def budget_row(reader: Reader, key: str) -> BudgetState | None:
    """The stored budget of one platform application (None before its first request)."""
    found = reader.rows(f"SELECT {_BUDGET} FROM rate_budget WHERE key = ?", (key,))
    return None if not found else budget_state(dict(zip(_BUDGET.split(", "), found[0], strict=True)))


def budget_state(m: dict[str, Any]) -> BudgetState:
    """A budget row's columns as the pure state (an unset limit is the platform's default)."""
    defaults = BudgetState()
    return BudgetState(
        short_limit=m["short_limit"] or defaults.short_limit,
        short_usage=m["short_usage"] or 0,
        daily_limit=m["daily_limit"] or defaults.daily_limit,
        daily_usage=m["daily_usage"] or 0,
        read_short_limit=m["read_short_limit"] or defaults.read_short_limit,
        read_short_usage=m["read_short_usage"] or 0,
        read_daily_limit=m["read_daily_limit"] or defaults.read_daily_limit,
        read_daily_usage=m["read_daily_usage"] or 0,
        short_window_start=when(m["short_window_start"]),
        daily_window_start=when(m["daily_window_start"]),
    )
