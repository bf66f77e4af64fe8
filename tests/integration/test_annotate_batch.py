"""Batch annotation gives exactly what annotating one activity at a time with `Store.history` gives.

Eight weeks of runs, rides and strength sessions, some runs recorded on both Strava and Garmin (linked as one
logical activity), annotated in one batch: every activity's flags and note must equal those computed from the
per-activity history query, which is the reference for the window and the twin rules.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bench.synthetic import one_hour_run
from syncd.adapters.db import Store
from syncd.domain.model import Activity, Source, Sport
from syncd.entrypoints.wiring import batch_repositories
from syncd.services.annotating import (
    AnnotationPolicy,
    annotate_batch,
    annotate_one,
)
from syncd.services.as_of import run_state
from syncd.services.history import history_between
from syncd.services.identity import link_all

START = datetime(2026, 9, 1, 6, 30, tzinfo=UTC)


def _seed(store: Store) -> tuple[int, list[int]]:
    athlete = store.ensure_athlete("strava:5")
    other = store.ensure_athlete("strava:6")  # another athlete's runs never enter this one's history
    ids = []
    for day in range(56):
        start = START + timedelta(days=day, minutes=7 * day)
        if day % 7 in (1, 4):
            session = Activity(Source.STRAVA, f"x{day}", Sport.RIDE if day % 2 else Sport.STRENGTH, "x", start,
                               elapsed_s=3000.0, distance_m=20_000.0 if day % 2 else None)  # fmt: skip
            ids.append(store.upsert_activity(athlete, session, {}).activity_id)
            continue
        run = replace(one_hour_run(day, start=start, samples=900), source=Source.STRAVA, external_id=f"r{day}")
        ids.append(store.upsert_activity(athlete, run, {}).activity_id)
        store.upsert_activity(other, replace(run, external_id=f"o{day}"), {})
        if day % 5 == 0:  # the same run synced from Garmin too
            twin = replace(run, source=Source.GARMIN, external_id=f"g{day}")
            twin_id = store.upsert_activity(athlete, twin, {}).activity_id
            ids.append(twin_id)
    assert link_all(store, ids)  # the twins get their shared logical group
    return athlete, ids


def test_batch_equals_one_at_a_time(store: Store) -> None:
    _athlete, ids = _seed(store)
    policy = AnnotationPolicy()
    now = START + timedelta(days=60)

    batch = annotate_batch(batch_repositories(store), ids, policy, now=now)

    assert [o.activity_id for o in batch] == ids
    for outcome in batch:
        stored = store.get_activity(outcome.activity_id)
        history = list(run_state(store, stored, policy.thresholds, diary=None).history)  # one run's path
        expected = annotate_one(stored.activity, history, policy, now=now)
        assert outcome.annotated.annotation.flags == expected.annotation.flags, stored.activity.external_id
        assert outcome.annotated.note == expected.note
        assert outcome.changed
    assert sum(1 for o in batch if o.annotated.annotation.flags) > 5  # the rules had something to say


def test_a_failing_activity_is_reported_and_the_rest_annotated(store: Store) -> None:
    _athlete, ids = _seed(store)
    errors: list[int] = []
    outcomes = annotate_batch(
        batch_repositories(store),
        [*ids[:3], 999_999, *ids[3:6]],
        AnnotationPolicy(),
        on_error=lambda i, _e: errors.append(i),
    )
    assert errors == [999_999]
    assert [o.activity_id for o in outcomes] == ids[:6]


def test_batch_history_carries_what_the_rules_read_from_earlier_runs(store: Store) -> None:
    """The easy-pace baseline skips hilly runs and shoe distance needs the gear: the batch path's history must carry
    climb and gear exactly as the single path's does."""
    athlete = store.ensure_athlete("strava:7")
    hilly = replace(one_hour_run(1, start=START, samples=600), source=Source.STRAVA, external_id="h1")
    hilly = replace(hilly, elevation_gain_m=420.0, gear_id="g123")
    store.upsert_activity(athlete, hilly, {})
    end = START + timedelta(days=1)
    single = history_between(store, athlete, START - timedelta(days=1), end)
    batch = store.annotation_batches.history_rows(athlete, START - timedelta(days=1), end)
    assert [row.entry for row in batch] == single
    assert single[0].elevation_gain_m == 420.0 and single[0].gear_id == "g123"


