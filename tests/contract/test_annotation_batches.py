"""AnnotationBatchRepository (`store.annotation_batches`): stale marks, the history rows of a range, a chunk's
save and the batch reads give the same answers from the in-memory fake, SQLite and PostgreSQL, also on the one a
unit of work hands out. What a block left without a commit does to them is in test_unit_of_work.py."""

from __future__ import annotations

from datetime import timedelta

import pytest

from syncd.adapters.db import NotFoundError
from syncd.adapters.db.annotation_queries import STALE
from syncd.domain.flags import Confidence, Flag, FlagCode, Severity
from syncd.domain.model import Source, Sport
from syncd.records import NewAnnotation
from tests.contract.conftest import Stores
from tests.contract.helpers import T0, drain, pending, run
from tests.unit.fakes import run_streams

THROUGH_UNIT_OF_WORK = True  # each test also on the repositories the store's unit of work hands out

DAY = timedelta(days=1)
FLAG = Flag(FlagCode.DOWNHILL, Severity.CAUTION, Confidence.HIGH, {"descent_m": 151.0}, "Walk it.")


def _stored(store: Stores, athlete: int, ext: str, start: object = T0, **changes: object) -> int:
    return store.upsert_activity(athlete, run(ext, start, **changes), {}).activity_id  # type: ignore[arg-type]


def _annotated(store: Stores, athlete: int, ext: str, start: object) -> int:
    activity_id = _stored(store, athlete, ext, start)
    assert store.save_annotation(activity_id, "v1", [FLAG], f"note {ext}")
    return activity_id


def test_stale_marks_between_two_instants(store: Stores, athlete: int) -> None:
    other = store.ensure_athlete("other")
    _annotated(store, athlete, "at-after", T0)  # (after, until]: a run starting at `after` is not marked
    inside = _annotated(store, athlete, "inside", T0 + DAY)
    edge = _annotated(store, athlete, "edge", T0 + 2 * DAY)
    _annotated(store, athlete, "later", T0 + 3 * DAY)
    never = _stored(store, athlete, "never", T0 + DAY)  # never annotated: nothing to mark, stale all the same
    _annotated(store, athlete, "gone", T0 + DAY)
    store.mark_deleted("strava", "gone")
    _annotated(store, other, "theirs", T0 + DAY)
    batches = store.annotation_batches

    assert batches.mark_stale_between(athlete, T0, T0 + 2 * DAY) == 2
    assert batches.marked_stale_ids(athlete) == [inside, edge]
    assert batches.marked_stale_ids(other) == []
    assert batches.mark_stale_between(athlete, T0, T0 + 2 * DAY) == 2  # marked again: counted, still one mark
    latest = store.latest_annotation(inside)
    assert latest is not None and (latest.rules_version, latest.note) == (STALE, "note inside")  # the note stays
    assert batches.stale_ids(athlete, "v1") == [inside, never, edge]  # (start, id) order
    assert batches.stale_ids(athlete, "v1", T0 + DAY, before=T0 + 2 * DAY) == [inside, never]

    assert store.save_annotation(inside, "v1", [FLAG], "note inside")  # redone: the same note is a new row
    assert batches.marked_stale_ids(athlete) == [edge]
    assert batches.stale_ids(athlete, "v1") == [never, edge]


def test_history_rows_and_counts_of_a_range(store: Stores, athlete: int) -> None:
    other = store.ensure_athlete("other")
    late = _stored(store, athlete, "late", T0 + 2 * DAY)
    early = _stored(store, athlete, "early", T0)
    same = _stored(store, athlete, "same", T0)
    _stored(store, athlete, "end", T0 + 3 * DAY)  # [start, end): the end is left out
    _stored(store, athlete, "gone", T0 + DAY)
    store.mark_deleted("strava", "gone")
    _stored(store, other, "theirs", T0 + DAY)
    store.set_logical_group([early, same], "twins")
    batches = store.annotation_batches

    rows = batches.history_rows(athlete, T0, T0 + 3 * DAY)
    assert [(r.activity_id, r.logical_group) for r in rows] == [(early, "twins"), (same, "twins"), (late, None)]
    assert rows[-1].entry.key == run("late").key
    assert batches.history_rows(athlete, T0 + DAY, T0 + 2 * DAY) == []
    assert (batches.count_activities(athlete), batches.count_activities(athlete, T0 + DAY)) == (4, 2)
    assert batches.count_activities(other) == 1


def test_load_gives_the_activities_with_their_streams_packed(store: Stores, athlete: int) -> None:
    with_streams = _stored(store, athlete, "1")
    summary = _stored(store, athlete, "2", T0 + DAY, streams=None)
    gone = _stored(store, athlete, "3", T0 + 2 * DAY)
    store.mark_deleted("strava", "3")

    loaded = store.annotation_batches.load([with_streams, summary, gone, 999])

    assert sorted(loaded) == sorted([with_streams, summary, gone])  # an unknown id is left out, a deleted one not
    first = loaded[with_streams]
    assert (first.id, first.athlete_id, first.activity.external_id, first.activity.streams) == (
        with_streams,
        athlete,
        "1",
        None,
    )
    assert first.packed is not None and len(first.packed.unpack()) == len(run_streams(5))
    assert loaded[summary].packed is None
    assert store.annotation_batches.load([]) == {}


