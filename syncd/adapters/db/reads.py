"""The reads a person waits for (`syncd athlete show`, `syncd pain --list`, `syncd status`), in plain SQL over one
DB-API connection: the standard library's sqlite3, or psycopg. No SQLAlchemy, no Alembic (issue 32: importing
SQLAlchemy alone costs more than these commands' whole budget).

This is the one place these queries live: the SQLAlchemy `Store` answers the same reads by handing its own pooled
connection to the functions here (`Store.reads()`), so the CLI's fast path and every other caller see the same rows.
SQL here is written with `?` placeholders; `Reader` turns them into psycopg's `%s` (so no `%` appears in it).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from syncd.domain.model import Gear
from syncd.domain.pain import PainEntry, PainSource
from syncd.errors import StoreError
from syncd.status_records import AccountRecord, AthleteRecord
from syncd.storable import storable_text

if TYPE_CHECKING:
    from syncd.adapters.crypto import SecretBox

# The newest migration's revision. A database whose alembic_version holds exactly this is read without Alembic;
# tests/unit/test_reads.py checks it against Alembic's own head, so a new migration must update it.
SCHEMA_HEAD = "0007_wbonce"

type Row = tuple[Any, ...]


class Reader:
    """One open DB-API connection (sqlite3 or psycopg) and how its values come back."""

    def __init__(self, conn: Any, dialect: str) -> None:
        self.conn = conn
        self.dialect = dialect

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """The rows of `sql`; text parameters made storable as the Store stores text (a lookup by the original
        finds the stored row, as with SQLAlchemy's StorableString)."""
        if self.dialect == "postgresql":
            sql = sql.replace("?", "%s")
        cursor = self.conn.cursor()
        try:
            cursor.execute(sql, tuple(storable_text(p) if isinstance(p, str) else p for p in params))
            return [tuple(row) for row in cursor.fetchall()]
        finally:
            cursor.close()

    def value(self, sql: str, params: Sequence[Any] = ()) -> Any:
        found = self.rows(sql, params)
        return found[0][0] if found else None

    def at(self, moment: datetime) -> Any:
        """A time as a parameter, stored the way SQLAlchemy's UTCDateTime stores it (SQLite: naive UTC text)."""
        moment = moment.astimezone(UTC)
        return moment.replace(tzinfo=None).isoformat(" ", "microseconds") if self.dialect == "sqlite" else moment

    def json(self, value: Any) -> Any:
        """A JSON column's value (SQLite keeps the text; psycopg decodes JSONB itself)."""
        return json.loads(value) if self.dialect == "sqlite" and isinstance(value, str) else value

    def close(self) -> None:
        self.conn.close()


def when(value: Any) -> datetime | None:
    """A stored UTC time as an aware datetime (SQLite keeps naive UTC text, PostgreSQL timestamptz)."""
    if value is None:
        return None
    moment: datetime = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def day(value: Any) -> date:
    found: date = date.fromisoformat(value) if isinstance(value, str) else value
    return found


# ---- opening, for a command that only reads ----------------------------------------------------------------------

_SQLITE_URL = re.compile(r"^sqlite(\+pysqlite)?:///(?P<path>[^?#%]+)$")
_PG_URL = re.compile(r"^(postgresql|postgres)(\+psycopg)?://")


def is_postgresql(url: str) -> bool:
    return _PG_URL.match(url) is not None


_PASSWORD = re.compile(r"^(?P<head>[^:/]+://[^:@/]*:)[^@/]*@")


def shown_url(url: str) -> str:
    """A SQLite or PostgreSQL URL as `syncd status` shows it: the password hidden, the driver named as the store
    names it (what SQLAlchemy renders for these forms)."""
    if plain_sqlite_file(url) is not None:
        return _SQLITE_URL.sub(r"sqlite:///\g<path>", url)
    return _PASSWORD.sub(r"\g<head>***@", _PG_URL.sub("postgresql+psycopg://", url, count=1))


def plain_sqlite_file(url: str) -> Path | None:
    """The file of a plain `sqlite:///path` URL, read without SQLAlchemy; None for any other form (PostgreSQL,
    in-memory, `file:` URIs, query strings, escapes: engine.sqlite_file reads those)."""
    found = _SQLITE_URL.match(url)
    if found is None or found["path"] == ":memory:" or found["path"].startswith("file:"):
        return None
    return Path(found["path"]).expanduser()


def open_reader(url: str) -> Reader | None:
    """A Reader on an existing database whose schema is current; None when anything is unusual (a missing file, an
    old schema, a URL form not handled here, a server that does not answer): the caller then takes the full path,
    which creates, upgrades or names the problem in one line."""
    reader = _connect(url)
    if reader is None:
        return None
    if not schema_is_current(reader):
        reader.close()
        return None
    return reader


def schema_is_current(reader: Reader) -> bool:
    """Whether the database is at the newest migration, without Alembic (False on any doubt: no such table yet, an
    older or newer revision, not a syncd database)."""
    try:
        return [str(r[0]) for r in reader.rows("SELECT version_num FROM alembic_version")] == [SCHEMA_HEAD]
    except Exception:  # the full path (Alembic) says what is wrong, or creates the schema
        return False


def _connect(url: str) -> Reader | None:
    path = plain_sqlite_file(url)
    if path is not None:
        if not path.is_file():
            return None
        import sqlite3

        try:
            conn = sqlite3.connect(path, timeout=30.0)
            conn.execute("PRAGMA busy_timeout=30000")
        except sqlite3.Error:
            return None
        return Reader(conn, "sqlite")
    if _PG_URL.match(url) is None:
        return None
    import psycopg

    conninfo = _PG_URL.sub("postgresql://", url, count=1)
    try:
        return Reader(psycopg.connect(conninfo, autocommit=True, connect_timeout=10), "postgresql")
    except (psycopg.Error, ValueError):
        return None


@contextmanager
def raw_reader(engine: Any) -> Iterator[Reader]:
    """A Reader on a pooled connection of a SQLAlchemy Engine (the Store's), given back to the pool (its transaction
    ended) afterwards. Taken through `engine.connect()`, so a server that does not answer is the DBAPIError the
    Store's callers expect, and the engine's connect and error hooks apply."""
    with engine.connect() as conn:
        yield Reader(conn.connection, engine.dialect.name)


# ---- athletes, accounts, gear -------------------------------------------------------------------------------------

_ATHLETE = (
    "SELECT id, key, name, timezone, units, email, digest_opt_in, units_chosen, max_heart_rate, write_back, "
    "digest_unsubscribed_at FROM athletes"
)


def _athlete(row: Row) -> AthleteRecord:
    return AthleteRecord(
        id=int(row[0]),
        key=row[1],
        name=row[2],
        timezone_name=row[3],
        units=row[4],
        email=row[5],
        digest_opt_in=bool(row[6]),
        units_chosen=bool(row[7]),
        max_heart_rate=row[8],
        write_back=row[9],
        digest_unsubscribed_at=when(row[10]),
    )


def list_athletes(reader: Reader) -> list[AthleteRecord]:
    return [_athlete(row) for row in reader.rows(f"{_ATHLETE} ORDER BY id")]


def get_athlete(reader: Reader, athlete_id: int) -> AthleteRecord | None:
    found = reader.rows(f"{_ATHLETE} WHERE id = ?", (athlete_id,))
    return _athlete(found[0]) if found else None


def units_to_follow(reader: Reader, units: str) -> list[int]:
    """Athletes who never chose their units and whose units differ from `[notes] units` (the Store updates them)."""
    return [int(r[0]) for r in reader.rows("SELECT id FROM athletes WHERE NOT units_chosen AND units <> ?", (units,))]


def advice_mode(reader: Reader, athlete_id: int) -> str | None:
    mode = reader.value("SELECT advice_mode FROM athletes WHERE id = ?", (athlete_id,))
    return None if mode is None else str(mode)


def list_accounts(reader: Reader) -> list[AccountRecord]:
    rows = reader.rows(
        "SELECT id, athlete_id, provider, external_id, tokens_encrypted IS NOT NULL, state, state_message, "
        "sync_cursor, next_due_at, lease_owner, lease_expires_at FROM accounts ORDER BY id"
    )
    return [
        AccountRecord(
            id=int(r[0]),
            athlete_id=int(r[1]),
            provider=r[2],
            external_id=r[3],
            has_tokens=bool(r[4]),
            state=r[5],
            state_message=r[6],
            sync_cursor=r[7],
            next_due_at=when(r[8]),  # type: ignore[arg-type]  # NOT NULL
            lease_owner=r[9],
            lease_expires_at=when(r[10]),
        )
        for r in rows
    ]


def list_gear(reader: Reader, athlete_id: int, *, gear_id: str | None = None) -> list[Gear]:
    """The athlete's kit by gear id (only `gear_id`, when given)."""
    one = "" if gear_id is None else " AND gear_id = ?"
    rows = reader.rows(
        f"SELECT gear_id, name, distance_m, limit_m, retired, kind FROM gear WHERE athlete_id = ?{one} "
        "ORDER BY gear_id",
        (athlete_id,) if gear_id is None else (athlete_id, gear_id),
    )
    return [Gear(gear_id=r[0], name=r[1], distance_m=r[2], limit_m=r[3], retired=bool(r[4]), kind=r[5]) for r in rows]


# ---- the pain diary (health data: shown only to the local user or the athlete) ---------------------------------


def pain_entries(
    reader: Reader,
    athlete_id: int | None = None,
    *,
    day_from: date | None = None,
    day_to: date | None = None,
    activity_id: int | None = None,
) -> list[PainEntry]:
    """Entries oldest first (by day, then when recorded), each with its run's start and platform when it has one."""
    where: list[str] = []
    params: list[Any] = []
    filters = (("p.athlete_id = ?", athlete_id), ("p.day >= ?", day_from), ("p.day <= ?", day_to))
    for clause, value in (*filters, ("p.activity_id = ?", activity_id)):
        if value is not None:
            where.append(clause)
            params.append(value.isoformat() if isinstance(value, date) and reader.dialect == "sqlite" else value)
    rows = reader.rows(
        "SELECT p.id, p.athlete_id, p.day, p.score, p.source, p.activity_id, p.note, p.recorded_at, a.start_utc, "
        "a.source FROM pain_entries p LEFT OUTER JOIN activities a ON a.id = p.activity_id"
        + (f" WHERE {' AND '.join(where)}" if where else "")
        + " ORDER BY p.athlete_id, p.day, p.recorded_at, p.id",
        params,
    )
    return [
        PainEntry(
            athlete_id=int(r[1]),
            day=day(r[2]),
            score=int(r[3]),
            source=PainSource(r[4]),
            activity_id=r[5],
            note=r[6],
            recorded_at=when(r[7]),
            activity_start_utc=when(r[8]),
            id=int(r[0]),
            activity_source=r[9],
        )
        for r in rows
    ]


# ---- push targets ------------------------------------------------------------------------------------------------


def notify_muted(reader: Reader, athlete_id: int) -> set[str]:
    text = reader.value("SELECT muted FROM notify_targets WHERE athlete_id = ?", (athlete_id,))
    return {kind for kind in (text or "").split(",") if kind}


def notify_targets(reader: Reader, athlete_id: int, box: SecretBox | None) -> list[str]:
    """The athlete's own Apprise URLs, kept encrypted (they hold tokens): opened with the store's key."""
    sealed = reader.value("SELECT urls_encrypted FROM notify_targets WHERE athlete_id = ?", (athlete_id,))
    if sealed is None:
        return []
    if box is None:
        raise StoreError("no encryption key: open the store with open_store(settings) to read notify URLs")
    urls: list[str] = json.loads(box.decrypt(bytes(sealed)))
    return urls