def test_batch_modes_equal_one_at_a_time_with_a_diary(store_factory: object) -> None:
    """The batch reads the diary a chunk at a time (DiaryBatch): the modes and notes are those of annotating
    each run alone, oldest first, with a #back tag in a title, a typed entry and an eased one."""
    from syncd.domain.pain import PainSource
    from syncd.services.annotating import annotate_stored
    from syncd.services.pain_diary import record_entry

    store: Store = store_factory()  # type: ignore[operator]
    athlete, ids = _seed(store)
    tagged = next(i for i in ids if store.get_activity(i).activity.external_id == "r10")
    run = store.get_activity(tagged).activity
    store.upsert_activity(athlete, replace(run, name="Morning run #back 6"), {})
    record_entry(store.pain_diary, store, athlete, (START + timedelta(days=30)).date(), 7, source=PainSource.CLI)
    record_entry(store.pain_diary, store, athlete, (START + timedelta(days=33)).date(), 2, source=PainSource.CLI)
    policy = AnnotationPolicy()
    now = START + timedelta(days=60)

    alone = {i: annotate_stored(store, i, policy, now=now).annotated for i in ids}
    batch = {
        o.activity_id: o.annotated
        for o in annotate_batch(batch_repositories(store), ids, replace(policy, units="imperial"), now=now)
    }
    again = {o.activity_id: o.annotated for o in annotate_batch(batch_repositories(store), ids, policy, now=now)}

    modes = [alone[i].note.splitlines()[0] for i in ids if alone[i].note is not None]
    assert any(line.startswith("Mode: sore") for line in modes) and any("eased" in line for line in modes)
    for i in ids:
        assert again[i].note == alone[i].note, store.get_activity(i).activity.external_id
        assert again[i].platform_note == alone[i].platform_note
        assert (batch[i].note or "").splitlines()[:1] == (alone[i].note or "").splitlines()[:1]


def test_rules_in_worker_processes_write_what_this_process_writes(store_factory: object) -> None:
    """`parallel` moves the rules (and the streams' decoding) to other processes: every flag, note and platform
    note is the one the in-process batch gives, with a diary steering the modes."""
    from syncd.adapters.parallel import ProcessMap
    from syncd.domain.pain import PainSource
    from syncd.services.annotating import JOB_GROUP, MIN_PARALLEL_ACTIVITIES
    from syncd.services.pain_diary import record_entry

    store: Store = store_factory()  # type: ignore[operator]
    athlete, ids = _seed(store)
    record_entry(store.pain_diary, store, athlete, (START + timedelta(days=30)).date(), 7, source=PainSource.CLI)
    assert len(ids) >= MIN_PARALLEL_ACTIVITIES  # enough for the workers to be used
    policy, now = AnnotationPolicy(), START + timedelta(days=60)

    with ProcessMap(2) as workers:  # first: every annotation is new, written from the workers' results
        pooled = annotate_batch(batch_repositories(store), ids, policy, now=now, parallel=workers)
    assert workers.sent >= len(ids) // JOB_GROUP  # the rules ran in the workers, a group per message
    here = annotate_batch(batch_repositories(store), ids, policy, now=now)

    assert [o.activity_id for o in pooled] == [o.activity_id for o in here] == ids
    for a, b in zip(here, pooled, strict=True):
        assert (a.annotated.annotation, a.annotated.note, a.annotated.platform_note) == (
            b.annotated.annotation,
            b.annotated.note,
            b.annotated.platform_note,
        )
    assert all(o.changed for o in pooled) and not any(o.changed for o in here)
    assert any((o.annotated.note or "").startswith("Mode: sore") for o in pooled)
    assert store.latest_annotation(ids[-1]).note == here[-1].annotated.note  # type: ignore[union-attr]


