"""Who an athlete's push messages go to (`[notify] urls` for the install's owner, and the athlete's own URLs):
apart from queueing and sending (services/notifications.py), so `syncd athlete show` imports neither the message
texts nor the worker pool (issue 32)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from syncd.domain.notify_urls import scheme_of

if TYPE_CHECKING:
    from syncd.config import Settings
    from syncd.ports import KeepsNotifyTargets
    from syncd.records import AthleteRecord


@dataclass(frozen=True, slots=True)
class Target:
    key: str  # "config:1" or "athlete:1": what rows and `syncd status` show
    url: str

    @property
    def scheme(self) -> str:
        return scheme_of(self.url)


def config_urls(settings: Settings) -> list[str]:
    secret = settings.notify.urls
    return [u for u in secret.reveal().split("\n") if u] if secret else []


def targets_for(
    store: KeepsNotifyTargets, settings: Settings, athlete: AthleteRecord, owner_id: int | None
) -> list[Target]:
    """`[notify] urls` reach the install's owner; every athlete's own URLs reach them."""
    found: list[Target] = []
    if athlete.id == owner_id:
        found += [Target(f"config:{n}", url) for n, url in enumerate(config_urls(settings), 1)]
    found += [Target(f"athlete:{n}", url) for n, url in enumerate(store.notifications.targets(athlete.id), 1)]
    return found
