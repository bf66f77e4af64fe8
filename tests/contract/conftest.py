"""The contract suite's `store`: every test runs on the unit tests' in-memory fake, on SQLite and on PostgreSQL.

One suite, three stores: a fake that is looser than the real store hides the bugs the unit tests exist to find,
so where they disagree the fake is made as strict as the database (never the assertion weaker). Each test gets a
fresh store; PostgreSQL works as in tests/integration (skipped when unreachable, failing with SYNCD_REQUIRE_PG=1).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from syncd.adapters.crypto import SecretBox
from syncd.adapters.db import Store
from syncd.ports import PainDiary, UnitOfWork
from tests.integration.conftest import FakeClock, pg_url
from tests.pg import fresh_schema
from tests.unit.fakes import MemoryPainDiary, MemoryStore, MemoryUnitOfWork

__all__ = ["pg_url"]  # the session's PostgreSQL database, as the integration tests make it

Stores = MemoryStore | Store


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock) -> Iterator[Stores]:
    """A fresh, empty store of each kind, on a clock the test moves by hand."""
    if request.param == "memory":
        yield MemoryStore(clock=clock, athletes={})  # fresh: no athletes yet, like a new database
        return
    box = SecretBox(SecretBox.generate_key(), origin="the test key")
    if request.param == "sqlite":
        with Store.open(f"sqlite:///{tmp_path / 'syncd.db'}", secret_box=box, clock=clock) as opened:
            yield opened
        return
    with fresh_schema(request.getfixturevalue("pg_url")) as url, Store.open(url, secret_box=box, clock=clock) as pg:
        yield pg


@pytest.fixture
def athlete(store: Stores) -> int:
    """The id of the one athlete the test's activities belong to."""
    return store.ensure_athlete("runner", name="Ada")


@pytest.fixture
def diary(store: Stores) -> PainDiary:
    """The store's pain diary (the fake's lives beside MemoryStore, so the unit tests' services see no diary)."""
    return MemoryPainDiary(store) if isinstance(store, MemoryStore) else store.pain_diary


@pytest.fixture
def uow(store: Stores, diary: PainDiary) -> UnitOfWork:
    """A unit of work over the store (the fake's with the fake diary, so a rollback must put both back)."""
    if isinstance(store, MemoryStore):
        assert isinstance(diary, MemoryPainDiary)
        return MemoryUnitOfWork(store, diary)
    return store.unit_of_work()