def test_a_corrupt_streams_blob_fails_only_its_activity(store: Store) -> None:
    """Decoding happens with the rules (here or in a worker): a damaged blob is that activity's one-line error."""
    import sqlalchemy as sa

    from syncd.adapters.db.models import STREAMS
    from syncd.adapters.parallel import ProcessMap

    _athlete, ids = _seed(store)
    broken = ids[4]
    with store.engine.begin() as conn:
        conn.execute(sa.update(STREAMS).where(STREAMS.c.activity_id == broken).values(data=b"\x01not zlib"))
    for workers in (1, 2):
        errors: list[tuple[int, str]] = []

        def failed(activity_id: int, exc: Exception, errors: list[tuple[int, str]] = errors) -> None:
            errors.append((activity_id, str(exc)))

        with ProcessMap(workers) as pool:
            outcomes = annotate_batch(
                batch_repositories(store), ids, AnnotationPolicy(), parallel=pool, on_error=failed
            )
        assert [i for i, _ in errors] == [broken]
        assert "corrupt streams blob" in errors[0][1] and "re-import or re-sync" in errors[0][1]
        assert [o.activity_id for o in outcomes] == [i for i in ids if i != broken]


def test_pain_unsettled_for_six_weeks_reaches_the_note_alone_and_in_a_batch(store: Store) -> None:
    """The red flag of pain that never settled looks back beyond the mode window: a run's note says "see a
    clinician" as the day's diary page does, whether it is annotated alone or in a batch."""
    from syncd.domain.pain import PainSource
    from syncd.services.annotating import annotate_stored
    from syncd.services.pain_diary import record_entry

    athlete, ids = _seed(store)
    last = max(ids, key=lambda i: store.get_activity(i).activity.start_utc)
    last_day = store.get_activity(last).activity.start_local.date()
    for days_before in range(48, 0, -7):  # painful every week, never below the threshold
        day = last_day - timedelta(days=days_before)
        record_entry(store.pain_diary, store, athlete, day, 5, source=PainSource.CLI)
    now = START + timedelta(days=60)
    alone = annotate_stored(store, last, AnnotationPolicy(), now=now).annotated.note or ""
    batch = {
        o.activity_id: o.annotated for o in annotate_batch(batch_repositories(store), ids, AnnotationPolicy(), now=now)
    }
    assert "See a clinician promptly" in alone
    assert batch[last].note == alone


def test_a_backdated_entry_reaches_runs_beyond_the_window_at_once(store: Store) -> None:
    """Weekly pain for six weeks less a day: no red flag yet. A forgotten entry a week before that, typed now, makes
    the pain over six weeks old: the newest run's note says so after the same pass, not at the daily re-scan."""
    from syncd.domain.pain import PainSource
    from syncd.services.annotating import annotate_marked
    from syncd.services.pain_diary import record_entry

    athlete, ids = _seed(store)
    now = START + timedelta(days=60)
    last = max(ids, key=lambda i: store.get_activity(i).activity.start_utc)
    last_day = store.get_activity(last).activity.start_local.date()
    annotate_batch(batch_repositories(store), ids, AnnotationPolicy(), now=now)
    for days_before in range(41, 0, -7):
        record_entry(store.pain_diary, store, athlete, last_day - timedelta(days=days_before), 5, source=PainSource.CLI)
    annotate_marked(batch_repositories(store), athlete, AnnotationPolicy(), now=now)
    assert "Mode: sore" in _note(store, last) and "See a clinician promptly" not in _note(store, last)

    record_entry(store.pain_diary, store, athlete, last_day - timedelta(days=48), 5, source=PainSource.CLI)
    annotate_marked(batch_repositories(store), athlete, AnnotationPolicy(), now=now)
    assert "See a clinician promptly" in _note(store, last)


def _note(store: Store, activity_id: int) -> str:
    latest = store.latest_annotation(activity_id)
    return "" if latest is None else latest.note or ""
