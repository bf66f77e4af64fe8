"""The unit of work over the database: one connection and one transaction per `with` block.

The repositories are the Store's own, built over `_InTransaction`: what they take for the engine, but every
`begin()` and `connect()` hands out the block's connection. A repository's own write block becomes a SAVEPOINT, so
a statement it catches and recovers from (a race lost on a unique key) undoes only its own part, as it did in its
own transaction. On SQLite the block starts with BEGIN IMMEDIATE: it holds the write lock from the start, so it
never fails to upgrade a read lock into a write lock halfway (another writer waits up to the busy timeout).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import TYPE_CHECKING, Self, cast

from sqlalchemy import Connection, Engine

if TYPE_CHECKING:
    from syncd.adapters.crypto import SecretBox
    from syncd.adapters.db.pain_repository import PainRepository
    from syncd.adapters.db.repositories import AnnotationBatches
    from syncd.adapters.db.repository import Store
    from syncd.ports import Clock


class _InTransaction:
    """The part of an Engine the repositories use (begin, connect, dialect, url), over one open transaction."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self.dialect = conn.dialect
        self.url = conn.engine.url

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        with self._conn.begin_nested():
            yield self._conn

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        yield self._conn


class SqlUnitOfWork:
    """`syncd.ports.UnitOfWork` on SQLite or PostgreSQL (from `Store.unit_of_work()`)."""

    def __init__(self, engine: Engine, *, secret_box: SecretBox | None = None, clock: Clock | None = None) -> None:
        self._engine = engine
        self._box = secret_box
        self._clock = clock
        self._conn: Connection | None = None
        self._repos: Store | None = None

    @property
    def _store(self) -> Store:
        if self._repos is None:
            raise RuntimeError("a unit of work's repositories are used inside its `with` block only")
        return self._repos

    @property
    def athletes(self) -> Store:
        return self._store

    @property
    def activities(self) -> Store:
        return self._store

    @property
    def gear(self) -> Store:
        return self._store

    @property
    def twins(self) -> Store:
        return self._store

    @property
    def annotations(self) -> Store:
        return self._store

    @property
    def outbox(self) -> Store:
        return self._store

    @property
    def pain_diary(self) -> PainRepository:
        return self._store.pain_diary

    @property
    def annotation_batches(self) -> AnnotationBatches:
        return self._store.annotation_batches

    def __enter__(self) -> Self:
        from syncd.adapters.db.repository import Store

        if self._conn is not None:
            raise RuntimeError("a unit of work's `with` blocks do not nest")
        self._conn = self._engine.connect()
        try:
            self._begin()
        except BaseException:
            self._conn.close()
            self._conn = None
            raise
        bound = cast(Engine, _InTransaction(self._conn))  # the repositories use only what _InTransaction has
        self._repos = Store(bound, secret_box=self._box, clock=self._clock)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        conn, self._conn, self._repos = self._conn, None, None
        if conn is None:
            return
        try:
            conn.rollback()  # nothing left to discard after a commit: what was not committed goes
        finally:
            conn.close()

    def commit(self) -> None:
        conn = self._open()
        conn.commit()
        self._begin()

    def rollback(self) -> None:
        conn = self._open()
        conn.rollback()
        self._begin()

    def _open(self) -> Connection:
        if self._conn is None:
            raise RuntimeError("commit and rollback belong inside the unit of work's `with` block")
        return self._conn

    def _begin(self) -> None:
        conn = self._open()
        conn.begin()
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE")
