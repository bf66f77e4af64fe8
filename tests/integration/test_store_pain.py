"""The pain diary table on SQLite and PostgreSQL: one entry per slot, the database refuses impossible scores,
entries go with their run, and a new entry marks the following runs' notes for re-annotation."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from syncd.adapters.db import Store
from syncd.adapters.db.pain_repository import STALE
from syncd.domain.model import Activity, Source, Sport
from syncd.domain.pain import PainEntry, PainSource

START = datetime(2026, 11, 2, 7, tzinfo=UTC)


def _run(store: Store, athlete: int, day: int) -> int:
    activity = Activity(
        Source.FILE, f"run-{day}", Sport.RUN, "running", START + timedelta(days=day), distance_m=8000.0,
        elapsed_s=2400.0, utc_offset_s=3600,
    )  # fmt: skip
    return store.upsert_activity(athlete, activity, {}).activity_id


def test_slots_constraints_cascade_and_stale_marks(store: Store) -> None:
    athlete = store.ensure_athlete("local")
    runs = [_run(store, athlete, d) for d in range(6)]
    for run in runs:
        store.save_annotation(run, "v1", (), "note")
    diary = store.pain_diary
    assert diary.first_activity_day(athlete) == date(2026, 11, 2)

    day = date(2026, 11, 3)
    diary.record(PainEntry(athlete, day, 5, PainSource.CLI, note="stiff"))
    diary.record(PainEntry(athlete, day, 3, PainSource.WEB))  # same day, no run: replaces
    diary.record(PainEntry(athlete, day, 6, PainSource.TAG, activity_id=runs[1]))
    diary.record(PainEntry(athlete, day, 4, PainSource.WEB, activity_id=runs[1]))
    entries = diary.entries(athlete)
    assert sorted((e.source.value, e.score, e.activity_id) for e in entries) == [
        ("tag", 6, runs[1]), ("web", 3, None), ("web", 4, runs[1]),
    ]  # fmt: skip
    tagged = diary.tag_entry(runs[1])
    assert tagged is not None and tagged.activity_start_utc == START + timedelta(days=1)

    with pytest.raises(sa.exc.IntegrityError), store.engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO pain_entries (athlete_id, day, score, note, source, slot, recorded_at) "
            f"VALUES ({athlete}, '2026-11-04', 11, '', 'cli', 'x', '2026-11-04 00:00:00')"
        )

    assert diary.mark_runs_stale(athlete, date(2026, 11, 3), date(2026, 11, 5)) == 3
    stale = {run: (a.rules_version if (a := store.latest_annotation(run)) else None) for run in runs}
    assert [stale[r] == STALE for r in runs] == [False, True, True, True, False, False]

    assert diary.remove_tag(runs[1]) and diary.tag_entry(runs[1]) is None
    with store.engine.begin() as conn:  # a deleted run takes its entries with it
        conn.exec_driver_sql(f"DELETE FROM activities WHERE id = {runs[1]}")
    assert [(e.source.value, e.activity_id) for e in diary.entries(athlete)] == [("web", None)]
    assert diary.delete_athlete(athlete) == 1 and diary.count(athlete) == 0
