"""A read-only store for the CLI's short commands (`syncd athlete show`, `syncd pain --list`): the queries of
`reads.py` over one plain DB-API connection, so the command never imports SQLAlchemy or Alembic (issue 32).

`ReadStore.open` answers None whenever the full Store must do something first (create or upgrade the database, or
move athletes onto a changed `[notes] units`): the caller then opens the full Store, which reads through the same
queries.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from syncd.adapters.db import reads

if TYPE_CHECKING:
    from syncd.adapters.crypto import SecretBox
    from syncd.domain.model import Gear
    from syncd.domain.pain import PainEntry
    from syncd.records import AccountRecord, AthleteRecord


class ReadStore:
    """The reads of `ports.AthleteReads`, and nothing that writes."""

    def __init__(self, reader: reads.Reader, *, secret_box: SecretBox | None = None) -> None:
        self._reader = reader
        self.pain_diary = _Diary(reader)
        self.notifications = _NotifyTargets(reader, secret_box)

    @classmethod
    def open(cls, url: str, *, units: str, secret_box: SecretBox | None = None) -> ReadStore | None:
        """A ReadStore on an existing, current database that needs no write; None otherwise (see the module)."""
        reader = reads.open_reader(url)
        if reader is None:
            return None
        if reads.units_to_follow(reader, units):
            reader.close()
            return None
        return cls(reader, secret_box=secret_box)

    def list_athletes(self) -> list[AthleteRecord]:
        return reads.list_athletes(self._reader)

    def list_accounts(self) -> list[AccountRecord]:
        return reads.list_accounts(self._reader)

    def list_gear(self, athlete_id: int) -> list[Gear]:
        return reads.list_gear(self._reader, athlete_id)

    def close(self) -> None:
        self._reader.close()


class _Diary:
    def __init__(self, reader: reads.Reader) -> None:
        self._reader = reader

    def entries(
        self, athlete_id: int | None = None, *, day_from: date | None = None, day_to: date | None = None
    ) -> list[PainEntry]:
        return reads.pain_entries(self._reader, athlete_id, day_from=day_from, day_to=day_to)

    def advice_mode(self, athlete_id: int) -> str | None:
        return reads.advice_mode(self._reader, athlete_id)


class _NotifyTargets:
    def __init__(self, reader: reads.Reader, box: SecretBox | None) -> None:
        self._reader = reader
        self._box = box

    def targets(self, athlete_id: int) -> list[str]:
        return reads.notify_targets(self._reader, athlete_id, self._box)

    def muted(self, athlete_id: int) -> set[str]:
        return reads.notify_muted(self._reader, athlete_id)
