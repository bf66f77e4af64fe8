"""Store fixtures: every `store` test runs on SQLite and on PostgreSQL.

PostgreSQL: `SYNCD_TEST_PG_URL` (default postgresql+psycopg://postgres@127.0.0.1:5432/test). Each test session
creates its own database (dropped at the end) and each test its own schema in it, so parallel runs and tests never
see each other's rows. Unreachable server: the PostgreSQL cases are skipped, unless SYNCD_REQUIRE_PG=1 (CI), where
they fail.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from syncd.adapters.crypto import SecretBox
from syncd.adapters.db import Store
from tests.pg import fresh_database, fresh_schema


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """URL of a fresh PostgreSQL database for this test session (dropped afterwards)."""
    with fresh_database("syncd_test") as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: a new SQLite file, or a new schema in the session's PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'state' / 'syncd.db'}"
        return
    with fresh_schema(request.getfixturevalue("pg_url")) as url:
        yield url


@pytest.fixture(scope="session")
def secret_box() -> SecretBox:
    return SecretBox(SecretBox.generate_key(), origin="the test key")


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)) -> None:
        self.current = start

    def now(self) -> datetime:
        return self.current

    def advance(self, seconds: float) -> None:
        self.current += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store_factory(db_url: str, secret_box: SecretBox, clock: FakeClock) -> Iterator[Callable[[], Store]]:
    """Opens more Store instances (separate engines = separate workers) on the same database."""
    opened: list[Store] = []

    def factory() -> Store:
        store = Store.open(db_url, secret_box=secret_box, clock=clock)
        opened.append(store)
        return store

    yield factory
    for store in opened:
        store.close()


@pytest.fixture
def store(store_factory: Callable[[], Store]) -> Store:
    return store_factory()
