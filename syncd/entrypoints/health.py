"""`GET /healthz`: is this daemon alive, and how long ago did each account last sync successfully?

For load balancers and uptime checks: 200 while the scheduler runs its jobs, 503 when its heartbeat is stale (the
watchdog job stopped running) or the daemon is shutting down. Per account it shows the state, the age of the last
successful sync this process made, and when the account is due next; no tokens, no athlete names or ids from the
platform, so it can stay unauthenticated.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

if TYPE_CHECKING:
    from syncd.entrypoints.daemon import Daemon

STALE_AFTER_S = 60.0


def health_report(daemon: Daemon) -> tuple[bool, dict[str, Any]]:
    from syncd.services.status import shown_state

    now = datetime.now(UTC)
    beat_age = time.monotonic() - daemon.heartbeat
    alive = beat_age < STALE_AFTER_S and not daemon.stopping
    accounts = []
    for account in daemon.store.list_accounts():
        health = daemon.health.get(account.id)
        last = health.last_success if health else None
        accounts.append(
            {
                "id": account.id,
                "provider": account.provider,
                "state": shown_state(account),  # "degraded" when it syncs but a run could not be stored
                "last_success_age_s": None if last is None else round((now - last).total_seconds(), 1),
                "last_error": health.last_error if health else None,
                "next_due_in_s": round((account.next_due_at - now).total_seconds(), 1),
                "leased": account.lease_owner is not None,
            }
        )
    last_pass = daemon.last_pass
    return alive, {
        "status": "ok" if alive else ("stopping" if daemon.stopping else "stale"),
        "worker": daemon.worker,
        "uptime_s": round((now - daemon.started_at).total_seconds(), 1),
        "heartbeat_age_s": round(beat_age, 1),
        "passes": last_pass.passes,
        "last_pass_age_s": None
        if last_pass.finished_at is None
        else round((now - last_pass.finished_at).total_seconds(), 1),
        "accounts": accounts,
    }


def health_routes(daemon: Daemon) -> list[BaseRoute]:
    async def healthz(_request: Request) -> Response:
        try:
            alive, report = await run_in_threadpool(health_report, daemon)
        except Exception as exc:  # the database is unreachable: alive, but not healthy
            return JSONResponse({"status": "error", "error": f"{type(exc).__name__}"}, status_code=503)
        return JSONResponse(report, status_code=200 if alive else 503)

    return [Route("/healthz", healthz, methods=["GET"], name="healthz")]
