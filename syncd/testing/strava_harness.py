"""Wire a Store to a running StravaSimulator: link athletes and build the Strava service (tests, bench, demo)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from syncd.adapters.clock import SystemClock
from syncd.adapters.strava.api import Endpoint
from syncd.adapters.strava.sessions import StravaSessions, link_with_tokens
from syncd.ports import Clock
from syncd.services.accounts import LinkedAccount
from syncd.services.annotating import AnnotationPolicy
from syncd.services.strava_sync import PollSettings, StravaService, SyncOptions
from syncd.services.write_back_policy import WriteBackMode
from syncd.testing.strava_server import StravaSimulator

if TYPE_CHECKING:
    from syncd.adapters.db.repository import Store


def endpoint_for(sim: StravaSimulator, *, timeout_s: float = 10.0) -> Endpoint:
    return Endpoint(sim.api_url, sim.oauth_url, sim.client_id, sim.client_secret, timeout_s)


def link(store: Store, sim: StravaSimulator, athlete_id: int, *, clock: Clock | None = None) -> LinkedAccount:
    """Link as `syncd link strava --token-file` would, with tokens the simulator issues."""
    from syncd.entrypoints.wiring import link_repositories

    return link_with_tokens(link_repositories(store), endpoint_for(sim), sim.issue_tokens(athlete_id), clock=clock)


def service(
    store: Store,
    sim: StravaSimulator,
    *,
    clock: Clock | None = None,
    write_back: WriteBackMode = "all",
    annotation_window_days: int = 30,
    timeout_s: float = 10.0,
    policy: AnnotationPolicy | None = None,
    history_per_pass: int = 25,
    **kwargs: Any,
) -> StravaService:
    """A StravaService against the simulator, with the database budget; retries do not sleep. `sleep` and
    `backoff_s` go to the sessions, `write_reserve` to both (as the wiring does), the rest to the service."""
    clock = clock or SystemClock()
    budget = store.rate_budget(f"strava:{sim.client_id}")
    write_reserve = kwargs.pop("write_reserve", 20)
    sessions = StravaSessions(
        store,
        endpoint_for(sim, timeout_s=timeout_s),
        budget=budget,
        clock=clock,
        write_reserve=write_reserve,
        sleep=kwargs.pop("sleep", lambda _s: None),
        backoff_s=kwargs.pop("backoff_s", 1.0),
    )
    kwargs.setdefault("poll", PollSettings())
    from syncd.entrypoints.wiring import platform_repositories

    return StravaService(
        platform_repositories(store),
        sessions,
        budget=budget,
        policy=policy or AnnotationPolicy(write_back_window=timedelta(days=annotation_window_days)),
        options=SyncOptions(
            annotation_window=timedelta(days=annotation_window_days),
            write_back=write_back,
            history_per_pass=history_per_pass,
        ),
        clock=clock,
        write_reserve=write_reserve,
        **kwargs,
    )


def seconds_until_due(store: Store, now: datetime) -> float:
    """Seconds until every ok account is due again (adaptive polling decides when; tests jump there)."""
    due = [a.next_due_at for a in store.list_accounts() if a.state == "ok"]
    return max(1.0, max(((d - now).total_seconds() for d in due), default=0.0) + 1.0)
