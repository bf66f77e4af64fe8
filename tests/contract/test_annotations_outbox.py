"""AnnotationRepository and OutboxRepository: the same answers from the in-memory fake, SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from syncd.adapters.db import NotFoundError
from syncd.domain.flags import Confidence, Flag, FlagCode, Severity
from tests.contract.conftest import Stores
from tests.contract.helpers import drain, pending, run

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
