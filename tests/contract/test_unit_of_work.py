"""UnitOfWork: what one `with` block writes is kept only when committed, the same from the in-memory fake, SQLite
and PostgreSQL (the fake really discards, so these tests tell a kept write from a discarded one on every store)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from syncd.domain.flags import Confidence, Flag, FlagCode, Severity
from syncd.domain.pain import PainEntry, PainSource
from syncd.ports import PainDiary, UnitOfWork
from syncd.records import NewAnnotation
from tests.contract.conftest import Stores
from tests.contract.helpers import T0, pending, run

FLAG = Flag(FlagCode.DOWNHILL, Severity.CAUTION, Confidence.HIGH, {"descent_m": 151.0}, "Walk it.")


class BoomError(Exception):
    pass


def _store_annotate_enqueue(uow: UnitOfWork, athlete: int, ext: str, name: str) -> int:
    """What the sync pipeline does for one run: store its detail, save its note queued for Strava, tag the diary."""
    activity_id = uow.activities.upsert_activity(athlete, run(ext, name=name), {"name": name}).activity_id
    assert uow.annotations.save_annotation(activity_id, "v1", [FLAG], f"note {name}", write_back_to=["strava"])
    uow.outbox.enqueue_writeback(activity_id, "garmin", f"note {name}")
    assert uow.pain_diary is not None
    uow.pain_diary.record(PainEntry(athlete, T0.date(), 6, PainSource.TAG, activity_id=activity_id), now=T0)
    return activity_id


def _snapshot(store: Stores, diary: PainDiary, activity_id: int) -> tuple[object, ...]:
    stored = store.get_activity(activity_id, with_streams=False)
    return (stored.activity.name, stored.raw, store.latest_annotation(activity_id), pending(store), diary.entries())


def test_a_committed_block_is_kept(store: Stores, diary: PainDiary, uow: UnitOfWork, athlete: int) -> None:
    with uow:
        activity_id = _store_annotate_enqueue(uow, athlete, "1", "Hills")
        uow.commit()
    assert store.get_activity(activity_id).activity.name == "Hills"
    latest = store.latest_annotation(activity_id)
    assert latest is not None and latest.note == "note Hills"
    assert sorted(pending(store)) == [(activity_id, "garmin", "note Hills"), (activity_id, "strava", "note Hills")]
    assert [e.score for e in diary.entries(athlete)] == [6]


def test_an_exception_leaves_nothing_of_the_block(
    store: Stores, diary: PainDiary, uow: UnitOfWork, athlete: int
) -> None:
    activity_id = store.upsert_activity(athlete, run("1", name="Before"), {"name": "Before"}).activity_id
    before = _snapshot(store, diary, activity_id)
    with pytest.raises(BoomError), uow:
        _store_annotate_enqueue(uow, athlete, "1", "Hills")
        _store_annotate_enqueue(uow, athlete, "2", "Flat")
        raise BoomError
    assert _snapshot(store, diary, activity_id) == before
    assert store.find_activity_id("strava", "2") is None


def test_a_block_left_without_commit_is_discarded(
    store: Stores, diary: PainDiary, uow: UnitOfWork, athlete: int
) -> None:
    with uow:
        _store_annotate_enqueue(uow, athlete, "1", "Hills")
    assert store.find_activity_id("strava", "1") is None
    assert pending(store) == [] and diary.entries() == []


def test_rollback_discards_since_the_last_commit_and_the_block_goes_on(
    store: Stores, diary: PainDiary, uow: UnitOfWork, athlete: int
) -> None:
    with uow:
        first = _store_annotate_enqueue(uow, athlete, "1", "Hills")
        uow.commit()
        uow.activities.upsert_activity(athlete, replace(run("1"), name="Renamed"), {})
        uow.annotations.save_annotation(first, "v2", [], "other")
        uow.rollback()
        assert uow.activities.get_activity(first).activity.name == "Hills"  # the block reads its own state
        second = uow.activities.upsert_activity(athlete, run("3", name="Later"), {}).activity_id
        uow.commit()
    assert store.get_activity(first).activity.name == "Hills"
    latest = store.latest_annotation(first)
    assert latest is not None and latest.rules_version == "v1"
    assert store.get_activity(second).activity.name == "Later"
    assert len(diary.entries()) == 1


def test_each_block_is_its_own_transaction(store: Stores, uow: UnitOfWork, athlete: int) -> None:
    with uow:
        kept = uow.activities.upsert_activity(athlete, run("1"), {}).activity_id
        uow.commit()
    with pytest.raises(BoomError), uow:
        uow.activities.mark_deleted("strava", "1")
        raise BoomError
    assert [s.id for s in store.iter_activities(athlete_id=athlete)] == [kept]


def test_batch_saves_and_stale_marks_are_kept_only_when_committed(store: Stores, uow: UnitOfWork, athlete: int) -> None:
    fresh = store.upsert_activity(athlete, run("1"), {}, needs_annotation=True).activity_id
    later = store.upsert_activity(athlete, run("2", T0 + timedelta(days=1)), {}).activity_id
    store.save_annotation(later, "v1", [FLAG], "note")
    chunk = [NewAnnotation(fresh, "v1", [FLAG], "fresh", ("strava",))]
    with uow:
        assert uow.annotation_batches.save(chunk, now=T0) == [True]
        assert uow.annotation_batches.mark_stale_between(athlete, T0, T0 + timedelta(days=1)) == 1
        assert uow.annotation_batches.marked_stale_ids(athlete) == [later]  # the block reads its own writes
        assert uow.annotation_batches.stale_ids(athlete, "v1") == [later]
    assert store.latest_annotation(fresh) is None and pending(store) == []  # left without a commit: all gone
    assert store.get_activity(fresh).needs_annotation
    assert store.annotation_batches.marked_stale_ids(athlete) == []
    with uow:
        uow.annotation_batches.save(chunk, now=T0)
        uow.annotation_batches.mark_stale_between(athlete, T0, T0 + timedelta(days=1))
        uow.commit()
    latest = store.latest_annotation(fresh)
    assert latest is not None and latest.note == "fresh" and not store.get_activity(fresh).needs_annotation
    assert pending(store) == [(fresh, "strava", "fresh")]
    assert store.annotation_batches.marked_stale_ids(athlete) == [later]


def test_repositories_belong_inside_the_block(uow: UnitOfWork) -> None:
    with pytest.raises(RuntimeError):
        uow.activities.find_activity_id("strava", "1")
    with pytest.raises(RuntimeError):
        uow.commit()
