"""Push notifications in the store: the athletes' own Apprise URLs (encrypted with the token key) and the
notification outbox, leased to the workers that deliver it like the write-back outbox."""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from syncd.adapters.db import reads, status_reads
from syncd.adapters.db.base_repo import RepoBase, _aware
from syncd.adapters.db.errors import StoreError
from syncd.adapters.db.models import ACTIVITIES, ACTIVITY_FLAGS, NOTIFICATIONS, NOTIFY_TARGETS
from syncd.adapters.db.reads import raw_reader
from syncd.domain.notify import QueuedNotification


class NotificationRepo(RepoBase):
    """`store.notifications`: targets per athlete and the outbox."""

    # ---- the athletes' own targets ----------------------------------------------------------------------------

    def set_targets(self, athlete_id: int, urls: list[str]) -> None:
        """Replace the athlete's URLs (an empty list removes them; the kinds they turned off stay)."""
        sealed = None
        if urls:
            if self._box is None:
                raise StoreError("no encryption key: open the store with open_store(settings) to keep notify URLs")
            sealed = self._box.encrypt(json.dumps(urls).encode())
        self._upsert(athlete_id, urls_encrypted=sealed)

    def set_muted(self, athlete_id: int, kinds: list[str]) -> None:
        """The kinds of message this athlete does not want (whatever the targets)."""
        self._upsert(athlete_id, muted=",".join(sorted(kinds)))

    def muted(self, athlete_id: int) -> set[str]:
        with raw_reader(self._engine) as reader:
            return reads.notify_muted(reader, athlete_id)

    def _upsert(self, athlete_id: int, **values: Any) -> None:
        table = NOTIFY_TARGETS
        row = table.c
        with self._engine.begin() as conn:
            current = conn.execute(sa.select(row.urls_encrypted, row.muted).where(row.athlete_id == athlete_id)).first()
            merged = {"urls_encrypted": None, "muted": ""} if current is None else dict(current._mapping)
            merged.update(values)
            conn.execute(sa.delete(table).where(row.athlete_id == athlete_id))
            if merged["urls_encrypted"] is not None or merged["muted"]:
                conn.execute(sa.insert(table).values(athlete_id=athlete_id, updated_at=self._now(), **merged))

    def targets(self, athlete_id: int) -> list[str]:
        with raw_reader(self._engine) as reader:
            return reads.notify_targets(reader, athlete_id, self._box)

    def athletes_with_targets(self) -> list[int]:
        stmt = sa.select(NOTIFY_TARGETS.c.athlete_id).where(NOTIFY_TARGETS.c.urls_encrypted.is_not(None))
        with self._engine.connect() as conn:
            return [int(i) for i in conn.execute(stmt).scalars()]

    # ---- what to notify about ---------------------------------------------------------------------------------

    def flagged_since(self, started_after: datetime) -> list[int]:
        """Activities that started after `started_after` and carry any flag now (the caller reads their notes)."""
        stmt = (
            sa.select(ACTIVITIES.c.id)
            .where(ACTIVITIES.c.start_utc > _aware(started_after, "started_after"), ACTIVITIES.c.deleted.is_(False))
            .where(sa.exists().where(ACTIVITY_FLAGS.c.activity_id == ACTIVITIES.c.id))
            .order_by(ACTIVITIES.c.start_utc)
        )
        with self._engine.connect() as conn:
            return [int(i) for i in conn.execute(stmt).scalars()]

    def has(self, athlete_id: int, kind: str, ref: str) -> bool:
        stmt = sa.select(sa.func.count()).where(
            NOTIFICATIONS.c.athlete_id == athlete_id, NOTIFICATIONS.c.kind == kind, NOTIFICATIONS.c.ref == ref
        )
        with self._engine.connect() as conn:
            return bool(conn.execute(stmt).scalar_one())

    def queued_since(self, athlete_id: int, kind: str, since: datetime) -> bool:
        """Whether a message of `kind` was queued for the athlete at or after `since`."""
        stmt = sa.select(sa.func.count()).where(
            NOTIFICATIONS.c.athlete_id == athlete_id,
            NOTIFICATIONS.c.kind == kind,
            NOTIFICATIONS.c.created_at >= _aware(since, "since"),
        )
        with self._engine.connect() as conn:
            return bool(conn.execute(stmt).scalar_one())

    # ---- the outbox -------------------------------------------------------------------------------------------

    def enqueue(
        self,
        athlete_id: int,
        kind: str,
        ref: str,
        target: str,
        *,
        scheme: str,
        title: str,
        body: str,
        link: str | None,
        not_before: datetime,
        now: datetime | None = None,
    ) -> bool:
        """Queue one message for one target; False when this (athlete, kind, ref, target) was queued before."""
        now = self._now() if now is None else _aware(now, "now")
        stmt = (
            self._insert(NOTIFICATIONS)
            .values(
                athlete_id=athlete_id,
                kind=kind,
                ref=ref[:40],
                target=target,
                scheme=scheme[:32],
                title=title,
                body=body,
                link=link,
                status="pending",
                attempts=0,
                next_attempt_at=_aware(not_before, "not_before"),
                created_at=now,
            )
            .on_conflict_do_nothing()
            .returning(NOTIFICATIONS.c.id)
        )
        with self._engine.begin() as conn:
            return conn.execute(stmt).scalar() is not None

    def claim(
        self,
        worker: str,
        *,
        now: datetime,
        lease_s: float,
        limit: int,
        exclude: Collection[tuple[int, str]] = (),
        only: tuple[int, str] | None = None,
    ) -> list[QueuedNotification]:
        """Due messages leased to `worker`, except those for the (athlete, target) pairs in `exclude`, or only
        those for the pair `only`."""
        now = _aware(now, "now")
        eligible = sa.or_(
            sa.and_(NOTIFICATIONS.c.status == "pending", NOTIFICATIONS.c.next_attempt_at <= now),
            sa.and_(NOTIFICATIONS.c.status == "claimed", NOTIFICATIONS.c.lease_expires_at < now),
        )
        if exclude:
            pairs = sa.tuple_(NOTIFICATIONS.c.athlete_id, NOTIFICATIONS.c.target)
            eligible = sa.and_(eligible, pairs.not_in(sorted(exclude)))
        if only is not None:
            eligible = sa.and_(eligible, NOTIFICATIONS.c.athlete_id == only[0], NOTIFICATIONS.c.target == only[1])
        values = {
            "status": "claimed",
            "lease_owner": worker,
            "lease_expires_at": now + timedelta(seconds=lease_s),
            "attempts": NOTIFICATIONS.c.attempts + 1,
        }
        columns = [NOTIFICATIONS.c[name] for name in QueuedNotification.__slots__]
        rows = self._claim(
            NOTIFICATIONS,
            eligible=eligible,
            order=(NOTIFICATIONS.c.next_attempt_at,),
            values=values,
            returning=columns,
            limit=limit,
        )
        return sorted((QueuedNotification(**dict(row._mapping)) for row in rows), key=lambda item: item.id)

    def sent(self, item_id: int, worker: str) -> bool:
        return self._finish(item_id, worker, status="done", sent_at=self._now(), last_error=None)

    def failed(self, item_id: int, worker: str, error: str, retry_at: datetime | None) -> bool:
        """Back to pending for `retry_at`, or failed for good (None)."""
        if retry_at is None:
            return self._finish(item_id, worker, status="failed", last_error=error[:500])
        return self._finish(
            item_id, worker, status="pending", next_attempt_at=_aware(retry_at, "retry_at"), last_error=error[:500]
        )

    def _finish(self, item_id: int, worker: str, **values: Any) -> bool:
        mine = sa.and_(
            NOTIFICATIONS.c.id == item_id, NOTIFICATIONS.c.lease_owner == worker, NOTIFICATIONS.c.status == "claimed"
        )
        with self._engine.begin() as conn:
            result = conn.execute(
                sa.update(NOTIFICATIONS).where(mine).values(lease_owner=None, lease_expires_at=None, **values)
            )
        return bool(result.rowcount)

    def prune(self, before: datetime) -> int:
        """Delete sent and given-up messages queued before `before`; how many."""
        stmt = sa.delete(NOTIFICATIONS).where(
            NOTIFICATIONS.c.status.in_(("done", "failed")), NOTIFICATIONS.c.created_at < _aware(before, "before")
        )
        with self._engine.begin() as conn:
            return int(conn.execute(stmt).rowcount or 0)

    def summary(self) -> list[dict[str, Any]]:
        """Per athlete and target: messages sent, waiting (with the next attempt), failed for good, the last error."""
        with raw_reader(self._engine) as reader:
            return status_reads.notify_summary(reader)
