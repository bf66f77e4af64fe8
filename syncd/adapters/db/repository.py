"""The Store: every read and write syncd makes, on SQLite or PostgreSQL, behind plain records.

Its methods come from one repository per aggregate (athletes_repo, activities_repo, gear_repo, annotations_repo,
accounts_repo, outbox_repo, digests_repo), each over the shared state in base_repo (which also says how claims
with leases work); the Store adds opening, closing and the repositories it hands out as attributes.
"""

from __future__ import annotations

from datetime import datetime
from types import TracebackType
from typing import Self

from sqlalchemy import Engine

from syncd.adapters.crypto import SecretBox
from syncd.adapters.db import status_reads
from syncd.adapters.db.accounts_repo import AccountRepo
from syncd.adapters.db.activities_repo import ActivityRepo
from syncd.adapters.db.annotations_repo import AnnotationRepo
from syncd.adapters.db.athletes_repo import AthleteRepo
from syncd.adapters.db.digests_repo import DigestRepo
from syncd.adapters.db.engine import create_store_engine, safe_url, upgrade_schema
from syncd.adapters.db.errors import StoreError
from syncd.adapters.db.gear_repo import GearRepo
from syncd.adapters.db.notify_repo import NotificationRepo
from syncd.adapters.db.outbox_repo import OutboxRepo
from syncd.adapters.db.pain_repository import PainRepository
from syncd.adapters.db.rate_budget import DbRateBudget
from syncd.adapters.db.reads import raw_reader
from syncd.adapters.db.repositories import (
    AccountLeases,
    ActivityReads,
    AnnotationBatches,
    DigestLog,
    MapTiles,
    OutboxLog,
)
from syncd.adapters.db.unit_of_work import SqlUnitOfWork
from syncd.ports import Clock


class Store(AthleteRepo, ActivityRepo, GearRepo, AnnotationRepo, AccountRepo, OutboxRepo, DigestRepo):
    """Repository over one database. Thread-safe (one Engine, a connection per call); open one per process."""

    def __init__(self, engine: Engine, *, secret_box: SecretBox | None = None, clock: Clock | None = None) -> None:
        super().__init__(engine, secret_box=secret_box, clock=clock)
        # the other aggregates' repositories, on the same engine
        self.outbox_log = OutboxLog(engine)
        self.account_leases = AccountLeases(engine)
        self.digest_log = DigestLog(engine)
        self.activity_reads = ActivityReads(engine)
        self.map_tiles = MapTiles(engine)
        self.annotation_batches = AnnotationBatches(engine, self._enqueue)
        self.notifications = NotificationRepo(engine, secret_box=secret_box, clock=clock)

    def unit_of_work(self) -> SqlUnitOfWork:
        """A unit of work over this database: each `with` block one transaction, kept only when committed."""
        return SqlUnitOfWork(self._engine, secret_box=self._box, clock=self._clock)

    def rate_budget(self, key: str) -> DbRateBudget:
        """The rate budget shared by every worker for one platform application (e.g. "strava:<client id>")."""
        return DbRateBudget(self._engine, key)

    @classmethod
    def open(
        cls, url: str, *, secret_box: SecretBox | None = None, clock: Clock | None = None, migrate: bool = True
    ) -> Store:
        """Open (creating if needed) the database at `url` and bring its schema to the newest migration."""
        engine = create_store_engine(url)
        try:
            if migrate:
                upgrade_schema(engine)
        except StoreError:
            engine.dispose()
            raise
        return cls(engine, secret_box=secret_box, clock=clock)

    @property
    def engine(self) -> Engine:
        return self._engine

    @property
    def pain_diary(self) -> PainRepository:
        """The athletes' pain diaries (health data), on the same engine."""
        return PainRepository(self._engine)

    @property
    def shown_url(self) -> str:
        """The database URL as `syncd status` shows it: any password hidden."""
        return safe_url(self._engine.url)

    @property
    def dialect(self) -> str:
        return self._engine.dialect.name

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({self._engine.url.render_as_string(hide_password=True)!r})"

    def now(self) -> datetime:
        """The store's clock (what it stamps rows with), for writers beside the Store."""
        return self._now()

    def counts(self) -> dict[str, int]:
        """Rows per table (for `syncd status` and `syncd doctor`)."""
        with raw_reader(self._engine) as reader:
            return status_reads.counts(reader)
