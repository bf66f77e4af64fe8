"""What the daemon (and `syncd sync`) needs from a platform service, typed, and the policies around accounts that
used to live in the daemon: giving leases back, making an account due, acting on a deauthorization event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from syncd.logging import get_logger
from syncd.services.account_sync import PassReport
from syncd.services.accounts import LinkRepositories, unlink
from syncd.services.writeback import WritebackReport

if TYPE_CHECKING:
    from syncd.ports import AccountLeaseRepository, DescriptionWriter

log = get_logger("syncd.platforms")


class PlatformService(Protocol):
    """One platform's sync passes and write-back drain (StravaService, GarminService)."""

    def sync_due(self, worker: str, *, limit: int = ..., lease_s: float = ...) -> PassReport:
        """Claim up to `limit` due accounts of this platform, sync them, release them."""
        ...

    def drain(self, worker: str, *, dry_run: bool = ..., limit: int = ...) -> WritebackReport:
        """Write this platform's queued notes back."""
        ...

    def grant_revoked(self, account_id: int) -> bool:
        """Whether the platform confirms that the account's grant is gone (a request with it is refused)."""
        ...

    def description_reader(self) -> DescriptionWriter | None:
        """What reads (and writes) the platform's activity descriptions; None where there are none (files)."""
        ...


class PushPolling(Protocol):
    """A platform that can push changes (Strava's webhook), so polling can drop to a daily safety re-scan."""

    def use_webhook(self, enabled: bool) -> None: ...

    def push_subscription_ids(self) -> frozenset[int]:
        """The ids of this app's push subscriptions (empty: none); raises when the platform cannot be asked."""
        ...


@dataclass(frozen=True)
class Platform:
    name: str
    service: PlatformService
    push: PushPolling | None = None


def release_leases(leases: AccountLeaseRepository, worker: str) -> int:
    """Give back every account and write-back this worker still holds, so another worker takes them at once."""
    return leases.release_worker(worker)


def mark_due(leases: AccountLeaseRepository, provider: str, external_id: str, now: datetime | None = None) -> bool:
    """Make one account due now (a webhook said something changed); False when no such linked account."""
    return leases.mark_due(provider, external_id, now)


def deauthorize(store: LinkRepositories, platform: Platform, external_id: str) -> int | None:
    """The athlete revoked our access: delete their data from that platform, once the platform confirms it.

    Webhook events are not signed: a forged "authorized: false" must not delete anyone's data. If the grant still
    works the event is not true, and nothing is deleted. Returns how many activities were deleted, or None.
    """
    account = next(
        (a for a in store.accounts.list_accounts() if a.provider == platform.name and a.external_id == external_id),
        None,
    )
    if account is None:
        return None
    try:
        revoked = platform.service.grant_revoked(account.id)
    except Exception as exc:  # cannot tell: keep the data
        log.warning("deauthorization_unverified", account_id=account.id, error=f"{type(exc).__name__}: {exc}")
        return None
    if not revoked:
        log.warning("deauthorization_ignored", account_id=account.id, reason="the grant still works")
        return None
    deleted = unlink(store, account.id)
    log.info("athlete_deauthorized", provider=platform.name, account_id=account.id, activities_deleted=deleted)
    return deleted
