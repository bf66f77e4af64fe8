"""The one sync pipeline on in-memory fakes of its ports: what gets fetched, stored, annotated, queued and where the
cursor goes, under every kind of platform fault (milliseconds, no database, no server)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from syncd.adapters.payload import PayloadError
from syncd.domain.model import Source, Sport
from syncd.platform_errors import (
    PlatformAppInactiveError,
    PlatformBadResponseError,
    PlatformGoneError,
    PlatformRateLimitedError,
    PlatformTransientError,
    PlatformUnauthorizedError,
)
from syncd.services import sync_pipeline
from syncd.services.annotating import AnnotationPolicy
from syncd.services.sync_pipeline import PipelineOptions, sync_account
from syncd.services.write_back_policy import own_platform
from tests.unit.fakes import ListSource, MemoryStore, account, sync_repositories

NOW = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
OPTIONS = PipelineOptions(write_back_providers=own_platform)
POLICY = AnnotationPolicy()


def _source(*hours_ago: float) -> ListSource:
    source = ListSource()
    for n, hours in enumerate(hours_ago, start=1):
        source.add_run(str(n), NOW - timedelta(hours=hours))
    return source


def _cursor_time(cursor: str | None) -> datetime:
    assert cursor is not None
    return datetime.fromtimestamp(int(cursor), UTC)


def _annotated(store: MemoryStore) -> dict[str, bool]:
    return {r.activity.external_id: store.latest_annotation(r.id) is not None for r in store.rows.values()}


def test_new_runs_are_fetched_newest_first_annotated_and_queued() -> None:
    source, store = _source(50, 26, 2), MemoryStore()
    source.add_run("ride", NOW - timedelta(hours=5), sport=Sport.RIDE)

    report = sync_account(sync_repositories(store), account(), source, POLICY, OPTIONS, now=NOW)

    assert source.fetches == ["3", "2", "1"]  # the ride costs nothing more than the list
    # the ride is annotated too (issue 27: one rule for every sport), from its summary: no flags, no note queued
    assert (report.listed, report.detailed, report.annotated, report.queued) == (4, 3, 4, 3)
    [ride] = [r.id for r in store.rows.values() if r.activity.external_id == "ride"]
    ride_note = store.latest_annotation(ride)
    assert ride_note is not None and (tuple(ride_note.flags), ride_note.note) == ((), None)
    assert {(item[1]) for item in store.outbox} == {"strava"} and len(store.outbox) == 3
    assert _cursor_time(report.cursor) == NOW - timedelta(hours=2)
    assert report.failed == [] and report.pending == 0


def test_a_run_costs_one_write_for_its_summary_and_one_for_its_detail_none_for_sync_state() -> None:
    """Issue 27: the 'not annotated yet' mark goes with the detail's write and is cleared by saving the annotation,
    not by upserting the payload again."""
    source, store = _source(50, 26, 2), MemoryStore()
    report = sync_account(sync_repositories(store), account(), source, POLICY, OPTIONS, now=NOW)
    assert report.annotated == 3 and store.writes == 3 * 2  # summary, detail (with the mark): no third upsert
    assert not any(row.needs_annotation for row in store.rows.values())
    again = sync_account(
        sync_repositories(store), account(cursor=report.cursor), source, POLICY, OPTIONS, now=NOW + timedelta(hours=1)
    )
    assert again.annotated == 0 and store.writes == 6


def test_a_run_turned_into_a_ride_is_redone_from_its_summary_in_the_pass_that_stores_the_change() -> None:
    """Issue 27: the ride keeps no run flags or note; its detail is not fetched again, and the mark its summary was
    stored with is cleared by its annotation (a pass killed before it would find it marked)."""
    source, store = _source(50, 2), MemoryStore()
    first = sync_account(sync_repositories(store), account(), source, POLICY, OPTIONS, now=NOW)
    [ride_id] = [r.id for r in store.rows.values() if r.activity.external_id == "2"]
    was = store.latest_annotation(ride_id)
    assert was is not None and was.note is not None  # a run's note
    source.activities["2"] = replace(source.activities["2"], sport=Sport.RIDE, sport_original="ride")
    source.fetches.clear()

    again = sync_account(
        sync_repositories(store), account(cursor=first.cursor), source, POLICY, OPTIONS, now=NOW + timedelta(hours=1)
    )
    now = store.latest_annotation(ride_id)
    assert source.fetches == [] and again.annotated == 1 and again.queued == 0
    assert now is not None and now.id != was.id and (tuple(now.flags), now.note) == ((), None)
    assert not store.rows[ride_id].needs_annotation


def test_runs_outside_the_annotation_window_are_stored_but_not_fetched() -> None:
    source, store = _source(24 * 40, 3), MemoryStore()
    report = sync_account(sync_repositories(store), account(), source, POLICY, OPTIONS, now=NOW)
    assert source.fetches == ["2"] and report.stored == 2 and report.annotated == 1


def test_a_pass_killed_before_annotating_is_finished_by_the_next_pass() -> None:
    source, store = _source(30, 4), MemoryStore()
    for ext_id, activity in source.activities.items():  # what a killed pass left: details stored, nothing else
        raw = {"summary": {"id": ext_id, "name": activity.name, "sport": "run"}, "detail": {"name": activity.name}}
        store.upsert_activity(1, activity, raw)

    report = sync_account(
        sync_repositories(store), account(cursor=str(int(NOW.timestamp()))), source, POLICY, OPTIONS, now=NOW
    )

    assert source.fetches == [] and report.detailed == 0
    assert report.annotated == 2 and all(_annotated(store).values()) and len(store.outbox) == 2


def test_a_run_without_its_detail_is_not_annotated_from_the_summary_alone() -> None:
    source, store = _source(4), MemoryStore()
    source.failures["1"] = [PlatformTransientError("GET activities/1: Strava server error 503")]
    report = sync_account(sync_repositories(store), account(), source, POLICY, OPTIONS, now=NOW)
    assert report.annotated == 0 and not any(_annotated(store).values())


@pytest.mark.parametrize(
    "fault",
    [
        PlatformBadResponseError("GET activities/2: Strava's answer was not valid JSON"),
        PayloadError("field 'distance' should be a number, got str"),
    ],
)
def test_a_bad_payload_is_deferred_with_backoff_and_reported_as_failed(fault: Exception) -> None:
    source, store = _source(30, 4), MemoryStore()
    source.failures["2"] = [fault, fault]

    first = sync_account(sync_repositories(store), account(), source, POLICY, OPTIONS, now=NOW)

    [(ext_id, why)] = first.failed
    assert ext_id == "2" and "will try again after 2026-11-23 06:15 UTC" in why
    assert first.skipped == [] and first.pending == 1
    assert _cursor_time(first.cursor) < NOW - timedelta(hours=4)  # never past the failed run
    assert _annotated(store) == {"1": True, "2": False}
    failed = store.get_activity(2)
    assert failed.sync_failure is not None and failed.sync_failure.attempts == 1  # beside the payload, not in it
    assert set(failed.raw) == {"summary", "detail"} and failed.raw["detail"] is None

    soon = sync_account(
        sync_repositories(store), account(cursor=first.cursor), source, POLICY, OPTIONS, now=NOW + timedelta(minutes=5)
    )
    assert source.fetches.count("2") == 1 and soon.pending == 1 and soon.failed == []  # waiting out the backoff

    later = NOW + timedelta(minutes=20)
    second = sync_account(sync_repositories(store), account(cursor=soon.cursor), source, POLICY, OPTIONS, now=later)
    assert source.fetches.count("2") == 2 and "2026-11-23 06:50 UTC" in second.failed[0][1]  # 30 min: doubled

    third = sync_account(
        sync_repositories(store), account(cursor=second.cursor), source, POLICY, OPTIONS, now=later + timedelta(hours=1)
    )
    assert third.failed == [] and third.pending == 0 and third.detailed == 1
    assert all(_annotated(store).values())
    stored = store.get_activity(store.find_activity_id("strava", "2") or 0)
    assert stored.sync_failure is None and stored.raw == {"summary": stored.raw["summary"], "detail": {"name": "Run"}}
    assert _cursor_time(third.cursor) == NOW - timedelta(hours=4)


def test_a_rate_limit_stops_fetching_and_keeps_the_rest_pending() -> None:
    source, store = _source(50, 26, 2), MemoryStore()
    resume = NOW.replace(minute=15)
    source.failures["2"] = [PlatformRateLimitedError("15-minute read budget used up", resume)]

    report = sync_account(sync_repositories(store), account(), source, POLICY, OPTIONS, now=NOW)

    assert source.fetches == ["3", "2"] and report.resume_at == resume and report.pending == 2
    assert _cursor_time(report.cursor) == NOW - timedelta(hours=50, seconds=1)
    later = sync_account(sync_repositories(store), account(cursor=report.cursor), source, POLICY, OPTIONS, now=resume)
    assert source.fetches[2:] == ["2", "1"] and later.pending == 0 and all(_annotated(store).values())


def test_a_changed_run_whose_new_detail_was_not_fetched_is_fetched_next_time() -> None:
    source, store = _source(30), MemoryStore()
    sync_account(sync_repositories(store), account(), source, POLICY, OPTIONS, now=NOW)
    source.activities["1"] = replace(source.activities["1"], name="Renamed", sport=Sport.TRAIL_RUN)
    source.failures["1"] = [PlatformRateLimitedError("budget used up", NOW.replace(minute=15))]

    stopped = sync_account(sync_repositories(store), account(cursor=None), source, POLICY, OPTIONS, now=NOW)
    assert stopped.pending == 1

    sync_account(
        sync_repositories(store),
        account(cursor=stopped.cursor),
        source,
        POLICY,
        OPTIONS,
        now=NOW + timedelta(minutes=20),
    )
    assert source.fetches == ["1", "1", "1"]
    assert store.get_activity(1).activity.name == "Renamed"


def test_a_gone_run_is_skipped_and_the_cursor_moves_on() -> None:
    source, store = _source(30, 4), MemoryStore()
    source.failures["2"] = [PlatformGoneError("GET activities/2: 404 not found on Strava")]
    report = sync_account(sync_repositories(store), account(), source, POLICY, OPTIONS, now=NOW)
    assert [i for i, _ in report.skipped] == ["2"] and report.failed == [] and report.pending == 0
    assert _cursor_time(report.cursor) == NOW - timedelta(hours=4)


def test_a_transient_fault_defers_the_run_to_the_next_poll() -> None:
    source, store = _source(30, 4), MemoryStore()
    source.failures["1"] = [PlatformTransientError("GET activities/1: Strava server error 502")]
    report = sync_account(sync_repositories(store), account(), source, POLICY, OPTIONS, now=NOW)
    assert report.pending == 1 and report.detailed == 1
    assert _cursor_time(report.cursor) == NOW - timedelta(hours=30, seconds=1)


@pytest.mark.parametrize(
    "fault", [PlatformUnauthorizedError("401; run `syncd link strava`"), PlatformAppInactiveError("inactive")]
)
def test_refused_tokens_and_an_inactive_app_leave_the_pass(fault: Exception) -> None:
    source, store = _source(4), MemoryStore()
    source.failures["1"] = [fault]
    with pytest.raises(type(fault)):
        sync_account(sync_repositories(store), account(), source, POLICY, OPTIONS, now=NOW)


def test_a_listing_fault_stops_the_pass_without_deleting_anything() -> None:
    source, store = _source(30, 4), MemoryStore()
    sync_account(sync_repositories(store), account(), source, POLICY, OPTIONS, now=NOW)
    source.list_error = PlatformTransientError("GET athlete/activities: Strava server error 500")
    report = sync_account(sync_repositories(store), account(cursor="1"), source, POLICY, OPTIONS, now=NOW)
    assert report.stopped and report.deleted == 0 and report.cursor == "1"


def test_activities_missing_from_a_complete_listing_are_marked_deleted() -> None:
    source, store = _source(30, 4), MemoryStore()
    sync_account(sync_repositories(store), account(), source, POLICY, OPTIONS, now=NOW)
    del source.activities["1"]
    report = sync_account(sync_repositories(store), account(), source, POLICY, OPTIONS, now=NOW)
    assert report.deleted == 1 and [s.activity.external_id for s in store.iter_activities()] == ["2"]


def test_a_source_whose_listing_is_not_authoritative_never_deletes() -> None:
    """A folder whose sync app rotates old files (`deletes_missing` False): a missing file is not a deleted run."""
    source, store = _source(30, 4), MemoryStore()
    sync_account(sync_repositories(store), account(), source, POLICY, OPTIONS, now=NOW)
    source.deletes_missing = False
    del source.activities["1"]
    report = sync_account(sync_repositories(store), account(), source, POLICY, OPTIONS, now=NOW)
    assert report.deleted == 0 and [s.activity.external_id for s in store.iter_activities()] == ["1", "2"]


def test_a_run_recorded_on_two_platforms_is_linked_and_both_twins_annotated() -> None:
    store = MemoryStore()
    garmin = ListSource(source=Source.GARMIN)
    garmin.add_run("g1", NOW - timedelta(hours=4, seconds=20))
    strava = _source(4)
    options = PipelineOptions(write_back_providers=own_platform)
    sync_account(sync_repositories(store), account(), strava, POLICY, options, now=NOW)

    report = sync_account(sync_repositories(store), account(provider="garmin"), garmin, POLICY, options, now=NOW)

    assert report.linked == 1
    groups = {r.logical_group for r in store.rows.values()}
    assert len(groups) == 1 and None not in groups
    assert {provider for _id, provider, _note in store.outbox} == {"strava", "garmin"}


class _Killed(BaseException):
    """kill -9 at this point of the pass."""


def test_a_changed_run_killed_before_its_unit_of_work_commits_is_fetched_and_annotated_next_pass(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    source, store = _source(30), MemoryStore()
    sync_account(sync_repositories(store), account(), source, POLICY, OPTIONS, now=NOW)
    before = store.get_activity(1)
    note = store.latest_annotation(1)
    source.activities["1"] = replace(source.activities["1"], name="Hill reps", sport=Sport.TRAIL_RUN)

    def killed(*_args: object, **_kwargs: object) -> None:
        raise _Killed

    with monkeypatch.context() as patch:
        patch.setattr(sync_pipeline, "annotate_in", killed)  # the new detail is stored in the same unit of work
        with pytest.raises(_Killed):
            sync_account(sync_repositories(store), account(), source, POLICY, OPTIONS, now=NOW)
    assert store.get_activity(1) == before and store.latest_annotation(1) == note  # nothing of the run changed

    report = sync_account(sync_repositories(store), account(), source, POLICY, OPTIONS, now=NOW + timedelta(minutes=20))

    assert source.fetches == ["1", "1", "1"] and report.annotated == 1  # fetched again: nothing was kept
    stored = store.get_activity(1)
    assert stored.activity.name == "Hill reps" and not stored.needs_annotation
    assert set(stored.raw) == {"summary", "detail"}  # the sync state is not in the platform's payload
    again = sync_account(sync_repositories(store), account(), source, POLICY, OPTIONS, now=NOW + timedelta(minutes=40))
    assert again.annotated == 0
