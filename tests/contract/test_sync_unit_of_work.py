"""The sync pipeline stores, annotates and queues each run in one unit of work: a fault between a run's note and
its enqueue leaves nothing of that run (no row change, no annotation, no outbox item) while the other runs of the
same sync are stored, on the in-memory fake, SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Self

import pytest

from syncd.domain.flags import Flag
from syncd.ports import AnnotationRepository, UnitOfWork
from syncd.records import AnnotationRecord
from syncd.services.annotating import AnnotationPolicy
from syncd.services.sync_pipeline import PipelineOptions, sync_account
from syncd.services.write_back_policy import own_platform
from tests.contract.conftest import Stores
from tests.contract.helpers import pending
from tests.unit.fakes import ListSource, account_record, run_streams, sync_repositories

NOW = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
OPTIONS = PipelineOptions(write_back_providers=own_platform)


class OutboxDownError(Exception):
    pass


class _NoteThenFault:
    """A unit of work's annotations: the note of `external_id`'s run is saved, then its enqueue fails."""

    def __init__(self, uow: UnitOfWork, external_id: str) -> None:
        self._uow, self._external_id = uow, external_id

    def save_annotation(
        self,
        activity_id: int,
        rules_version: str,
        flags: Sequence[Flag],
        note: str | None,
        *,
        write_back_to: Sequence[str] = (),
        platform_note: str | None = None,
    ) -> bool:
        inner = self._uow.annotations
        if self._uow.activities.get_activity(activity_id).activity.external_id != self._external_id:
            return inner.save_annotation(
                activity_id, rules_version, flags, note, write_back_to=write_back_to, platform_note=platform_note
            )
        assert write_back_to, "the run's note is meant for the platform"
        inner.save_annotation(activity_id, rules_version, flags, note, platform_note=platform_note)  # annotated
        raise OutboxDownError("the outbox refused the note")

    def latest_annotation(self, activity_id: int) -> AnnotationRecord | None:
        return self._uow.annotations.latest_annotation(activity_id)


class _FailingOn:
    """The store's unit of work, with `_NoteThenFault` for its annotations."""

    def __init__(self, uow: UnitOfWork, external_id: str) -> None:
        self._uow = uow
        self.annotations: AnnotationRepository = _NoteThenFault(uow, external_id)

    def __getattr__(self, name: str) -> object:
        return getattr(self._uow, name)

    def __enter__(self) -> Self:
        self._uow.__enter__()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._uow.__exit__(exc_type, exc, tb)


def test_a_fault_between_a_runs_note_and_its_enqueue_leaves_nothing_of_that_run(
    store: Stores, athlete: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = ListSource()
    for ext, hours in (("1", 50), ("2", 30), ("3", 10)):
        source.add_run(ext, NOW - timedelta(hours=hours))
    account = account_record(athlete)
    assert (
        sync_account(
            sync_repositories(store), account, source, AnnotationPolicy(), PipelineOptions(), now=NOW
        ).annotated
        == 3
    )
    assert pending(store) == []  # write-back off at first
    ids = {ext: store.find_activity_id("strava", ext) or 0 for ext in "123"}
    before, note = store.get_activity(ids["2"]), store.latest_annotation(ids["2"])
    notes = {ext: store.latest_annotation(ids[ext]) for ext in "13"}
    for ext in "123":  # a new detail, and a new rules version (below): a new note queued for every run
        source.activities[ext] = replace(
            source.activities[ext], name=f"Hills {ext}", moving_s=9000.0, elapsed_s=9000.0, streams=run_streams(150)
        )
    real = store.unit_of_work
    monkeypatch.setattr(store, "unit_of_work", lambda: _FailingOn(real(), "2"))

    policy = AnnotationPolicy(max_heart_rate=190.0)
    report = sync_account(sync_repositories(store), account, source, policy, OPTIONS, now=NOW + timedelta(hours=1))

    assert store.get_activity(ids["2"]) == before and store.latest_annotation(ids["2"]) == note
    assert [item for item in pending(store) if item[0] == ids["2"]] == []
    assert report.skipped == [(str(ids["2"]), "annotation failed: OutboxDownError: the outbox refused the note")]
    assert report.cursor is not None and int(report.cursor) < (NOW - timedelta(hours=30)).timestamp()  # retried
    assert report.pending == 1
    for ext in "13":  # the same sync's other runs: stored, annotated, queued
        stored = store.get_activity(ids[ext])
        latest = store.latest_annotation(ids[ext])
        assert stored.activity.name == f"Hills {ext}" and not stored.needs_annotation
        assert latest is not None and latest != notes[ext] and latest.rules_version == policy.version
        assert [note for activity_id, _p, note in pending(store) if activity_id == ids[ext]] == [latest.written_note]
