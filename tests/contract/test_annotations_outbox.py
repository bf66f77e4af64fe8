"""AnnotationRepository and OutboxRepository: the same answers from the in-memory fake, SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from syncd.adapters.db import NotFoundError
from syncd.domain.flags import Confidence, Flag, FlagCode, Severity
from tests.contract.conftest import Stores
from tests.contract.helpers import T0, drain, outbox_of, pending, run
from tests.integration.conftest import FakeClock

THROUGH_UNIT_OF_WORK = True  # each test also on the repositories the store's unit of work hands out


FLAG = Flag(FlagCode.DOWNHILL, Severity.CAUTION, Confidence.HIGH, {"descent_m": 151.0}, "Walk it.")


def test_an_equal_annotation_is_not_appended(store: Stores, athlete: int) -> None:
    activity_id = store.upsert_activity(athlete, run("1"), {}).activity_id
    assert store.latest_annotation(activity_id) is None
    assert store.save_annotation(activity_id, "v1", [FLAG], "Walk it.")
    first = store.latest_annotation(activity_id)
    assert first is not None and (first.rules_version, first.flags, first.note) == ("v1", (FLAG,), "Walk it.")
    assert not store.save_annotation(activity_id, "v1", [FLAG], "Walk it.")
    assert store.latest_annotation(activity_id) == first


def test_the_latest_annotation_is_the_newest(store: Stores, athlete: int) -> None:
    activity_id = store.upsert_activity(athlete, run("1"), {}).activity_id
    store.save_annotation(activity_id, "v1", [FLAG], "Walk it.")
    assert store.save_annotation(activity_id, "v2", [], None)
    assert store.save_annotation(activity_id, "v2", [], "Fine.", platform_note="Fine (platform).")
    latest = store.latest_annotation(activity_id)
    assert latest is not None and (latest.rules_version, latest.flags, latest.note) == ("v2", (), "Fine.")
    assert latest.written_note == "Fine (platform)."
    assert not store.save_annotation(activity_id, "v2", [], "Fine.", platform_note="Fine (platform).")
    assert store.save_annotation(activity_id, "v2", [], "Fine.")  # the platform wording is part of the result


def test_saving_clears_the_mark_even_when_nothing_is_appended(store: Stores, athlete: int) -> None:
    activity_id = store.upsert_activity(athlete, run("1"), {}).activity_id
    store.save_annotation(activity_id, "v1", [], "note")
    store.upsert_activity(athlete, run("1", name="Renamed"), {}, needs_annotation=True)
    assert store.get_activity(activity_id).needs_annotation
    assert not store.save_annotation(activity_id, "v1", [], "note")
    assert not store.get_activity(activity_id).needs_annotation


def test_an_annotation_of_an_unknown_activity_is_refused(store: Stores, athlete: int) -> None:
    with pytest.raises(NotFoundError):
        store.save_annotation(999, "v1", [], "note")


def test_a_changed_note_is_queued_with_the_platform_wording(store: Stores, athlete: int) -> None:
    a = store.upsert_activity(athlete, run("1"), {}).activity_id
    b = store.upsert_activity(athlete, run("2"), {}).activity_id
    store.save_annotation(a, "v1", [], "mine", write_back_to=["strava"], platform_note="theirs")
    store.save_annotation(b, "v1", [], None, write_back_to=["strava"])  # no note: nothing to write
    assert pending(store) == [(a, "strava", "theirs")]
    assert not store.save_annotation(a, "v1", [], "mine", write_back_to=["strava"], platform_note="theirs")
    assert pending(store) == [(a, "strava", "theirs")]


def test_a_note_that_goes_queues_the_removal_of_the_platforms_block(store: Stores, athlete: int) -> None:
    """A run turned into a ride: its new annotation has no note, so "" is queued (the write-back removes syncd's
    block); an activity that never had a note queues nothing."""
    a = store.upsert_activity(athlete, run("1"), {}).activity_id
    b = store.upsert_activity(athlete, run("2"), {}).activity_id
    store.save_annotation(a, "v1", [FLAG], "mine", write_back_to=["strava"], platform_note="theirs")
    drain(store, {"written": True})
    assert store.save_annotation(a, "v1", [], None, write_back_to=["strava"])
    store.save_annotation(b, "v1", [], None, write_back_to=["strava"])
    assert pending(store) == [(a, "strava", "")]


def test_a_pending_item_takes_the_newer_note_and_keeps_its_id(store: Stores, athlete: int) -> None:
    a = store.upsert_activity(athlete, run("1"), {}).activity_id
    b = store.upsert_activity(athlete, run("2"), {}).activity_id
    first = store.enqueue_writeback(a, "strava", "one")
    other = store.enqueue_writeback(b, "strava", "b")
    assert store.enqueue_writeback(a, "strava", "two") == first != other
    garmin = store.enqueue_writeback(a, "garmin", "two")
    assert garmin not in (first, other)
    assert pending(store) == [(a, "strava", "two"), (b, "strava", "b"), (a, "garmin", "two")]


def test_a_note_already_on_the_platform_is_not_queued_again(store: Stores, athlete: int) -> None:
    a = store.upsert_activity(athlete, run("1"), {}).activity_id
    b = store.upsert_activity(athlete, run("2"), {}).activity_id
    written = store.enqueue_writeback(a, "strava", "note")
    skipped = store.enqueue_writeback(b, "strava", "note")
    drain(store, {"written": True})
    assert store.enqueue_writeback(a, "strava", "note") == written and pending(store) == []
    assert store.enqueue_writeback(a, "strava", "changed") != written
    assert pending(store) == [(a, "strava", "changed")]
    drain(store, {"written": False, "status": "skipped_public"})  # may pass: the same note is tried again
    assert store.enqueue_writeback(a, "strava", "changed") not in (written, skipped)
    assert pending(store) == [(a, "strava", "changed")]


def test_claims_take_due_items_and_expired_leases_only(store: Stores, athlete: int, clock: FakeClock) -> None:
    log = outbox_of(store)
    now = clock.now()
    old = store.upsert_activity(athlete, run("1", T0), {}).activity_id
    new = store.upsert_activity(athlete, run("2", T0 + timedelta(days=1)), {}).activity_id
    first, second = store.enqueue_writeback(old, "strava", "a"), store.enqueue_writeback(new, "strava", "b")
    assert log.claim_writebacks("w", now=now - timedelta(seconds=1), lease_s=60, limit=5) == []  # not due yet
    claimed = log.claim_writebacks("w", now=now, lease_s=60, limit=1)
    assert [(i.id, i.attempts, i.lease_owner) for i in claimed] == [(second, 1, "w")]  # the newest run first
    assert [i.id for i in log.claim_writebacks("x", now=now, lease_s=60, limit=5)] == [first]
    assert log.claim_writebacks("y", now=now + timedelta(seconds=60), lease_s=60, limit=5) == []  # leases held
    taken = log.claim_writebacks("y", now=now + timedelta(seconds=61), lease_s=60, limit=5)
    assert [(i.id, i.attempts) for i in taken] == [(first, 2), (second, 2)]
    assert not log.complete_writeback(second, "w") and not log.fail_writeback(first, "x", "boom", None)
    assert log.complete_writeback(second, "y") and log.fail_writeback(first, "y", "boom", now + timedelta(hours=1))
    assert log.claim_writebacks("y", now=now + timedelta(minutes=59), lease_s=60, limit=5) == []
    assert [i.id for i in log.claim_writebacks("y", now=now + timedelta(hours=1), lease_s=60, limit=5)] == [first]


def test_a_failed_item_superseded_by_a_newer_note_is_given_up(store: Stores, athlete: int, clock: FakeClock) -> None:
    log = outbox_of(store)
    a = store.upsert_activity(athlete, run("1"), {}).activity_id
    first = store.enqueue_writeback(a, "strava", "old")
    log.claim_writebacks("w", now=clock.now(), lease_s=60, limit=5)
    newer = store.enqueue_writeback(a, "strava", "new")  # the claimed item is not pending: a new one
    assert newer != first
    assert log.fail_writeback(first, "w", "boom", clock.now() + timedelta(minutes=1))
    assert pending(store) == [(a, "strava", "new")]
    assert [i.id for i in log.claim_writebacks("w", now=clock.now() + timedelta(hours=1), lease_s=60, limit=5)] == [
        newer
    ]
