"""The batch paths (reannotate, the daily rescan, import, the notes a change marked) save through the unit of work:
a fault between one activity's note and its enqueue leaves nothing of that activity, and the others are saved.

The fault is the outbox refusing one activity's note, raised by the database Store's own enqueue after the note's
row was inserted in the same transaction: exactly "between note and enqueue". An import goes further: a file is
stored, linked and annotated in one unit of work, so a fault in its note leaves nothing of the file.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import Connection, Engine

from syncd.adapters.db import Store, annotation_writes
from syncd.adapters.db.models import ACTIVITIES
from syncd.adapters.files import load_activities
from syncd.entrypoints.wiring import batch_repositories, import_repositories
from syncd.records import NewAnnotation
from syncd.services.annotating import AnnotationPolicy, ReannotateReport, daily_rescan, reannotate
from syncd.services.importing import import_paths
from tests.contract.helpers import pending, run
from tests.rule_faults import crash_rules_on

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
STRAVA = lambda _activity: ("strava",)  # noqa: E731  (every run's note is meant for Strava)


class OutboxDownError(RuntimeError):
    pass


def _seed(store: Store) -> list[int]:
    athlete = store.ensure_athlete("strava:7", name="Ada")
    return [
        store.upsert_activity(athlete, run(f"r{day}", NOW - timedelta(days=day, hours=3)), {}).activity_id
        for day in (9, 6, 3, 1)
    ]


def _refuse_enqueue_of(monkeypatch: pytest.MonkeyPatch, activity_id: int) -> None:
    real = Store._enqueue

    def enqueue(self: Store, conn: Connection, item_activity: int, provider: str, note: str) -> int | None:
        if item_activity == activity_id:  # the note's row is in already: the fault comes between it and the queue
            raise OutboxDownError("the outbox refused the note")
        return real(self, conn, item_activity, provider, note)

    monkeypatch.setattr(Store, "_enqueue", enqueue)


def _reannotate(store: Store) -> ReannotateReport:
    return reannotate(batch_repositories(store), AnnotationPolicy(), now=NOW, write_back_providers=STRAVA)


def _rescan(store: Store) -> ReannotateReport:
    return daily_rescan(batch_repositories(store), AnnotationPolicy(), now=NOW, write_back_providers=STRAVA).reannotated


@pytest.mark.parametrize("batch_pass", [_reannotate, _rescan], ids=["reannotate", "daily_rescan"])
def test_a_fault_between_one_notes_and_its_enqueue_leaves_nothing_of_it_and_the_others_are_saved(
    store: Store, monkeypatch: pytest.MonkeyPatch, batch_pass: Callable[[Store], ReannotateReport]
) -> None:
    ids = _seed(store)
    faulty = ids[1]
    _refuse_enqueue_of(monkeypatch, faulty)

    report = batch_pass(store)

    assert [activity_id for activity_id, _ in report.failed] == [faulty]
    assert "OutboxDownError" in report.failed[0][1]
    assert store.latest_annotation(faulty) is None  # its note went with the refused enqueue
    assert faulty not in {item[0] for item in pending(store)}
    others = [i for i in ids if i != faulty]
    for activity_id in others:  # the batch's other activities: annotated and queued
        latest = store.latest_annotation(activity_id)
        assert latest is not None and latest.note
    assert sorted(item[0] for item in pending(store)) == others

    monkeypatch.undo()  # the outbox is back: the next pass finishes the one left, and only it
    again = batch_pass(store)
    assert (again.rerun, again.changed, again.failed) == (1, 1, [])
    assert store.latest_annotation(faulty) is not None
    assert sorted(item[0] for item in pending(store)) == sorted(ids)


def test_one_faulty_activity_of_a_marked_batch_keeps_its_old_note_whole(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A note redone after a change (a new max heart rate, here): the faulty activity keeps its old note and queues
    nothing new; the others get their new note and queue it."""
    ids = _seed(store)
    _reannotate(store)
    before = {i: store.latest_annotation(i) for i in ids}
    queued_before = pending(store)
    faulty = ids[2]
    _refuse_enqueue_of(monkeypatch, faulty)

    changed = reannotate(
        batch_repositories(store), AnnotationPolicy(max_heart_rate=150.0), now=NOW, write_back_providers=STRAVA
    )

    assert [activity_id for activity_id, _ in changed.failed] == [faulty]
    assert store.latest_annotation(faulty) == before[faulty]
    assert [item for item in pending(store) if item[0] == faulty] == [i for i in queued_before if i[0] == faulty]
    for activity_id in (i for i in ids if i != faulty):
        latest = store.latest_annotation(activity_id)
        assert latest is not None and latest != before[activity_id]


REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real"


def test_an_import_whose_one_note_fails_midway_leaves_nothing_of_that_file_and_keeps_the_others(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Files are never queued for a platform: the fault comes after one file's note row is written, in the same
    write. That file's unit of work is rolled back whole: no activity without a note is left (nothing of the
    file), the other files are stored with their notes, and importing again once the fault is gone brings it in."""
    for name in ("run.fit", "c2eb1b_6.tcx", "korita-zbevnica.gpx"):
        shutil.copy(REAL / name, tmp_path / name)
    [faulty] = [parsed.activity.key for parsed in load_activities(tmp_path / "c2eb1b_6.tcx")]
    athlete = store.ensure_athlete("local", name="Local athlete")
    real = annotation_writes.save_annotations

    def save(engine: Engine, items: Sequence[NewAnnotation], **kwargs: Any) -> list[bool]:
        written = real(engine, items, **kwargs)
        ids = [item.activity_id for item in items]
        with engine.connect() as conn:  # the block's own connection: it sees the rows stored in it
            keys = conn.execute(
                sa.select(ACTIVITIES.c.source, ACTIVITIES.c.external_id).where(ACTIVITIES.c.id.in_(ids))
            )
            if faulty in {tuple(key) for key in keys}:
                raise OutboxDownError("the write failed after the note")
        return written

    monkeypatch.setattr(annotation_writes, "save_annotations", save)
    report = import_paths(import_repositories(store), athlete, [tmp_path], AnnotationPolicy(), now=NOW, workers=1)

    assert report.created == 2
    [failed] = report.failed
    assert failed.startswith(str(tmp_path / "c2eb1b_6.tcx")) and "OutboxDownError" in failed
    assert store.find_activity_id(*faulty) is None
    stored = [s.id for s in store.iter_activities()]
    assert sorted(o.activity_id for o in report.annotated) == sorted(stored)
    assert all(store.latest_annotation(i) is not None for i in stored)

    monkeypatch.undo()
    again = import_paths(import_repositories(store), athlete, [tmp_path], AnnotationPolicy(), now=NOW, workers=1)
    assert (again.created, again.unchanged, again.failed) == (1, 2, [])
    activity_id = store.find_activity_id(*faulty)
    assert activity_id is not None and store.latest_annotation(activity_id) is not None


TAGGED = "Hills #back 6"


def test_a_tag_of_a_run_whose_annotation_fails_is_not_in_the_diary(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The batch paths write a run's #back tag in the unit of work that saves its note: a run whose rules crash
    leaves no note and no tag; the next pass, the fault gone, writes both."""
    athlete = store.ensure_athlete("strava:7", name="Ada")
    days = ((9, "Easy"), (6, TAGGED), (3, "Long"), (1, "Short"))
    ids = [
        store.upsert_activity(athlete, run(f"r{day}", NOW - timedelta(days=day, hours=3), name=name), {}).activity_id
        for day, name in days
    ]
    crash_rules_on(monkeypatch, lambda activity: activity.name == TAGGED)
    report = _reannotate(store)

    assert [activity_id for activity_id, _ in report.failed] == [ids[1]]
    assert store.latest_annotation(ids[1]) is None
    assert store.pain_diary.entries() == []  # its tag went with its note
    assert all(store.latest_annotation(i) is not None for i in ids if i != ids[1])

    monkeypatch.undo()
    again = _reannotate(store)
    assert again.failed == []
    assert [(e.score, e.activity_id) for e in store.pain_diary.entries()] == [(6, ids[1])]
    latest = store.latest_annotation(ids[2])  # the run after the tagged one: sore
    assert latest is not None and latest.note is not None and latest.note.startswith("Mode: sore")
