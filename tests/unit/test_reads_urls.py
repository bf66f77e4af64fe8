"""The short commands read a database URL without SQLAlchemy (issue 32): for the forms they handle, what they
read must be what SQLAlchemy reads (the file, the URL shown); other forms are left to SQLAlchemy."""

from __future__ import annotations

import pytest

from syncd.adapters.db.engine import parse_url, safe_url, sqlite_file
from syncd.adapters.db.reads import plain_sqlite_file, shown_url

PLAIN = [
    "sqlite:////var/lib/syncd/syncd.db",
    "sqlite:///relative/x.db",
    "sqlite+pysqlite:////tmp/a b.db",
    "sqlite:///~/x.db",
]
OTHER = [
    "sqlite://",
    "sqlite:///:memory:",
    "sqlite:///file:x.db?uri=true",
    "sqlite:////tmp/x.db?timeout=3",
    "sqlite:////tmp/caf%C3%A9.db",
    "postgresql://u@h/d",
    "not a url",
]


@pytest.mark.parametrize("url", PLAIN)
def test_a_plain_sqlite_url_names_the_file_sqlalchemy_names(url: str) -> None:
    assert plain_sqlite_file(url) == sqlite_file(url)
    assert shown_url(url) == safe_url(parse_url(url))


@pytest.mark.parametrize("url", OTHER)
def test_other_forms_are_left_to_sqlalchemy(url: str) -> None:
    assert plain_sqlite_file(url) is None


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://syncd:hunter2@db.example:5432/syncd",
        "postgres://syncd:hunter2@127.0.0.1/syncd?sslmode=require",
        "postgresql+psycopg://postgres@127.0.0.1:5432/test?options=-csearch_path%3Dt_1",
        "postgresql+psycopg://u@h/d",
    ],
)
def test_a_postgresql_url_is_shown_as_sqlalchemy_shows_it(url: str) -> None:
    shown = shown_url(url)
    assert shown == safe_url(parse_url(url))
    assert "hunter2" not in shown
