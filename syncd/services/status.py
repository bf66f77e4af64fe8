"""What `syncd status` reports: where the data is, how much there is, and what needs attention."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from syncd import __version__
from syncd.config import Settings

if TYPE_CHECKING:
    from syncd.ports import (
        AppearanceReads,
        AthleteRepository,
        AthletesAndAccounts,
        DigestCounts,
        LastSynced,
        NotificationLog,
        OutboxSummary,
        RateBudgets,
        StoreFacts,
        StreamsWaiting,
    )
    from syncd.records import AccountRecord


@dataclass(frozen=True)
class StatusReads:
    """What `syncd status` and `syncd accounts` read, from the database Store or the CLI's read-only store without
    SQLAlchemy (adapters/db/read_store.py, issue 32; `wiring.status_reads` builds it from either)."""

    people: AthletesAndAccounts
    athletes: AthleteRepository
    budgets: RateBudgets
    appearances: AppearanceReads
    digest_log: DigestCounts
    outbox: OutboxSummary
    leases: LastSynced
    streams: StreamsWaiting
    facts: StoreFacts
    notifications: NotificationLog | None = None  # a store without push notifications keeps none


def collect_status(store: StatusReads, settings: Settings, rules_version: str) -> dict[str, Any]:
    """`rules_version`: the annotation version the current settings give (wiring.annotation_version)."""
    from syncd.services.athletes import owner

    athletes = {a.id: a for a in store.people.list_athletes()}
    boss = owner(store.people)
    return {
        "version": __version__,
        "database": store.facts.shown_url,
        "state_dir": str(settings.state_dir),
        "rules_version": rules_version,
        "athletes": len(athletes),
        "owner": boss.key if boss is not None else None,
        "accounts": account_rows(store, settings),
        "rows": store.facts.counts(),
        "digests": _digests(store, settings),
        "strava": _strava(store, settings),
        "outbox": _outbox(store),
        "rate_budget_left": _budget_left(store, settings),
        "garmin": _garmin(store, settings),
        "notify": _notify(store),
        "input_warnings": _input_warnings(store, athletes),
    }


def _input_warnings(store: StatusReads, athletes: dict[int, Any]) -> list[dict[str, Any]]:
    """Bad input syncd kept going past (an ambiguous twin, a #back tag on a run dated out of range): what and the
    fix, never a pain score."""
    return [
        {
            "athlete": athletes[w.athlete_id].key if w.athlete_id in athletes else str(w.athlete_id),
            "activity_id": w.activity_id,
            "activity": f"{w.source}:{w.external_id}",
            "start": w.start_utc.isoformat(),
            "kind": w.kind,
            "message": w.message,
        }
        for w in store.facts.input_warnings()
    ]


def account_rows(store: StatusReads, settings: Settings | None = None) -> list[dict[str, Any]]:
    """Each linked account with its state, last and next sync, who holds it now, and where its notes go: the
    write-back the daemon will use (the athlete's own choice over the platform's `write_back`) (for `status`,
    `accounts`)."""
    from syncd.services.athletes import effective_write_back

    athletes = {a.id: a for a in store.people.list_athletes()}
    last_sync = _last_sync(store)
    now = datetime.now(UTC)
    held: dict[tuple[int, str], int] = {}
    for line in store.outbox.held_counts():
        key = (line["athlete_id"], line["provider"])
        held[key] = held.get(key, 0) + line["count"]
    return [
        {
            "id": a.id,
            "provider": a.provider,
            "external_id": a.external_id,
            "athlete": athletes[a.athlete_id].key if a.athlete_id in athletes else "",
            "athlete_name": athletes[a.athlete_id].name if a.athlete_id in athletes else "",
            "state": shown_state(a),
            "message": a.state_message,
            "last_sync": last_sync.get(a.id),
            "next_due": a.next_due_at,
            "leased_by": a.lease_owner if a.lease_expires_at and a.lease_expires_at > now else None,
            "lease_until": a.lease_expires_at if a.lease_expires_at and a.lease_expires_at > now else None,
            "write_back": (
                effective_write_back(athletes[a.athlete_id], settings, a.provider)
                if settings is not None and a.athlete_id in athletes and a.provider in ("strava", "garmin")
                else None
            ),
            "streams_waiting": _streams_waiting(store, a, now),
            "held": held.get(
                (a.athlete_id, a.provider), 0
            ),  # notes the drain holds: the write-back does not allow them
        }
        for a in store.people.list_accounts()
    ]


def _streams_waiting(store: StatusReads, account: AccountRecord, now: datetime) -> int:
    """Older runs whose samples are still on the platform, fetched in the background from the budget left over:
    until then their notes say "no streams yet" (issue 27)."""
    if account.provider not in ("strava", "garmin"):
        return 0
    waiting = store.streams.awaiting_streams_ids(account.athlete_id, account.provider, before=now)
    return len(waiting)


def shown_state(account: AccountRecord) -> str:
    """The state as people read it: an account that syncs but carries a reason (runs the database refused, an
    inactive Strava app) is "degraded", not "ok"."""
    return "degraded" if account.state == "ok" and account.state_message else account.state


def _garmin(store: StatusReads, settings: Settings) -> dict[str, Any]:
    """Linked Garmin accounts, those that need `syncd link garmin`, and when each syncs next."""
    accounts = [a for a in store.people.list_accounts() if a.provider == "garmin"]
    return {
        "api_url": settings.garmin.api_url,
        "write_back": settings.garmin.write_back,
        "accounts": len(accounts),
        "needs_relink": [a.external_id for a in accounts if a.state == "needs_relink"],
        "next_sync": min((a.next_due_at for a in accounts if a.state == "ok"), default=None),
    }


def _strava(store: StatusReads, settings: Settings) -> dict[str, Any]:
    """Projected daily reads of polling and the shared rate budget (see syncd.domain.rate_budget)."""
    from syncd.services.strava_status import strava_summary

    return strava_summary(store.people, store.budgets, store.athletes, store.appearances, settings)


def _digests(store: StatusReads, settings: Settings) -> dict[str, Any]:
    """Recipients, invalid addresses and failed sends waiting for a retry (see syncd.services.digests)."""
    from syncd.services.digest_recipients import digest_summary

    return digest_summary(store.people, store.digest_log, settings)


def _notify(store: StatusReads) -> list[dict[str, Any]]:
    """Push targets and how their messages fare (see syncd.services.notifications)."""
    return store.notifications.summary() if store.notifications is not None else []


def _last_sync(store: StatusReads) -> dict[int, Any]:
    """When each account's row last changed: the end of its last sync (or a token refresh/re-link)."""
    return dict(store.leases.last_synced())


def _outbox(store: StatusReads) -> dict[str, Any]:
    """Write-back outbox depth by status and the last errors (for operators; `syncd status`)."""
    return store.outbox.summary()


def _budget_left(store: StatusReads, settings: Settings) -> dict[str, int] | None:
    """Strava requests left in the shared budget (this 15-minute window and today); None without a Strava app."""
    from datetime import UTC, datetime

    if not settings.strava.client_id:
        return None
    budget = store.budgets.rate_budget(f"strava:{settings.strava.client_id}").state(datetime.now(UTC))
    return {
        "reads_this_window": max(budget.read_short_limit - budget.read_short_usage, 0),
        "reads_today": max(budget.read_daily_limit - budget.read_daily_usage, 0),
        "all_this_window": max(budget.short_limit - budget.short_usage, 0),
        "all_today": max(budget.daily_limit - budget.daily_usage, 0),
    }
