"""Import and annotation use cases against the real store (SQLite and PostgreSQL) and real recordings."""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from syncd.adapters.db import Store
from syncd.adapters.files import load_activities
from syncd.domain.flags import FlagCode
from syncd.domain.history import summarize
from syncd.domain.model import Activity, Gear, Source, Sport
from syncd.domain.thresholds import Thresholds
from syncd.entrypoints.wiring import batch_repositories, import_repositories
from syncd.services.annotate_files import annotate_paths
from syncd.services.annotating import (
    AnnotationPolicy,
    annotate_one,
    annotate_stored,
    reannotate,
)
from syncd.services.importing import import_paths
from tests.integration.conftest import FakeClock

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real"
NOW = datetime(2026, 11, 25, tzinfo=UTC)


def codes(flags: object) -> set[str]:
    return {f.code.value for f in flags}  # type: ignore[attr-defined]


def test_import_stores_annotates_and_is_idempotent(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("run.fit", "c2eb1b_6.tcx", "sample_mulitple_header.fit", "korita-zbevnica.gpx"):
        shutil.copy(REAL / name, folder / name)
    athlete = store.ensure_athlete("local", name="Local athlete")
    policy = AnnotationPolicy()

    first = import_paths(import_repositories(store), athlete, [folder], policy, now=NOW)
    assert first.failed == []
    assert (first.files, first.created, first.unchanged) == (4, 6, 0)  # the triathlon is swim, bike and run legs
    assert len(first.annotated) == 6
    runs = [o for o in first.annotated if o.annotated.activity.sport.is_run]
    assert len(runs) == 3
    for outcome in first.annotated:
        latest = store.latest_annotation(outcome.activity_id)
        assert latest is not None
        assert latest.rules_version == policy.version
        assert (latest.note is not None) == outcome.annotated.activity.sport.is_run
    assert any("downhill" in codes(o.annotated.annotation.flags) for o in runs)

    second = import_paths(import_repositories(store), athlete, [folder], policy, now=NOW)
    assert (second.created, second.updated, second.unchanged) == (0, 0, 6)
    assert not any(o.changed for o in second.annotated)
    assert store.counts()["annotations"] == 6


def test_a_corrupt_file_does_not_stop_the_others(store: Store, tmp_path: Path) -> None:
    (tmp_path / "bad.fit").write_bytes(b"\x0e\x10garbage-not-a-fit-file")
    shutil.copy(REAL / "run.fit", tmp_path / "good.fit")
    athlete = store.ensure_athlete("local")
    report = import_paths(
        import_repositories(store), athlete, [tmp_path / "bad.fit", tmp_path / "good.fit"], AnnotationPolicy(), now=NOW
    )
    assert report.created == 1
    assert len(report.failed) == 1
    assert "bad.fit" in report.failed[0]
    assert "\n" not in report.failed[0]


def test_reannotate_reruns_only_changed_rules_versions(store: Store) -> None:
    athlete = store.ensure_athlete("local")
    import_paths(
        import_repositories(store), athlete, [REAL / "run.fit", REAL / "c2eb1b_6.tcx"], AnnotationPolicy(), now=NOW
    )
    unchanged = reannotate(batch_repositories(store), AnnotationPolicy(), now=NOW)
    assert (unchanged.examined, unchanged.rerun, unchanged.changed) == (2, 0, 0)

    stricter = AnnotationPolicy(thresholds=Thresholds(downhill_grade_pct=30.0, downhill_descent_per_km_m=100.0))
    report = reannotate(batch_repositories(store), stricter, now=NOW)
    assert (report.examined, report.rerun, report.changed) == (2, 2, 2)  # new version recorded on both
    downhill_run = store.find_activity_id("file", load_activities(REAL / "run.fit")[0].activity.external_id)
    assert downhill_run is not None
    latest = store.latest_annotation(downhill_run)
    assert latest is not None and FlagCode.DOWNHILL not in {f.code for f in latest.flags}


def test_annotate_files_uses_the_other_files_as_history() -> None:
    results, failures = annotate_paths([REAL / "run.fit", REAL / "2013-02-06-12-11-14.fit"], AnnotationPolicy())
    assert failures == []
    assert [r.annotated.activity.start_utc for r in results] == sorted(r.annotated.activity.start_utc for r in results)
    for result in results:
        assert "downhill" in codes(result.annotated.annotation.flags)


def test_note_of_a_run_with_many_flags_fits_a_phone_screen() -> None:
    parsed = replace(load_activities(REAL / "run.fit")[0].activity, workout_type=1, gear_id="g1")
    last_week = [
        summarize(replace(parsed, external_id=f"w{d}", start_utc=parsed.start_utc - timedelta(days=d)))
        for d in (7, 9, 11)
    ]
    gear = Gear("g1", "Old pair", 700_000.0)
    annotated = annotate_one(parsed, last_week, AnnotationPolicy(), gear=gear, now=NOW)
    assert len(annotated.annotation.flags) >= 3, annotated.note
    assert annotated.note is not None
    assert len(annotated.note) <= 600, annotated.note
    assert "clinician" in annotated.note
    imperial = annotate_one(parsed, last_week, replace(AnnotationPolicy(), units="imperial"), gear=gear, now=NOW)
    assert imperial.note is not None and " mi" in imperial.note and " km" not in imperial.note


def test_non_runs_get_no_note() -> None:
    walk = load_activities(REAL / "Afternoon_Walk_Polar_Watch.gpx")[0].activity
    annotated = annotate_one(walk, [], AnnotationPolicy(), now=NOW)
    assert annotated.note is None
    assert annotated.annotation.flags == ()


def test_the_athletes_own_units_win_and_reannotate_respects_them(store: Store) -> None:
    athlete = store.ensure_athlete("runner", units="imperial")
    report = import_paths(
        import_repositories(store), athlete, [REAL / "run.fit"], AnnotationPolicy(units="metric"), now=NOW
    )
    (outcome,) = report.annotated
    assert outcome.annotated.note is not None and " mi" in outcome.annotated.note
    again = reannotate(batch_repositories(store), AnnotationPolicy(units="metric"), now=NOW)
    assert again.rerun == 0  # the stored version already is the athlete's (imperial) one


def test_a_changed_note_of_a_platform_activity_is_queued_for_write_back(store: Store) -> None:
    athlete = store.ensure_athlete("strava:1")
    parsed = load_activities(REAL / "run.fit")[0]
    recent = NOW - timedelta(days=2)  # inside the annotation window: only such notes are written back
    from_strava = replace(parsed.activity, source=Source.STRAVA, external_id="9001", start_utc=recent)
    activity_id = store.upsert_activity(athlete, from_strava, parsed.raw).activity_id

    def providers(activity: Activity) -> list[str]:
        return ["strava"] if activity.source is Source.STRAVA else []

    first = annotate_stored(store, activity_id, AnnotationPolicy(), now=NOW, write_back_providers=providers)
    assert first.changed and first.queued_writeback
    claimed = store.claim_writebacks("w1", now=NOW, lease_s=60, limit=10)
    assert [(item.activity_id, item.provider) for item in claimed] == [(activity_id, "strava")]
    assert claimed[0].note == first.annotated.platform_note  # the platform's wording (docs/pain.md, "Privacy")

    same = annotate_stored(store, activity_id, AnnotationPolicy(), now=NOW, write_back_providers=providers)
    assert not same.changed and not same.queued_writeback


def test_a_finished_week_is_reported_once_on_the_next_weeks_first_run(store: Store, clock: FakeClock) -> None:
    athlete = store.ensure_athlete("strava:7")
    monday = clock.now().replace(hour=7)  # the store's clock starts on Monday 2026-11-23 (ISO week 2026-W48)
    runs = []
    for day in (0, 2, 7, 9):  # Monday and Wednesday runs of W48 and W49, no cross-training, no strength work
        run = Activity(Source.STRAVA, f"r-{day}", Sport.RUN, "Run", monday + timedelta(days=day), elapsed_s=1800.0)
        runs.append(store.upsert_activity(athlete, run, {}).activity_id)
    outcomes = [annotate_stored(store, activity_id, AnnotationPolicy(), now=NOW) for activity_id in runs]
    weekly = [
        {f.code for f in o.annotated.annotation.flags} & {FlagCode.LOW_STRENGTH, FlagCode.LOW_CROSS_TRAINING}
        for o in outcomes
    ]
    assert weekly == [set(), set(), {FlagCode.LOW_STRENGTH, FlagCode.LOW_CROSS_TRAINING}, set()]
    flag = next(f for f in outcomes[2].annotated.annotation.flags if f.code is FlagCode.LOW_STRENGTH)
    assert flag.evidence["week"] == "2026-W48"
    # Re-annotating W48's runs now that W49 exists changes nothing: no look-ahead.
    assert not any(annotate_stored(store, a, AnnotationPolicy(), now=NOW).changed for a in runs)


def test_a_shoe_is_judged_at_its_distance_on_the_day(store: Store) -> None:
    athlete = store.ensure_athlete("strava:8")
    start = datetime(2026, 9, 1, 7, tzinfo=UTC)
    store.upsert_gear(athlete, Gear("g1", "Old pair", distance_m=700_000.0))
    ids = []
    for day in range(0, 70, 7):  # ten 10 km runs a week apart; the shoe has 700 km today
        run = Activity(
            Source.STRAVA,
            f"s-{day}",
            Sport.RUN,
            "Run",
            start + timedelta(days=day),
            elapsed_s=3600.0,
            distance_m=10_000.0,
            gear_id="g1",
        )
        ids.append(store.upsert_activity(athlete, run, {}).activity_id)
    shoes = []
    for activity_id in ids:
        flags = annotate_stored(store, activity_id, AnnotationPolicy(), now=NOW).annotated.annotation.flags
        shoes.append(next((f.evidence["gear_distance_m"] for f in flags if f.code is FlagCode.WORN_SHOES), None))
    # 610 km after the first run ... 700 km after the last: every run past 600 km is flagged, each a week apart.
    assert shoes == [610_000.0 + 10_000.0 * i for i in range(10)]
