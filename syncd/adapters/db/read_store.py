"""A read-only store for the CLI's short commands (`syncd status`, `syncd athlete show`, `syncd pain --list`): the
queries of `reads.py` and `status_reads.py` over one plain DB-API connection, so the command never imports
SQLAlchemy or Alembic (issue 32).

`ReadStore.open` answers None whenever the full Store must do something first (create or upgrade the database, or
move athletes onto a changed `[notes] units`): the caller then opens the full Store, which reads through the same
queries.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from syncd.adapters.db import reads, status_reads
from syncd.errors import NotFoundError

if TYPE_CHECKING:
    from syncd.adapters.crypto import SecretBox
    from syncd.domain.model import Gear
    from syncd.domain.pain import PainEntry
    from syncd.domain.rate_budget import BudgetState
    from syncd.records import AccountRecord, AthleteRecord, InputWarning


class ReadStore:
    """The reads of `ports.AthleteReads` and `services.status.StatusReads`, and nothing that writes."""

    def __init__(self, reader: reads.Reader, url: str, *, secret_box: SecretBox | None = None) -> None:
        self._reader = reader
        self.shown_url = reads.shown_url(url)
        self.pain_diary = _Diary(reader)
        self.notifications = _Notifications(reader, secret_box)
        self.outbox_log = self.account_leases = self.digest_log = _StatusLogs(reader)
        self.activity_reads = self.annotation_batches = _ActivityReads(reader)

    @classmethod
    def open(cls, url: str, *, units: str, secret_box: SecretBox | None = None) -> ReadStore | None:
        """A ReadStore on an existing, current database that needs no write; None otherwise (see the module)."""
        reader = reads.open_reader(url)
        if reader is None:
            return None
        if reads.units_to_follow(reader, units):
            reader.close()
            return None
        return cls(reader, url, secret_box=secret_box)

    def list_athletes(self) -> list[AthleteRecord]:
        return reads.list_athletes(self._reader)

    def list_accounts(self) -> list[AccountRecord]:
        return reads.list_accounts(self._reader)

    def get_athlete(self, athlete_id: int) -> AthleteRecord:
        found = reads.get_athlete(self._reader, athlete_id)
        if found is None:
            raise NotFoundError(f"no athlete with id {athlete_id}: list athletes with `syncd status`")
        return found

    def list_gear(self, athlete_id: int) -> list[Gear]:
        return reads.list_gear(self._reader, athlete_id)

    def counts(self) -> dict[str, int]:
        return status_reads.counts(self._reader)

    def input_warnings(self, *, limit: int = 20) -> list[InputWarning]:
        return status_reads.input_warnings(self._reader, limit)

    def rate_budget(self, key: str) -> _Budget:
        return _Budget(self._reader, key)

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


class _Notifications:
    def __init__(self, reader: reads.Reader, box: SecretBox | None) -> None:
        self._reader = reader
        self._box = box

    def summary(self) -> list[dict[str, Any]]:
        return status_reads.notify_summary(self._reader)

    def targets(self, athlete_id: int) -> list[str]:
        return reads.notify_targets(self._reader, athlete_id, self._box)

    def muted(self, athlete_id: int) -> set[str]:
        return reads.notify_muted(self._reader, athlete_id)


class _StatusLogs:
    """The outbox's, the accounts' and the digests' state as `syncd status` shows it."""

    def __init__(self, reader: reads.Reader) -> None:
        self._reader = reader

    def summary(self) -> dict[str, Any]:
        return status_reads.outbox_summary(self._reader)

    def held_counts(self) -> list[dict[str, Any]]:
        return status_reads.held_counts(self._reader)

    def last_synced(self) -> dict[int, datetime]:
        return status_reads.last_synced(self._reader)

    def failures(self, limit: int = 20) -> list[dict[str, Any]]:
        return status_reads.digest_failures(self._reader, limit)

    def sent_count(self) -> int:
        return status_reads.digest_sent_count(self._reader)


class _ActivityReads:
    def __init__(self, reader: reads.Reader) -> None:
        self._reader = reader

    def recent_appearances(self, athlete_id: int, since: datetime) -> list[tuple[datetime, float, int]]:
        return status_reads.recent_appearances(self._reader, athlete_id, since)

    def awaiting_streams_ids(self, athlete_id: int, source: str, *, before: datetime) -> list[int]:
        return status_reads.awaiting_streams_ids(self._reader, athlete_id, source, before)


class _Budget:
    def __init__(self, reader: reads.Reader, key: str) -> None:
        self._reader = reader
        self._key = key

    def state(self, now: datetime) -> BudgetState:
        from syncd.domain.rate_budget import BudgetState

        return (status_reads.budget_row(self._reader, self._key) or BudgetState()).rolled(now)
