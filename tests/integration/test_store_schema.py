"""Opening the store: migrations, the SQLite file's permissions and pragmas, and one-line errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from syncd.adapters.db import Store, StoreError
from syncd.adapters.db.engine import MIGRATIONS_DIR
from syncd.adapters.db.models import schema_metadata
from syncd.adapters.db.status_reads import TABLES


def test_migrations_create_every_table_at_head_without_drift(store: Store) -> None:
    with store.engine.connect() as conn:
        context = MigrationContext.configure(conn)
        assert context.get_current_revision() == ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()
        assert set(TABLES) <= set(sa.inspect(conn).get_table_names())
        # The hand-kept migration and the models describe the same schema.
        assert compare_metadata(context, schema_metadata()) == []
    assert store.counts() == dict.fromkeys(TABLES, 0)


def test_reopening_keeps_data_and_does_not_remigrate(db_url: str, store: Store) -> None:
    athlete_id = store.ensure_athlete("local", name="Ann")
    store.close()
    again = Store.open(db_url)
    try:
        assert again.get_athlete(athlete_id).name == "Ann"
        assert again.ensure_athlete("local") == athlete_id
    finally:
        again.close()


def test_sqlite_file_is_private_even_with_a_permissive_umask(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "syncd.db"
    old = os.umask(0)
    try:
        store = Store.open(f"sqlite:///{path}")
    finally:
        os.umask(old)
    try:
        assert path.stat().st_mode & 0o777 == 0o600
        assert path.parent.stat().st_mode & 0o777 == 0o700
        assert (tmp_path / "a").stat().st_mode & 0o777 == 0o700
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        store.close()


def test_sqlite_enforces_foreign_keys(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        with pytest.raises(sa.exc.IntegrityError), store.engine.begin() as conn:
            conn.exec_driver_sql(
                "INSERT INTO gear (athlete_id, gear_id, name, kind, distance_m, retired, updated_at)"
                " VALUES (999, 'g', '', 'shoe', 0, 0, '2026-01-01 00:00:00')"
            )
    finally:
        store.close()


def _one_line(exc: pytest.ExceptionInfo[StoreError]) -> str:
    message = str(exc.value)
    assert "\n" not in message
    return message


def test_garbage_url_is_one_clear_line() -> None:
    with pytest.raises(StoreError) as exc:
        Store.open("not a url at all")
    assert "invalid database URL" in _one_line(exc)
    assert "sqlite:///" in str(exc.value)


def test_unsupported_backend_is_named() -> None:
    with pytest.raises(StoreError) as exc:
        Store.open("mysql://root:hunter2@localhost/syncd")
    message = _one_line(exc)
    assert "mysql" in message
    assert "hunter2" not in message


def test_unreachable_server_names_the_url_without_password() -> None:
    with pytest.raises(StoreError) as exc:
        Store.open("postgresql://syncd:hunter2@127.0.0.1:1/syncd?connect_timeout=2")
    message = _one_line(exc)
    assert message.startswith("cannot open database postgresql+psycopg://syncd:***@127.0.0.1:1/syncd")
    assert "hunter2" not in message
    assert "check that the server is running" in message


def test_uncreatable_database_file_is_explained(tmp_path: Path) -> None:
    not_a_dir = tmp_path / "state"
    not_a_dir.write_text("a file where the state directory should be")
    with pytest.raises(StoreError) as exc:
        Store.open(f"sqlite:///{not_a_dir / 'syncd.db'}")
    message = _one_line(exc)
    assert message.startswith(f"cannot create database file {not_a_dir / 'syncd.db'}: Not a directory;")
    assert "set [database] url" in message


def test_database_from_a_newer_syncd_is_refused(db_url: str, store: Store) -> None:
    with store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    store.close()
    with pytest.raises(StoreError) as exc:
        Store.open(db_url)
    message = _one_line(exc)
    assert "upgrade syncd" in message
    assert "9999" in message


def test_workers_starting_together_on_an_empty_database_all_open_it(db_url: str) -> None:
    """N processes run `upgrade head` at once: exactly one creates the schema, none fails."""
    script = (
        "import sys; from syncd.adapters.db import Store; s = Store.open(sys.argv[1]); print(s.counts()['athletes'])"
    )
    workers = [
        subprocess.Popen([sys.executable, "-c", script, db_url], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(5)
    ]
    results = [worker.communicate(timeout=120) for worker in workers]
    for (out, err), worker in zip(results, workers, strict=True):
        assert worker.returncode == 0, err.decode()[-500:]
        assert out.strip() == b"0"
