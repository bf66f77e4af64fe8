"""Opening a database: URL checks, a private SQLite file, connection pragmas and `alembic upgrade head`.

Everything a user can get wrong here (typo in the URL, server down, unwritable directory, a database from a newer
syncd) becomes one StoreError line that says what failed and what to do, with the password masked.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url, text
from sqlalchemy.engine import URL, ExceptionContext
from sqlalchemy.exc import ArgumentError, DataError, DBAPIError, NoSuchModuleError

from syncd.adapters.db.errors import RowRefusedError, StoreError, refusal
from syncd.adapters.db.reads import raw_reader, schema_is_current

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_PG_MIGRATION_LOCK = 0x73796E63  # "sync": serialises concurrent `upgrade head` from several workers
_SQLITE_BUSY_TIMEOUT_MS = 30_000
_DRIVERS = {
    "sqlite": "sqlite",
    "sqlite+pysqlite": "sqlite",
    "postgresql": "postgresql+psycopg",
    "postgres": "postgresql+psycopg",
    "postgresql+psycopg": "postgresql+psycopg",
}


def safe_url(url: URL) -> str:
    return url.render_as_string(hide_password=True)


def parse_url(url: str) -> URL:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StoreError(
            "invalid database URL (not shown: it may hold a password): use sqlite:////path/to/syncd.db or "
            "postgresql+psycopg://user:password@host:5432/dbname"
        ) from None
    driver = _DRIVERS.get(parsed.drivername)
    if driver is None:
        raise StoreError(
            f"unsupported database {parsed.drivername!r} in {safe_url(parsed)}: use sqlite:///… or "
            "postgresql+psycopg://…"
        )
    return parsed.set(drivername=driver)


def _sqlite_path(url: URL) -> Path | None:
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:") or url.query.get("uri"):
        return None
    return Path(database).expanduser()


def prepare_sqlite_file(path: Path) -> None:
    """Create the directory (0700) and the database file (0600) ourselves: sqlite3 would use the umask."""
    missing: list[Path] = []
    parent = path.parent
    while not parent.exists():
        missing.append(parent)
        parent = parent.parent
    try:
        for directory in reversed(missing):
            directory.mkdir(mode=0o700)
            os.chmod(directory, 0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    except OSError as exc:
        raise StoreError(
            f"cannot create database file {path}: {exc.strerror}; make {path.parent} writable by the syncd user "
            "or set [database] url"
        ) from None
    try:
        os.fchmod(fd, 0o600)
    finally:
        os.close(fd)


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout={_SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def no_row_contents(context: ExceptionContext) -> None:
    """A value the database refuses becomes one RowRefusedError naming the kind of refusal, never the value.

    hide_parameters keeps the bound values out of SQLAlchemy's message, but PostgreSQL's own message quotes them
    (`invalid input syntax for type integer: "<the value>"`, `CONTEXT: JSON data, line 1: <the JSON>`), and any
    log of such an error would carry an activity's name or a pain note. Other errors (the server down, a unique
    key taken: callers catch IntegrityError) pass unchanged."""
    original = context.original_exception
    if isinstance(context.sqlalchemy_exception, DataError) or isinstance(original, UnicodeError | OverflowError):
        kind = refusal(original)
        raise RowRefusedError(f"the database refused a value ({kind})", kind) from None


def create_store_engine(url: str) -> Engine:
    """An Engine for `url`, with the SQLite file prepared; does not connect yet."""
    parsed = parse_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = _sqlite_path(parsed)
        if path is not None:
            prepare_sqlite_file(path)
        engine = create_engine(parsed, connect_args={"timeout": _SQLITE_BUSY_TIMEOUT_MS / 1000}, hide_parameters=True)
        event.listen(engine, "connect", _on_sqlite_connect)
        event.listen(engine, "handle_error", no_row_contents)
        return engine
    try:
        engine = create_engine(parsed, pool_pre_ping=True, hide_parameters=True)
        event.listen(engine, "handle_error", no_row_contents)
        return engine
    except NoSuchModuleError:  # pragma: no cover - psycopg is a hard dependency
        raise StoreError(f"no driver for {safe_url(parsed)}: reinstall syncd with its dependencies") from None


def _at_head(engine: Engine) -> bool:
    """Whether the database already is at the newest migration (one small query; False on any doubt)."""
    try:
        with raw_reader(engine) as reader:
            return schema_is_current(reader)
    except DBAPIError:
        return False  # let the full path below name the problem


def upgrade_schema(engine: Engine) -> None:
    """`alembic upgrade head` on this engine. Processes starting together take turns: PostgreSQL through an advisory
    lock, SQLite through BEGIN IMMEDIATE (the write lock), so only the first one creates the tables. A database
    already at head skips Alembic altogether (a short command like `syncd sync --once` then starts faster)."""
    if _at_head(engine):
        return
    from alembic import command
    from alembic.config import Config
    from alembic.util.exc import CommandError

    safe = safe_url(engine.url)
    sqlite = engine.dialect.name == "sqlite"
    try:
        with engine.connect() as conn:
            if sqlite:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            else:
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
            config = Config()
            config.set_main_option("script_location", str(MIGRATIONS_DIR))
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
            conn.commit()
    except DBAPIError as exc:
        reason = " ".join(str(exc.orig).split()) or type(exc.orig).__name__
        hint = (
            "check the path in [database] url and that the file is a syncd database"
            if sqlite
            else "check that the server is running and the URL (host, port, user, database name) is right"
        )
        raise StoreError(f"cannot open database {safe}: {reason}; {hint}") from None
    except CommandError as exc:
        reason = " ".join(str(exc).split())
        raise StoreError(
            f"database {safe} has a schema this syncd does not know ({reason}); upgrade syncd to the version that "
            "wrote it"
        ) from None


def shown_url(url: str) -> str:
    """The database URL as it may be shown (password hidden), without SQLAlchemy in the caller."""
    return safe_url(make_url(url))


def sqlite_file(url: str) -> Path | None:
    """The file of an SQLite database URL (None for PostgreSQL, in-memory, URI or unparsable URLs: the store names
    a bad URL itself when it opens it)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return None
    return _sqlite_path(parsed) if parsed.get_backend_name() == "sqlite" else None
