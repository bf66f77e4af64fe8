"""The real PostgreSQL the tests use: a fresh database per test session or per test, dropped afterwards."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest
from sqlalchemy import make_url

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def libpq(url: str) -> str:
    """The SQLAlchemy URL as a libpq connection string for psycopg."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def fresh_database(prefix: str) -> Iterator[str]:
    """URL of a new, empty database; skips when the server is unreachable, fails instead with SYNCD_REQUIRE_PG=1."""
    base = os.environ.get("SYNCD_TEST_PG_URL", DEFAULT_PG_URL)
    try:
        admin = psycopg.connect(libpq(base), autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        reason = " ".join(str(exc).split())
        message = f"PostgreSQL at {make_url(base).render_as_string(hide_password=True)} unreachable: {reason}"
        if os.environ.get("SYNCD_REQUIRE_PG") == "1":
            pytest.fail(f"{message} (SYNCD_REQUIRE_PG=1: start the server or fix SYNCD_TEST_PG_URL)")
        pytest.skip(f"{message}; set SYNCD_TEST_PG_URL to run the PostgreSQL cases")
    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(4)}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield make_url(base).set(database=name).render_as_string(hide_password=False)
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def fresh_schema(base: str) -> Iterator[str]:
    """URL of a new, empty schema in the database at `base` (dropped afterwards): one test's own tables."""
    schema = f"t_{secrets.token_hex(6)}"
    with psycopg.connect(libpq(base), autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield (
            make_url(base)
            .update_query_dict({"options": f"-csearch_path={schema}"})
            .render_as_string(hide_password=False)
        )
    finally:
        with psycopg.connect(libpq(base), autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
