"""Webhook-aware polling: the daemon asks the (simulated) Strava whether this app has a push subscription; with one,
each athlete is only re-scanned daily, without one (or when the check fails) polling stays at the normal interval."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from syncd.adapters.db import Store
from syncd.config import Secret, Settings, StravaSettings
from syncd.domain.model import Activity, Source, Sport
from syncd.entrypoints.daemon import Daemon, DaemonOptions, Platform
from syncd.services.strava_sync import StravaService
from syncd.testing import strava_harness as harness
from syncd.testing.strava_server import StravaSimulator
from tests.integration.conftest import FakeClock

DAY_S = 86_400.0


@pytest.fixture
def sim(clock: FakeClock) -> Iterator[StravaSimulator]:
    with StravaSimulator(clock=clock.now) as server:
        yield server


def _subscribe(sim: StravaSimulator) -> None:
    """A subscription as `syncd webhook subscribe` leaves it (the callback check is not what is tested here)."""
    sim.subscriptions[101] = {
        "id": 101,
        "resource_state": 2,
        "application_id": sim.client_id,
        "callback_url": "https://syncd.example.org/webhook/strava",
        "created_at": "2026-11-01T00:00:00Z",
        "updated_at": "2026-11-01T00:00:00Z",
    }


def _daemon(
    store: Store, sim: StravaSimulator, clock: FakeClock, tmp_path: Path, *, token: str | None = "verify-me"
) -> tuple[Daemon, StravaService]:
    harness.link(store, sim, sim.add_athlete(firstname="Wes").id, clock=clock)
    service = harness.service(store, sim, clock=clock)
    settings = Settings(
        state_dir=tmp_path,
        config_path=None,
        strava=StravaSettings(webhook_verify_token=Secret(token) if token else None),
    )
    daemon = Daemon(
        settings,
        store,
        [Platform("strava", service, push=service)],
        options=DaemonOptions(worker="w1", serve_web=False),
    )
    return daemon, service


def _next_poll_in_s(store: Store, clock: FakeClock) -> float:
    [account] = store.list_accounts()
    return (account.next_due_at - clock.now()).total_seconds()


def test_with_a_push_subscription_polling_is_a_daily_rescan(
    store: Store, sim: StravaSimulator, clock: FakeClock, tmp_path: Path
) -> None:
    _subscribe(sim)
    daemon, service = _daemon(store, sim, clock, tmp_path)
    sim.reset_log()

    daemon._sync_pass()

    assert daemon.webhook_used is True and service.poll.webhook is True
    assert service.plan().interval_s == DAY_S
    assert sim.count("GET", r"/push_subscriptions$") == 1
    assert 0 < _next_poll_in_s(store, clock) <= DAY_S * 1.1  # only the daily safety poll
    daemon._sync_pass()  # the check is daily, not per pass
    assert sim.count("GET", r"/push_subscriptions$") == 1


def test_without_a_subscription_polling_stays_normal(
    store: Store, sim: StravaSimulator, clock: FakeClock, tmp_path: Path
) -> None:
    daemon, service = _daemon(store, sim, clock, tmp_path)

    daemon._sync_pass()

    assert daemon.webhook_used is False and service.poll.webhook is False
    assert service.plan().interval_s == 900
    assert 0 < _next_poll_in_s(store, clock) <= 3 * 3600  # no history yet: the default day, every two hours


def test_without_a_verify_token_strava_is_not_asked(
    store: Store, sim: StravaSimulator, clock: FakeClock, tmp_path: Path
) -> None:
    _subscribe(sim)
    daemon, service = _daemon(store, sim, clock, tmp_path, token=None)
    sim.reset_log()

    daemon._sync_pass()

    assert daemon.webhook_used is False and service.plan().interval_s == 900
    assert sim.count("GET", r"/push_subscriptions$") == 0


def test_a_failed_check_falls_back_to_normal_polling_and_is_retried(
    store: Store, sim: StravaSimulator, clock: FakeClock, tmp_path: Path
) -> None:
    _subscribe(sim)
    daemon, service = _daemon(store, sim, clock, tmp_path)
    daemon._sync_pass()
    assert service.plan().interval_s == DAY_S

    service.sessions.endpoint = replace(service.sessions.endpoint, client_secret="wrong")  # Strava answers 401
    daemon._webhook_check_due = 0.0  # the daily re-check is due
    daemon._check_webhook()

    assert daemon.webhook_used is False and service.plan().interval_s == 900
    due_in = daemon._webhook_check_due - time.monotonic()
    assert 0 < due_in <= daemon.options.webhook_retry_s  # retried within the hour, not a day later


def test_the_daily_rescan_is_not_stretched_by_the_athletes_usual_hours(
    store: Store, sim: StravaSimulator, clock: FakeClock, tmp_path: Path
) -> None:
    _subscribe(sim)
    daemon, _service = _daemon(store, sim, clock, tmp_path)
    [account] = store.list_accounts()
    away = clock.now().replace(minute=0, second=0, microsecond=0) - timedelta(hours=12)  # never "now's" hour
    for day in range(1, 6):
        run = Activity(Source.FILE, f"usual-{day}", Sport.RUN, "running", away - timedelta(days=day), distance_m=5e3)
        store.upsert_activity(account.athlete_id, run, {})

    daemon._sync_pass()

    next_in = _next_poll_in_s(store, clock)  # the daily safety poll only, whatever the athlete's usual hours
    assert 0 < next_in <= DAY_S * 1.1
    assert (clock.now() + timedelta(seconds=next_in)).hour == 3  # at the safety hour (the athlete's zone: UTC)
