"""Weekly digests: exactly one worker sends each athlete's week."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from syncd.adapters.db.base_repo import RepoBase, _aware
from syncd.adapters.db.models import DIGESTS


class DigestRepo(RepoBase):
    """The digests table, for the Store."""

    def claim_digest(
        self, athlete_id: int, week: str, worker: str, *, now: datetime, lease_s: float, retry_early: bool = False
    ) -> bool:
        """True for exactly one worker per (athlete, ISO week), until it is sent.

        Expired claims reopen; failed ones reopen at their retry time (`fail_digest(retry_at=)`), or at once with
        `retry_early` (an operator who just fixed the mail settings and runs `syncd digest --send`).
        """
        now = _aware(now, "now")
        retry_due = sa.or_(DIGESTS.c.lease_expires_at.is_(None), DIGESTS.c.lease_expires_at <= now)
        failed_ready = DIGESTS.c.status == "failed" if retry_early else sa.and_(DIGESTS.c.status == "failed", retry_due)
        lease = {"lease_owner": worker, "lease_expires_at": now + timedelta(seconds=lease_s)}
        with self._engine.begin() as conn:
            inserted = conn.execute(
                self._insert(DIGESTS)
                .values(athlete_id=athlete_id, week=week, status="claimed", attempts=1, created_at=now, **lease)
                .on_conflict_do_nothing(index_elements=["athlete_id", "week"])
                .returning(DIGESTS.c.id)
            ).scalar()
            if inserted is not None:
                return True
            result = conn.execute(
                sa.update(DIGESTS)
                .where(
                    DIGESTS.c.athlete_id == athlete_id,
                    DIGESTS.c.week == week,
                    sa.or_(
                        failed_ready,
                        sa.and_(DIGESTS.c.status == "claimed", DIGESTS.c.lease_expires_at < now),
                    ),
                )
                .values(status="claimed", attempts=DIGESTS.c.attempts + 1, **lease)
            )
        return bool(result.rowcount)

    def mark_digest_sent(self, athlete_id: int, week: str, worker: str) -> bool:
        return self._finish_digest(athlete_id, week, worker, status="sent", sent_at=self._now())

    def fail_digest(
        self, athlete_id: int, week: str, worker: str, error: str, *, retry_at: datetime | None = None
    ) -> bool:
        """Record a failed send; claim_digest (by anyone) may retry it from `retry_at` (None: at once)."""
        return self._finish_digest(
            athlete_id, week, worker, status="failed", last_error=error[:2000], retry_at=retry_at
        )

    def _finish_digest(
        self, athlete_id: int, week: str, worker: str, *, retry_at: datetime | None = None, **values: Any
    ) -> bool:
        # While a row is failed, its lease column holds the retry time (the earliest next claim).
        with self._engine.begin() as conn:
            result = conn.execute(
                sa.update(DIGESTS)
                .where(
                    DIGESTS.c.athlete_id == athlete_id,
                    DIGESTS.c.week == week,
                    DIGESTS.c.lease_owner == worker,
                    DIGESTS.c.status == "claimed",
                )
                .values(lease_owner=None, lease_expires_at=retry_at, **values)
            )
        return bool(result.rowcount)

    def digest_status(self, athlete_id: int, week: str) -> str | None:
        with self._engine.connect() as conn:
            status = conn.execute(
                sa.select(DIGESTS.c.status).where(DIGESTS.c.athlete_id == athlete_id, DIGESTS.c.week == week)
            ).scalar()
        return None if status is None else str(status)
