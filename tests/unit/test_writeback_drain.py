"""The write-back outbox drain on in-memory fakes: each platform fault kind has its one outcome (issue 14's error
seam), whichever platform's adapter raised it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from syncd.adapters.garmin.errors import GarminGoneError, GarminRateLimitedError, GarminUnauthorizedError
from syncd.adapters.strava.errors import GoneError, RateLimitedError, TransientError, UnauthorizedError
from syncd.domain.description import START_MARKER
from syncd.services.write_back_policy import WriteBackMode
from syncd.services.writeback import WritebackReport, drain_outbox
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
    report = drain_outbox(outbox.repos, {"strava": platform}, worker="w1", now=lambda: NOW)
    assert report.written == 2 and platform.writes == 2
    assert platform.texts["1"].startswith("Felt good") and START_MARKER in platform.texts["1"]
    assert all(outbox.status[i] == "done" for i in items)


@pytest.mark.parametrize("fault", [RateLimitedError("429", RESUME), GarminRateLimitedError("429", RESUME)])
def test_a_rate_limit_stops_the_platform_until_the_window_resets(fault: Exception) -> None:
    outbox, items = _outbox()
    report = drain_outbox(outbox.repos, {"strava": MemoryPlatform(faults=[fault])}, worker="w1", now=lambda: NOW)
    assert "strava" in report.stopped and report.failed == 1
    assert outbox.retry_at[items[0]] == RESUME and outbox.retry_at[items[1]] == NOW + timedelta(minutes=15)


@pytest.mark.parametrize("fault", [GoneError("404"), GarminGoneError("404")])
def test_a_gone_activity_is_given_up(fault: Exception) -> None:
    outbox, items = _outbox(1)
    drain_outbox(outbox.repos, {"strava": MemoryPlatform(faults=[fault])}, worker="w1", now=lambda: NOW)
    assert outbox.status[items[0]] == "failed" and outbox.retry_at[items[0]] is None


@pytest.mark.parametrize("fault", [UnauthorizedError("401"), GarminUnauthorizedError("401")])
def test_refused_tokens_mark_the_account_and_retry_in_an_hour(fault: Exception) -> None:
    outbox, items = _outbox(1)
    refused: list[tuple[int, str]] = []
    drain_outbox(
        outbox.repos,
        {"strava": MemoryPlatform(faults=[fault])},
        worker="w1",
        now=lambda: NOW,
        on_unauthorized=lambda athlete, provider, _message: refused.append((athlete, provider)),
    )
    assert refused == [(1, "strava")] and outbox.retry_at[items[0]] == NOW + timedelta(hours=1)


def test_anything_else_is_retried_with_backoff_and_the_others_go_on() -> None:
    outbox, items = _outbox()
    platform = MemoryPlatform(faults=[TransientError("502")])
    report = drain_outbox(outbox.repos, {"strava": platform}, worker="w1", now=lambda: NOW)
    assert report.failed == 1 and report.written == 1
    assert outbox.retry_at[items[0]] == NOW + timedelta(minutes=1) and outbox.status[items[1]] == "done"


def test_private_mode_skips_public_activities_and_off_writes_nothing() -> None:
    outbox, _items = _outbox()
    platform = MemoryPlatform(private=False)
    report = drain_outbox(outbox.repos, {"strava": platform}, worker="w1", now=lambda: NOW, modes={"strava": "private"})
    assert [o.status for o in report.outcomes] == ["skipped_public", "skipped_public"] and platform.writes == 0


def test_write_back_off_holds_the_note_with_its_reason_and_turning_it_on_writes_it_once() -> None:
    """Decided once, at drain: a note queued while the write-back is on and drained after it was turned off is
    held (nothing written, nothing read); turned back on, the next drain writes it, once, with no re-enqueue."""
    outbox, items = _outbox(runs=1)
    platform = MemoryPlatform()

    def drain(mode: WriteBackMode) -> WritebackReport:
        return drain_outbox(outbox.repos, {"strava": platform}, worker="w1", now=lambda: NOW, modes={"strava": mode})

    held = drain("off")
    assert [o.status for o in held.outcomes] == ["off"] and held.held == 1 and platform.writes == 0
    assert outbox.status[items[0]] == "held" and outbox.results[items[0]]["reason"] == "config_off"
    assert drain("off").outcomes == []  # still off: not claimed again, no platform call

    assert [o.status for o in drain("all").outcomes] == ["inserted"] and platform.writes == 1
    assert outbox.status[items[0]] == "done" and drain("all").outcomes == [] and platform.writes == 1


def test_the_athletes_own_off_holds_over_a_configured_all() -> None:
    outbox, items = _outbox(runs=1)
    athletes = outbox.activities.athletes
    athletes[1] = replace(athletes[1], write_back="off")
    platform = MemoryPlatform()
    report = drain_outbox(outbox.repos, {"strava": platform}, worker="w1", now=lambda: NOW, modes={"strava": "all"})
    assert [o.status for o in report.outcomes] == ["off"] and platform.writes == 0
    assert outbox.results[items[0]] == {"written": False, "status": "off", "reason": "athlete_off"}
    athletes[1] = replace(athletes[1], write_back=None)
    report = drain_outbox(outbox.repos, {"strava": platform}, worker="w1", now=lambda: NOW, modes={"strava": "all"})
    assert [o.status for o in report.outcomes] == ["inserted"] and platform.writes == 1


def test_a_newer_note_takes_the_held_items_place() -> None:
    outbox, items = _outbox(runs=1)
    platform = MemoryPlatform()
    drain_outbox(outbox.repos, {"strava": platform}, worker="w1", now=lambda: NOW, modes={"strava": "off"})
    activity_id = outbox.items[items[0]].activity_id
    assert outbox.add(activity_id, "strava", "⚠ Speed: a newer note") == items[0]  # the same row, queued again
    assert outbox.status[items[0]] == "pending" and outbox.items[items[0]].note == "⚠ Speed: a newer note"
    dry = drain_outbox(
        outbox.repos, {"strava": platform}, worker="w1", now=lambda: NOW, modes={"strava": "all"}, dry_run=True
    )
    assert [o.status for o in dry.outcomes] == ["dry_run"] and platform.writes == 0
