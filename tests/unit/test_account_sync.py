"""A pass over due accounts (syncd.services.account_sync) on in-memory fakes: what each platform fault outside one
activity does to the account (re-link, pause, back off), and that the lease is always released with the cursor."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from syncd.domain.rate_budget import PollPlan
from syncd.platform_errors import (
    PlatformAppInactiveError,
    PlatformError,
    PlatformRateLimitedError,
    PlatformTransientError,
    PlatformUnauthorizedError,
)
from syncd.ports import Source
from syncd.records import AccountRecord
from syncd.services.account_sync import APP_INACTIVE_PAUSE, FAULT_PAUSE, sync_due
from syncd.services.annotating import AnnotationPolicy
from syncd.services.sync_pipeline import PipelineOptions
from tests.unit.fakes import ListSource, MemoryAccounts, sync_repositories

NOW = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
NEXT_POLL = NOW + timedelta(minutes=20)


class _Clock:
    def now(self) -> datetime:
        return NOW


@dataclass
class _Platform:
    source: ListSource
    provider: str = "strava"
    session_error: PlatformError | None = None
    forgotten: list[int] = field(default_factory=list)

    def source_for(self, account: AccountRecord) -> Source:
        if self.session_error is not None:
            raise self.session_error
        return self.source

    def next_due(self, account: AccountRecord, now: datetime, plan: PollPlan | None) -> datetime:
        return NEXT_POLL

    def forget(self, account_id: int) -> None:
        self.forgotten.append(account_id)


def _pass(store: MemoryAccounts, platform: _Platform) -> list[str | None]:
    report = sync_due(
        sync_repositories(store), store, platform, AnnotationPolicy(), PipelineOptions(), clock=_Clock(), worker="w1"
    )
    return [o.error for o in report.accounts]


def test_a_good_pass_saves_the_cursor_and_schedules_the_next_poll() -> None:
    store, source = MemoryAccounts(), ListSource()
    source.add_run("1", NOW - timedelta(hours=3))
    account = store.link()
    assert _pass(store, _Platform(source)) == [None]
    after = store.accounts[account.id]
    assert after.next_due_at == NEXT_POLL and after.lease_owner is None
    assert after.sync_cursor == str(int((NOW - timedelta(hours=3)).timestamp()))


def test_refused_tokens_mark_the_account_for_a_relink_and_forget_the_session() -> None:
    store, platform = MemoryAccounts(), _Platform(ListSource(), session_error=PlatformUnauthorizedError("401; relink"))
    account = store.link()
    assert _pass(store, platform) == ["401; relink"]
    assert store.accounts[account.id].state == "needs_relink" and platform.forgotten == [account.id]
    assert _pass(store, platform) == []  # not claimed again until re-linked


def test_an_inactive_app_pauses_the_account_with_its_message() -> None:
    store = MemoryAccounts()
    account = store.link()
    _pass(store, _Platform(ListSource(), session_error=PlatformAppInactiveError("subscribe to reactivate")))
    after = store.accounts[account.id]
    assert after.state == "ok" and after.state_message == "subscribe to reactivate"
    assert after.next_due_at == NOW + APP_INACTIVE_PAUSE


@pytest.mark.parametrize(
    ("fault", "due"),
    [
        (PlatformRateLimitedError("login refused", NOW + timedelta(hours=6)), NOW + timedelta(hours=6)),
        (PlatformTransientError("502"), NOW + FAULT_PAUSE),
    ],
)
def test_other_session_faults_back_off(fault: PlatformError, due: datetime) -> None:
    store = MemoryAccounts()
    account = store.link()
    _pass(store, _Platform(ListSource(), session_error=fault))
    assert store.accounts[account.id].next_due_at == due and store.accounts[account.id].state == "ok"


def test_one_accounts_fault_never_stops_the_others() -> None:
    store, source = MemoryAccounts(), ListSource()
    source.add_run("1", NOW - timedelta(hours=3))
    source.list_error = None
    store.link(athlete_id=1)
    store.link(athlete_id=store.ensure_athlete("a2"))

    class _Flaky(_Platform):
        def source_for(self, account: AccountRecord) -> Source:
            if account.athlete_id == 1:
                raise RuntimeError("database hiccup")
            return self.source

    errors = _pass(store, _Flaky(source))
    assert errors[0] is not None and "RuntimeError" in errors[0] and errors[1] is None
    assert all(a.lease_owner is None for a in store.accounts.values())