def test_a_chunk_is_saved_each_changed_annotation_with_its_note_queued(store: Stores, athlete: int) -> None:
    a = _stored(store, athlete, "1")
    b = _stored(store, athlete, "2", T0 + DAY)
    store.save_annotation(b, "v1", [], "same")
    store.upsert_activity(athlete, run("2", T0 + DAY, name="Renamed"), {}, needs_annotation=True)
    items = [
        NewAnnotation(a, "v1", [FLAG], "mine", ("strava",), "theirs"),
        NewAnnotation(b, "v1", [], "same", ("strava",)),
        NewAnnotation(a, "v1", [FLAG], "mine", ("strava",), "theirs"),  # equal to the chunk's own earlier one
    ]

    assert store.annotation_batches.save(items, now=T0 + 5 * DAY) == [True, False, False]

    latest = store.latest_annotation(a)
    assert latest is not None
    assert (latest.rules_version, latest.flags, latest.note, latest.written_note) == ("v1", (FLAG,), "mine", "theirs")
    assert pending(store) == [(a, "strava", "theirs")]  # b's unchanged note is not queued
    assert not store.get_activity(b).needs_annotation  # the mark goes even where nothing was appended
    assert store.annotation_batches.save([], now=T0) == []


def test_a_chunk_queues_the_removal_of_a_note_that_goes(store: Stores, athlete: int) -> None:
    """As the single save (test_annotations_outbox.py): no note where there was one queues "" for the platform."""
    a = _annotated(store, athlete, "1", T0)
    b = _stored(store, athlete, "2", T0 + DAY)
    items = [NewAnnotation(a, "v2", [], None, ("strava",)), NewAnnotation(b, "v2", [], None, ("strava",))]

    assert store.annotation_batches.save(items, now=T0 + 5 * DAY) == [True, True]

    assert pending(store) == [(a, "strava", "")]


def test_a_chunk_naming_an_unknown_activity_writes_nothing(store: Stores, athlete: int) -> None:
    a = store.upsert_activity(athlete, run("1"), {}, needs_annotation=True).activity_id
    items = [NewAnnotation(a, "v1", [FLAG], "note", ("strava",)), NewAnnotation(999, "v1", [], "lost")]

    with pytest.raises(NotFoundError):
        store.annotation_batches.save(items, now=T0)

    assert store.latest_annotation(a) is None and pending(store) == []
    assert store.get_activity(a).needs_annotation


def test_unqueued_notes_are_the_notes_no_outbox_item_ever_carried(store: Stores, athlete: int) -> None:
    a = _stored(store, athlete, "1")
    store.save_annotation(a, "v1", [], "mine", platform_note="theirs")
    queued = _stored(store, athlete, "2", T0 + DAY)
    store.save_annotation(queued, "v1", [], "queued", write_back_to=["strava"])
    silent = _stored(store, athlete, "3", T0 + 2 * DAY)
    store.save_annotation(silent, "v1", [], None)
    written = _stored(store, athlete, "4", T0 + 3 * DAY)
    store.save_annotation(written, "v1", [], "plain")
    early = _stored(store, athlete, "0", T0 - DAY)
    store.save_annotation(early, "v1", [], "too early")
    batches = store.annotation_batches

    assert batches.unqueued_notes(athlete, T0) == [(a, "theirs"), (written, "plain")]
    store.enqueue_writeback(written, "garmin", "plain")
    drain(store, {"written": True})  # an item done, not only a pending one, counts as carried
    assert batches.unqueued_notes(athlete, T0) == [(a, "theirs")]
    assert batches.unqueued_notes(athlete, T0 - DAY) == [(early, "too early"), (a, "theirs")]


def test_runs_awaiting_their_streams_newest_first(store: Stores, athlete: int) -> None:
    before = T0 + 10 * DAY
    older = _stored(store, athlete, "1", T0, streams=None)
    newer = _stored(store, athlete, "2", T0 + DAY, streams=None)
    _stored(store, athlete, "3", T0 + 2 * DAY)  # its streams are here
    _stored(store, athlete, "4", T0 + 3 * DAY, streams=None, extra={"strava_detail": True})  # detail: none there
    _stored(store, athlete, "5", T0 + 4 * DAY, streams=None, extra={"manual": True})  # entered by hand
    _stored(store, athlete, "6", T0 + 5 * DAY, streams=None, sport=Sport.RIDE)  # not a run
    _stored(store, athlete, "7", before, streams=None)  # not before `before`
    garmin = _stored(store, athlete, "g", T0 + DAY, streams=None, source=Source.GARMIN)
    batches = store.annotation_batches

    assert batches.awaiting_streams_ids(athlete, "strava", before=before) == [newer, older]
    assert batches.awaiting_streams_ids(athlete, "garmin", before=before) == [garmin]
    assert batches.awaiting_streams_ids(athlete, "file", before=before) == []
