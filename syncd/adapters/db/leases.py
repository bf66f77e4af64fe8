"""Leases of workers that are gone: recognised and given back at once instead of waited out.

A worker is named "<host>:<pid>" by default. After `kill -9` its leases (accounts, write-backs, digests) would
block that work until they expire (15 minutes for an account). Two cases are certain without waiting: a worker
restarting under the same name (its old self is dead), and a holder on this very host whose process no longer
exists. Anything else (another host, a custom name without a pid) is left to expire.
"""

from __future__ import annotations

import contextlib
import os
import socket
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy import Engine

from syncd.adapters.db.models import ACCOUNTS, DIGESTS, OUTBOX


def local_worker_name() -> str:
    """The default worker name: "<host>:<pid>"."""
    return f"{socket.gethostname()}:{os.getpid()}"


def is_dead_local_worker(worker: str, *, host: str | None = None) -> bool:
    """True only when `worker` is "<this host>:<pid>" and no process with that pid exists here."""
    name, _, pid_text = worker.rpartition(":")
    if name != (host or socket.gethostname()) or not (pid_text.isascii() and pid_text.isdigit()):
        return False
    pid = int(pid_text)
    if pid <= 0 or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except (PermissionError, OverflowError, OSError):
        return False  # exists (another user's process) or cannot tell: leave it
    return False


def lease_holders(engine: Engine, now: datetime) -> set[str]:
    """Workers holding an unexpired lease on an account, a write-back or a digest."""
    queries = [
        sa.select(ACCOUNTS.c.lease_owner).where(ACCOUNTS.c.lease_owner.is_not(None), ACCOUNTS.c.lease_expires_at > now),
        sa.select(OUTBOX.c.lease_owner).where(OUTBOX.c.status == "claimed", OUTBOX.c.lease_expires_at > now),
        sa.select(DIGESTS.c.lease_owner).where(DIGESTS.c.status == "claimed", DIGESTS.c.lease_expires_at > now),
    ]
    holders: set[str] = set()
    with engine.connect() as conn:
        for query in queries:
            holders.update(owner for owner in conn.execute(query.distinct()).scalars() if owner)
    return holders


# A released digest claim expires here, long before any clock a claimer reads: `syncd digest --send` reads its
# clock before it opens the store and takes over, so "a second before the take-over" was still in its future
# whenever opening took longer than that (a loaded machine), and the dead worker's digest was skipped, never sent.
_RELEASED_AT = datetime(2000, 1, 1, tzinfo=UTC)


def release_worker(engine: Engine, worker: str) -> int:
    """Give back every account, write-back and digest a dead `worker` held, so any worker takes them at once."""
    with engine.begin() as conn:
        result = conn.execute(  # an expired claim is open to anyone (claim_digest)
            sa.update(DIGESTS)
            .where(DIGESTS.c.lease_owner == worker, DIGESTS.c.status == "claimed")
            .values(lease_expires_at=_RELEASED_AT)
        )
    return int(result.rowcount or 0) + release_accounts_and_writebacks(engine, worker)


def release_accounts_and_writebacks(engine: Engine, worker: str) -> int:
    """Give back the accounts and write-backs `worker` holds (a stopping worker keeps its digest claims, which
    expire on their own: one may still be on its way out); how many were released."""
    with engine.begin() as conn:
        result = conn.execute(
            sa.update(ACCOUNTS).where(ACCOUNTS.c.lease_owner == worker).values(lease_owner=None, lease_expires_at=None)
        )
        released = int(result.rowcount or 0)
    claimed = sa.select(OUTBOX.c.id).where(OUTBOX.c.lease_owner == worker, OUTBOX.c.status == "claimed")
    with engine.connect() as conn:
        ids = list(conn.execute(claimed).scalars())
    for item_id in ids:  # one at a time: a newer pending note for the same activity wins over the old one
        with contextlib.suppress(sa.exc.IntegrityError), engine.begin() as conn:
            result = conn.execute(
                sa.update(OUTBOX)
                .where(OUTBOX.c.id == item_id, OUTBOX.c.lease_owner == worker, OUTBOX.c.status == "claimed")
                .values(status="pending", lease_owner=None, lease_expires_at=None)
            )
            released += int(result.rowcount or 0)
    return released


def take_over_dead_workers(engine: Engine, *, now: datetime | None = None) -> dict[str, int]:
    """Release the leases of every holder that is a dead process on this host; {worker: leases released}."""
    now = now or datetime.now(UTC)
    taken: dict[str, int] = {}
    for worker in sorted(lease_holders(engine, now)):
        if is_dead_local_worker(worker):
            count = release_worker(engine, worker)
            if count:
                taken[worker] = count
    return taken
