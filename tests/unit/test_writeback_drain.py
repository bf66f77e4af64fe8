"""The write-back outbox drain on in-memory fakes: each platform fault kind has its one outcome (issue 14's error
seam), whichever platform's adapter raised it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from syncd.adapters.garmin.errors import GarminGoneError, GarminRateLimitedError, GarminUnauthorizedError
from syncd.adapters.strava.errors import GoneError, RateLimitedError, TransientError, UnauthorizedError
from syncd.domain.description import START_MARKER
from syncd.services.writeback import drain_outbox
from tests.unit.fakes import FixedClock, ListSource, MemoryOutbox, MemoryPlatform, MemoryStore

NOW = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
RESUME = NOW.replace(minute=15)


def _outbox(runs: int = 2) -> tuple[MemoryOutbox, list[int]]:
    store, source = MemoryStore(clock=FixedClock(NOW)), ListSource()  # queued now: due at NOW
    ids = []
    for n in range(runs):
        activity = source.add_run(str(n + 1), NOW - timedelta(hours=n + 1))
        ids.append(store.upsert_activity(1, activity, {}).activity_id)
    outbox = MemoryOutbox(store)
    return outbox, [outbox.add(i, "strava", "⚠ Downhill: a note") for i in ids]


def test_notes_are_merged_into_the_description_once() -> None:
    outbox, items = _outbox()
    platform = MemoryPlatform(texts={"1": "Felt good"})
    report = drain_outbox(outbox, {"strava": platform}, worker="w1", now=lambda: NOW)
    assert report.written == 2 and platform.writes == 2
    assert platform.texts["1"].startswith("Felt good") and START_MARKER in platform.texts["1"]
    assert all(outbox.status[i] == "done" for i in items)


@pytest.mark.parametrize("fault", [RateLimitedError("429", RESUME), GarminRateLimitedError("429", RESUME)])
def test_a_rate_limit_stops_the_platform_until_the_window_resets(fault: Exception) -> None:
    outbox, items = _outbox()
    report = drain_outbox(outbox, {"strava": MemoryPlatform(faults=[fault])}, worker="w1", now=lambda: NOW)
    assert "strava" in report.stopped and report.failed == 1
    assert outbox.retry_at[items[0]] == RESUME and outbox.retry_at[items[1]] == NOW + timedelta(minutes=15)


@pytest.mark.parametrize("fault", [GoneError("404"), GarminGoneError("404")])
def test_a_gone_activity_is_given_up(fault: Exception) -> None:
    outbox, items = _outbox(1)
    drain_outbox(outbox, {"strava": MemoryPlatform(faults=[fault])}, worker="w1", now=lambda: NOW)
    assert outbox.status[items[0]] == "failed" and outbox.retry_at[items[0]] is None


@pytest.mark.parametrize("fault", [UnauthorizedError("401"), GarminUnauthorizedError("401")])
def test_refused_tokens_mark_the_account_and_retry_in_an_hour(fault: Exception) -> None:
    outbox, items = _outbox(1)
    refused: list[tuple[int, str]] = []
    drain_outbox(
        outbox,
        {"strava": MemoryPlatform(faults=[fault])},
        worker="w1",
        now=lambda: NOW,
        on_unauthorized=lambda athlete, provider, _message: refused.append((athlete, provider)),
    )
    assert refused == [(1, "strava")] and outbox.retry_at[items[0]] == NOW + timedelta(hours=1)


def test_anything_else_is_retried_with_backoff_and_the_others_go_on() -> None:
    outbox, items = _outbox()
    platform = MemoryPlatform(faults=[TransientError("502")])
    report = drain_outbox(outbox, {"strava": platform}, worker="w1", now=lambda: NOW)
    assert report.failed == 1 and report.written == 1
    assert outbox.retry_at[items[0]] == NOW + timedelta(minutes=1) and outbox.status[items[1]] == "done"


def test_private_mode_skips_public_activities_and_off_writes_nothing() -> None:
    outbox, _items = _outbox()
    platform = MemoryPlatform(private=False)
    report = drain_outbox(outbox, {"strava": platform}, worker="w1", now=lambda: NOW, modes={"strava": "private"})
    assert [o.status for o in report.outcomes] == ["skipped_public", "skipped_public"] and platform.writes == 0
