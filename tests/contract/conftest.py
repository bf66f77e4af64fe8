"""The contract suite's `store`: every test runs on the unit tests' in-memory fake, on SQLite and on PostgreSQL;
the repository contract also through the unit of work (`ThroughUnitOfWork`).

One suite, three stores: a fake that is looser than the real store hides the bugs the unit tests exist to find,
so where they disagree the fake is made as strict as the database (never the assertion weaker). Each test gets a
fresh store; PostgreSQL works as in tests/integration (skipped when unreachable, failing with SYNCD_REQUIRE_PG=1).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest

from syncd.adapters.crypto import SecretBox
from syncd.adapters.db import Store
from syncd.ports import (
    ActivityRepository,
    AnnotationRepository,
    AthleteRepository,
    OutboxRepository,
    PainDiary,
    TwinRepository,
    UnitOfWork,
)
from tests.integration.conftest import FakeClock, pg_url
from tests.pg import fresh_schema
from tests.unit.fakes import MemoryPainDiary, MemoryStore, MemoryUnitOfWork

__all__ = ["pg_url"]  # the session's PostgreSQL database, as the integration tests make it

Stores = MemoryStore | Store


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(
    params=[
        "memory",
        "sqlite",
        pytest.param("postgres", marks=pytest.mark.postgres),
        "memory-uow",
        "sqlite-uow",
        pytest.param("postgres-uow", marks=pytest.mark.postgres),
    ]
)
def store(request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock) -> Iterator[Stores]:
    """A fresh, empty store of each kind, on a clock the test moves by hand; "-uow": the same with every
    repository call made through a unit of work (`ThroughUnitOfWork`), for the modules of the repository contract
    (those that set THROUGH_UNIT_OF_WORK; the others never see it)."""
    kind, _, way = request.param.partition("-")
    for opened in _opened(kind, request, tmp_path, clock):
        yield cast(Stores, ThroughUnitOfWork(opened)) if way == "uow" else opened


def _opened(kind: str, request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock) -> Iterator[Stores]:
    if kind == "memory":
        yield MemoryStore(clock=clock, athletes={})  # fresh: no athletes yet, like a new database
        return
    box = SecretBox(SecretBox.generate_key(), origin="the test key")
    if kind == "sqlite":
        with Store.open(f"sqlite:///{tmp_path / 'syncd.db'}", secret_box=box, clock=clock) as opened:
            yield opened
        return
    with fresh_schema(request.getfixturevalue("pg_url")) as url, Store.open(url, secret_box=box, clock=clock) as pg:
        yield pg


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The "-uow" stores only for the modules of the repository contract."""
    keep, drop = [], []
    for item in items:
        param = getattr(getattr(item, "callspec", None), "params", {}).get("store")
        module = getattr(item, "module", None)
        through = isinstance(param, str) and param.endswith("-uow")
        (drop if through and not getattr(module, "THROUGH_UNIT_OF_WORK", False) else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


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


# ---- the repository contract through the unit of work -----------------------------------------------------------

# what a unit of work hands out, by the name it hands it out under: each of these calls is made on that repository
_HANDED_OUT: tuple[tuple[str, type], ...] = (
    ("athletes", AthleteRepository),
    ("activities", ActivityRepository),
    ("twins", TwinRepository),
    ("annotations", AnnotationRepository),
    ("outbox", OutboxRepository),
)
_THROUGH = {name: attr for attr, port in _HANDED_OUT for name in vars(port) if not name.startswith("_")}
# what the tests reach as a repository of its own (`store.annotation_batches.save(...)`), under the same name
_HANDED_OUT_WHOLE = ("annotation_batches",)


def _through(store: Stores, attr: str, name: str) -> Any:
    """`name` of the repository `attr` of a unit of work of its own over `store`, called inside it (committed)."""

    def call(*args: Any, **kwargs: Any) -> Any:
        with store.unit_of_work() as uow:
            result = getattr(getattr(uow, attr), name)(*args, **kwargs)
            if isinstance(result, Iterator):  # read inside the block: its connection goes at the end
                result = iter(list(result))
            uow.commit()
        return result

    return call


class _WholeThrough:
    """`store.<repository>` whose every call goes through a unit of work of its own."""

    def __init__(self, store: Stores, attr: str) -> None:
        self._store, self._attr = store, attr

    def __getattr__(self, name: str) -> Any:
        return _through(self._store, self._attr, name)


class ThroughUnitOfWork:
    """A store whose repository calls each go through a unit of work of its own (committed), on the repository it
    hands out: the repository contract then holds for the repositories the services get inside a transaction, not
    only for the store's own. Everything else (setting up athletes, reading the outbox) goes to the store."""

    def __init__(self, store: Stores) -> None:
        self._store = store

    @property  # type: ignore[misc]
    def __class__(self) -> type:  # the tests' `isinstance(store, MemoryStore)` still tells the fake apart
        return type(self._store)

    def __getattr__(self, name: str) -> Any:
        if name in _HANDED_OUT_WHOLE:
            return _WholeThrough(self._store, name)
        attr = _THROUGH.get(name)
        if attr is None:
            return getattr(self._store, name)
        return _through(self._store, attr, name)
