"""Linked platform accounts: sealed tokens, state, and the leased sync turns."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from syncd.adapters.db import reads
from syncd.adapters.db.base_repo import RepoBase, _aware
from syncd.adapters.db.errors import NotFoundError, StoreError
from syncd.adapters.db.mapping import AnyRow
from syncd.adapters.db.models import ACCOUNTS, ACTIVITIES
from syncd.adapters.db.reads import raw_reader
from syncd.records import AccountRecord

_ACCOUNT_STATES = frozenset({"ok", "needs_relink", "error"})


class AccountRepo(RepoBase):
    """The accounts table, for the Store."""

    def _seal(self, tokens: Mapping[str, object]) -> bytes:
        if self._box is None:
            raise StoreError("cannot store account tokens: no encryption key loaded; open the store with a SecretBox")
        return self._box.encrypt(json.dumps(dict(tokens), sort_keys=True, default=str).encode())

    def upsert_account(
        self, athlete_id: int, provider: str, external_id: str, tokens: Mapping[str, object] | None
    ) -> int:
        """Link (or re-link) an account. New tokens also reset the state to "ok"; None keeps stored tokens."""
        now = self._now()
        values: dict[str, Any] = {"athlete_id": athlete_id, "updated_at": now}
        if tokens is not None:
            values.update(tokens_encrypted=self._seal(tokens), state="ok", state_message=None)
        stmt = self._insert(ACCOUNTS).values(
            provider=provider, external_id=external_id, created_at=now, next_due_at=now, **values
        )
        stmt = stmt.on_conflict_do_update(index_elements=["provider", "external_id"], set_=values)
        with self._engine.begin() as conn:
            account_id = conn.execute(stmt.returning(ACCOUNTS.c.id)).scalar_one()
        return int(account_id)

    def set_account_tokens(self, account_id: int, tokens: Mapping[str, object]) -> None:
        """Save refreshed tokens (Strava rotates the refresh token: save every time)."""
        self._update_account(account_id, tokens_encrypted=self._seal(tokens))

    def set_account_state(self, account_id: int, state: str, message: str | None = None) -> None:
        if state not in _ACCOUNT_STATES:
            raise ValueError(f"account state must be one of {sorted(_ACCOUNT_STATES)}, not {state!r}")
        self._update_account(account_id, state=state, state_message=message)

    def _update_account(self, account_id: int, **values: Any) -> None:
        with self._engine.begin() as conn:
            result = conn.execute(
                sa.update(ACCOUNTS).where(ACCOUNTS.c.id == account_id).values(**values, updated_at=self._now())
            )
        if result.rowcount == 0:
            raise NotFoundError(f"no account with id {account_id}: list accounts with `syncd accounts`")

    def get_account_tokens(self, account_id: int) -> dict[str, object] | None:
        with self._engine.connect() as conn:
            row = conn.execute(sa.select(ACCOUNTS.c.tokens_encrypted).where(ACCOUNTS.c.id == account_id)).first()
        if row is None:
            raise NotFoundError(f"no account with id {account_id}: list accounts with `syncd accounts`")
        if row.tokens_encrypted is None:
            return None
        if self._box is None:
            raise StoreError("cannot read account tokens: no encryption key loaded; open the store with a SecretBox")
        tokens: dict[str, object] = json.loads(self._box.decrypt(bytes(row.tokens_encrypted)))
        return tokens

    def list_accounts(self) -> list[AccountRecord]:
        with raw_reader(self._engine) as reader:
            return reads.list_accounts(reader)

    def claim_accounts(
        self, worker: str, *, now: datetime, lease_s: float, limit: int, provider: str | None = None
    ) -> list[AccountRecord]:
        """Accounts due for a sync (state ok, next_due_at passed, lease free or expired), leased to `worker`.

        `provider` restricts the claim to one platform, so each platform's sync only takes its own accounts.
        """
        now = _aware(now, "now")
        eligible = sa.and_(
            ACCOUNTS.c.state == "ok",
            ACCOUNTS.c.next_due_at <= now,
            sa.or_(ACCOUNTS.c.lease_expires_at.is_(None), ACCOUNTS.c.lease_expires_at < now),
            sa.true() if provider is None else ACCOUNTS.c.provider == provider,
        )
        values = {"lease_owner": worker, "lease_expires_at": now + timedelta(seconds=lease_s)}
        # Accounts synced before (an incremental poll, a webhook wake: new activities, a request or two) go before
        # a first sync (a month of backfill that can take a window's reads); within each, longest-waiting first,
        # so every athlete gets a turn.
        rows = self._claim(
            ACCOUNTS,
            eligible=eligible,
            order=(ACCOUNTS.c.sync_cursor.is_(None), ACCOUNTS.c.next_due_at),
            values=values,
            returning=_ACCOUNT_COLUMNS,
            limit=limit,
        )
        return sorted((_account(row) for row in rows), key=lambda a: (a.next_due_at, a.id))

    def make_accounts_due(self, now: datetime, *, provider: str | None = None) -> int:
        """`syncd sync`: a person wants every linked account synced now, not at its scheduled time."""
        now = _aware(now, "now")
        with self._engine.begin() as conn:
            result = conn.execute(
                sa.update(ACCOUNTS)
                .where(
                    ACCOUNTS.c.state == "ok",
                    ACCOUNTS.c.next_due_at > now,
                    sa.true() if provider is None else ACCOUNTS.c.provider == provider,
                )
                .values(next_due_at=now)
            )
        return int(result.rowcount or 0)

    def activity_changes(self, since: datetime) -> dict[tuple[int, str], tuple[int, int]]:
        """(new, updated) activities per (athlete id, source) written since `since` (what a sync pass did)."""
        since = _aware(since, "since")
        new = sa.func.sum(sa.case((ACTIVITIES.c.created_at >= since, 1), else_=0))
        with self._engine.connect() as conn:
            rows = conn.execute(
                sa.select(ACTIVITIES.c.athlete_id, ACTIVITIES.c.source, new.label("new"), sa.func.count().label("n"))
                .where(ACTIVITIES.c.updated_at >= since)
                .group_by(ACTIVITIES.c.athlete_id, ACTIVITIES.c.source)
            ).all()
        return {(int(r.athlete_id), str(r.source)): (int(r.new or 0), int(r.n) - int(r.new or 0)) for r in rows}

    def release_account(
        self, account_id: int, worker: str, *, next_due_at: datetime, sync_cursor: str | None = None
    ) -> bool:
        """End `worker`'s lease, schedule the next sync and save the cursor; False if the lease was lost."""
        values: dict[str, Any] = {
            "lease_owner": None,
            "lease_expires_at": None,
            "next_due_at": _aware(next_due_at, "next_due_at"),
            "updated_at": self._now(),
        }
        if sync_cursor is not None:
            values["sync_cursor"] = sync_cursor
        with self._engine.begin() as conn:
            result = conn.execute(
                sa.update(ACCOUNTS)
                .where(ACCOUNTS.c.id == account_id, ACCOUNTS.c.lease_owner == worker)
                .values(**values)
            )
        return bool(result.rowcount)


_ACCOUNT_COLUMNS = (
    ACCOUNTS.c.id,
    ACCOUNTS.c.athlete_id,
    ACCOUNTS.c.provider,
    ACCOUNTS.c.external_id,
    ACCOUNTS.c.tokens_encrypted.is_not(None).label("has_tokens"),
    ACCOUNTS.c.state,
    ACCOUNTS.c.state_message,
    ACCOUNTS.c.sync_cursor,
    ACCOUNTS.c.next_due_at,
    ACCOUNTS.c.lease_owner,
    ACCOUNTS.c.lease_expires_at,
)


def _account(row: AnyRow) -> AccountRecord:
    values = dict(row._mapping)
    values["has_tokens"] = bool(values["has_tokens"])
    return AccountRecord(**values)
