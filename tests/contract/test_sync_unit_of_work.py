"""The sync pipeline stores, annotates and queues each run in one unit of work: a fault between a run's note and
its enqueue leaves nothing of that run (no row change, no annotation, no outbox item) while the other runs of the
same sync are stored, on the in-memory fake, SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Self

import pytest

from syncd.adapters.db.annotation_queries import STALE
from syncd.domain.flags import Flag
from syncd.domain.model import Source, Sport
from syncd.ports import AnnotationRepository, PainDiary, TwinLinks, UnitOfWork, UnitsOfWork
from syncd.records import AnnotationRecord
from syncd.services import importing, sync_pipeline
from syncd.services.annotating import AnnotationPolicy, annotate_batch
from syncd.services.identity import Ambiguous, Linked
from syncd.services.importing import ImportReport, ImportRepositories, import_paths
from syncd.services.sync_pipeline import HistoryFetch, PipelineOptions, SyncRepositories, sync_account
from syncd.services.write_back_policy import own_platform
from tests.contract.conftest import Stores
from tests.contract.helpers import pending
from tests.rule_faults import RuleCrashError, crash_rules_on
from tests.unit.fakes import (
    ListSource,
    account_record,
    batch_repositories,
    run_streams,
    sync_repositories,
)

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


class _WrappedUnitOfWork:
    """The store's unit of work seen through a test's wrapper: everything not overridden is the store's."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    def __getattr__(self, name: str) -> object:
        return getattr(self._uow, name)

    def entering(self) -> None:
        """What the test does as a block begins (nothing here)."""

    def __enter__(self) -> Self:
        self.entering()
        self._uow.__enter__()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._uow.__exit__(exc_type, exc, tb)


class _FailingOn(_WrappedUnitOfWork):
    """The store's unit of work, with `_NoteThenFault` for its annotations."""

    def __init__(self, uow: UnitOfWork, external_id: str) -> None:
        super().__init__(uow)
        self.annotations: AnnotationRepository = _NoteThenFault(uow, external_id)


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


# ---- `syncd import`: a file's store, twin link, #back tag and note in one unit of work --------------------------

TAGGED = "Hills #back 6"


def _gpx(name: str, start: datetime, minutes: int = 30) -> str:
    """A run of `minutes` as a GPX file, one point every 10 s at about 3.3 m/s."""
    points = "".join(
        f'<trkpt lat="{46.0 + i * 3e-4:.6f}" lon="14.5"><time>{start + timedelta(seconds=10 * i):%Y-%m-%dT%H:%M:%SZ}'
        "</time></trkpt>"
        for i in range(minutes * 6)
    )
    return (
        '<?xml version="1.0"?><gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1"><trk>'
        f"<name>{name}</name><type>running</type><trkseg>{points}</trkseg></trk></gpx>"
    )


def _folder(tmp_path: Path) -> Path:
    """Three runs on three days; the middle one carries a #back tag."""
    folder = tmp_path / "files"
    folder.mkdir()
    for day, name in ((3, "Easy"), (2, TAGGED), (1, "Long")):
        (folder / f"{name.split()[0].lower()}.gpx").write_text(_gpx(name, NOW - timedelta(days=day, hours=2)))
    return folder


def _import(store: Stores, diary: PainDiary, athlete: int, folder: Path) -> ImportReport:
    """`syncd import` of `folder`, its units of work over the store and the test's diary (the fake's, or the
    database's own)."""
    repos = ImportRepositories(batch_repositories(store, diary))
    return import_paths(repos, athlete, [folder], AnnotationPolicy(), now=NOW, workers=1)


def _names(store: Stores, athlete: int) -> dict[str, bool]:
    """Each stored activity's name, and whether it has a note."""
    return {
        s.activity.name: store.latest_annotation(s.id) is not None for s in store.iter_activities(athlete_id=athlete)
    }


def _crash_on_tagged(monkeypatch: pytest.MonkeyPatch, where: str) -> None:
    """A fault on the tagged file's activity: in its rules (`annotate`), or after it is stored and before it is
    annotated (`link`: looking for its twins)."""
    if where == "annotate":
        crash_rules_on(monkeypatch, lambda activity: activity.name == TAGGED)
        return
    real_link = importing.link_file_twin

    def link(links: TwinLinks, activity_id: int) -> Linked | Ambiguous | None:
        if links.activities.get_activity(activity_id, with_streams=False).activity.name == TAGGED:
            raise RuleCrashError("the twin lookup failed")
        return real_link(links, activity_id)

    monkeypatch.setattr(importing, "link_file_twin", link)


@pytest.mark.parametrize("where", ["annotate", "link"])
def test_an_import_fault_on_one_file_leaves_nothing_of_it_not_even_its_tag_and_the_others_are_imported(
    store: Stores, diary: PainDiary, athlete: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    folder = _folder(tmp_path)
    _crash_on_tagged(monkeypatch, where)

    report = _import(store, diary, athlete, folder)

    assert _names(store, athlete) == {"Easy": True, "Long": True}  # stored, each with its note
    assert (report.created, len(report.annotated)) == (2, 2)
    [failed] = report.failed
    assert failed.startswith(str(folder / "hills.gpx")) and "RuleCrashError" in failed
    assert diary.entries() == []  # the tag of a file not imported is not in the diary either

    monkeypatch.undo()  # the fault gone: importing the folder again brings the file in, its tag with it
    again = _import(store, diary, athlete, folder)
    assert (again.created, again.unchanged, again.failed) == (1, 2, [])
    assert _names(store, athlete) == {"Easy": True, TAGGED: True, "Long": True}
    assert [(e.score, e.source.value) for e in diary.entries()] == [(6, "tag")]


def test_an_import_keeps_a_files_tag_with_its_note(
    store: Stores, diary: PainDiary, athlete: int, tmp_path: Path
) -> None:
    """Without a fault the whole folder is one unit of work: every file stored and annotated, the tag recorded,
    and the run after the tagged one annotated in sore mode (its history holds the tag)."""
    report = _import(store, diary, athlete, _folder(tmp_path))

    assert (report.created, len(report.annotated), report.failed) == (3, 3, [])
    assert [e.score for e in diary.entries()] == [6]
    later = next(s for s in store.iter_activities(athlete_id=athlete) if s.activity.name == "Long")
    latest = store.latest_annotation(later.id)
    assert latest is not None and latest.note is not None and latest.note.startswith("Mode: sore")


def test_a_synced_runs_tag_is_not_in_the_diary_when_its_annotation_fails(
    store: Stores, diary: PainDiary, athlete: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run's tag is read in the unit of work that stores and annotates it, and not read again after its
    annotation failed (its note and its tag come together next pass)."""
    source = ListSource()
    for ext, hours, name in (("1", 50, "Easy"), ("2", 30, TAGGED), ("3", 10, "Long")):
        source.add_run(ext, NOW - timedelta(hours=hours), name=name)
    _crash_on_tagged(monkeypatch, "annotate")
    account = account_record(athlete)

    repos = sync_repositories(store, diary)
    report = sync_account(repos, account, source, AnnotationPolicy(), OPTIONS, now=NOW)

    tagged = store.find_activity_id("strava", "2")
    assert report.annotated == 2 and [name for name, _why in report.skipped] == [str(tagged)]
    assert diary.entries() == []
    monkeypatch.undo()
    again = sync_account(repos, account, source, AnnotationPolicy(), OPTIONS, now=NOW)
    assert again.skipped == []
    assert [(e.score, e.activity_id) for e in diary.entries()] == [(6, tagged)]


# ---- history from the listing: summaries older than the window stored with their notes, a chunk per unit of work --

HISTORY = PipelineOptions(first_history=timedelta(days=365), write_back_providers=own_platform)


def _history_source() -> ListSource:
    """A run inside the window and four older ones (summaries only on a first sync), one of them a ride."""
    source = ListSource()
    for ext, days, name in (("1", 90, "Old A"), ("2", 70, "Old B"), ("3", 50, "Old C"), ("5", 2, "Fresh")):
        source.add_run(ext, NOW - timedelta(days=days), name=name)
    source.add_run("4", NOW - timedelta(days=60), sport=Sport.RIDE, name="Old ride")
    return source


def test_a_rule_fault_on_one_old_run_costs_only_its_note_and_the_next_pass_writes_it(
    store: Stores, diary: PainDiary, athlete: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Summaries older than the window are stored and annotated together; a fault in the rules for one of them
    costs only that run's note: it is stored on its own (the cursor never waits on a rule's bug, which would re-list
    years of history every pass), the fault reported, the others stored with their notes, none queued for the
    platform; the next pass, the fault gone, writes its note."""
    source = _history_source()
    repos = sync_repositories(store, diary)
    crash_rules_on(monkeypatch, lambda activity: activity.name == "Old B")

    report = sync_account(repos, account_record(athlete), source, AnnotationPolicy(), HISTORY, now=NOW)

    assert _names(store, athlete) == {"Old A": True, "Old B": False, "Old ride": True, "Old C": True, "Fresh": True}
    old_b = store.find_activity_id("strava", "2")
    assert report.unstored == [] and [(ext, "RuleCrashError" in why) for ext, why in report.skipped] == [
        (str(old_b), True)
    ]
    assert report.cursor is not None and int(report.cursor) >= int((NOW - timedelta(days=2)).timestamp())
    fresh = store.find_activity_id("strava", "5")
    assert {activity_id for activity_id, _p, _n in pending(store)} <= {fresh}  # old notes are never written back

    monkeypatch.undo()  # the fault gone: the next pass annotates it from what is stored
    again = sync_account(
        repos, account_record(athlete, report.cursor), source, AnnotationPolicy(), HISTORY, now=NOW + timedelta(hours=1)
    )
    assert again.unstored == [] and again.skipped == []
    assert _names(store, athlete) == {"Old A": True, "Old B": True, "Old ride": True, "Old C": True, "Fresh": True}


def test_old_summaries_are_stored_and_annotated_in_one_unit_of_work_per_chunk(
    store: Stores, diary: PainDiary, athlete: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chunks of `BATCH_SIZE` summaries: a chunk whose unit of work fails is tried one summary at a time, so with a
    chunk of two the fault costs only its own run."""
    monkeypatch.setattr(sync_pipeline, "BATCH_SIZE", 2)
    units: list[int] = []
    real = sync_pipeline._held_in_unit_of_work

    def counted(run: object, policy: AnnotationPolicy, held: Sequence[object]) -> None:
        units.append(len(held))
        real(run, policy, held)  # type: ignore[arg-type]

    monkeypatch.setattr(sync_pipeline, "_held_in_unit_of_work", counted)
    crash_rules_on(monkeypatch, lambda activity: activity.name == "Old C")

    report = sync_account(
        sync_repositories(store, diary),
        account_record(athlete),
        _history_source(),
        AnnotationPolicy(),
        HISTORY,
        now=NOW,
    )

    assert units == [2, 2, 1, 1]  # (Old A, Old B), then (Old ride, Old C) failing, then each of them alone
    assert report.unstored == [] and [ext for ext, _why in report.skipped] == [
        str(store.find_activity_id("strava", "3"))
    ]
    assert _names(store, athlete) == {"Old A": True, "Old B": True, "Old ride": True, "Old C": False, "Fresh": True}


@pytest.mark.parametrize("killed", [False, True])
def test_old_twins_from_two_platforms_are_annotated_as_one_run(
    store: Stores, diary: PainDiary, athlete: int, monkeypatch: pytest.MonkeyPatch, killed: bool
) -> None:
    """A Garmin first sync lists the same old runs as the Strava one before it: each is linked with its twin in
    the unit of work that stores it, with the twin's note redone there, so every note (the later runs' history
    counting each run once) is current and what annotating the store afresh gives, even when the pass is killed
    right after its listing (`killed`: nothing after `_list_changed` runs, no stale mark is left for later)."""
    strava, garmin = _history_source(), replace(_history_source(), source=Source.GARMIN)
    garmin.activities = {ext: replace(a, source=Source.GARMIN) for ext, a in garmin.activities.items()}
    garmin.activities.pop("5")  # the run inside the window: its note waits for its detail, after the listing
    repos = sync_repositories(store, diary)
    sync_account(repos, account_record(athlete), strava, AnnotationPolicy(), HISTORY, now=NOW)
    if killed:
        monkeypatch.setattr(sync_pipeline, "_delete_vanished", _killed)
        with pytest.raises(_KilledError):
            sync_account(
                repos, account_record(athlete, provider="garmin"), garmin, AnnotationPolicy(), HISTORY, now=NOW
            )
        ids = [s.id for s in store.iter_activities(athlete_id=athlete)]
        assert len(ids) == 9
        notes = _notes(store, ids)
        annotate_batch(batch_repositories(store, diary), ids, AnnotationPolicy(), now=NOW)
        assert _notes(store, ids) == notes
        return

    report = sync_account(
        repos, account_record(athlete, provider="garmin"), garmin, AnnotationPolicy(), HISTORY, now=NOW
    )

    assert report.unstored == [] and report.skipped == [] and report.linked == 4
    ids = [s.id for s in store.iter_activities(athlete_id=athlete)]
    notes = _notes(store, ids)
    assert len(ids) == 9 and None not in notes.values()
    annotate_batch(batch_repositories(store, diary), ids, AnnotationPolicy(), now=NOW)
    assert _notes(store, ids) == notes


class _KilledError(Exception):
    """The pass killed right after its listing."""


def _killed(_run: object) -> None:
    raise _KilledError


def _notes(store: Stores, ids: list[int]) -> dict[int, tuple[str, str | None] | None]:
    """Each activity's current annotation: its rules version and note (a ride's is None), None if it has none."""
    latest = {i: store.latest_annotation(i) for i in ids}
    return {i: (a.rules_version, a.note) if a is not None else None for i, a in latest.items()}


# ---- history streams: an older run's fetched detail stored with its new note in one unit of work -----------------

WAITING = "(no streams yet)"
OLD_RUNS = ("1", "2", "3")  # Old A, Old B, Old C: the runs older than the window, their streams on the platform


def _fetching(per_pass: int = 25) -> PipelineOptions:
    return replace(HISTORY, history=HistoryFetch(requests_left=lambda: 100, per_pass=per_pass))


def _with_summaries_only(store: Stores, diary: PainDiary, athlete: int) -> tuple[SyncRepositories, ListSource]:
    """A first sync without the history fetch: the older runs stored from their summaries, noted "no streams yet"."""
    source = _history_source()
    repos = sync_repositories(store, diary)
    sync_account(repos, account_record(athlete), source, AnnotationPolicy(), HISTORY, now=NOW)
    for ext in OLD_RUNS:
        assert WAITING in _old_note(store, ext)
    return repos, source


def _old_note(store: Stores, ext: str) -> str:
    latest = store.latest_annotation(store.find_activity_id("strava", ext) or 0)
    assert latest is not None and latest.note is not None
    return latest.note


def _streams_with_old_note(store: Stores) -> list[str]:
    """The older runs whose streams are stored while their note still says they wait for them."""
    found = []
    for ext in OLD_RUNS:
        stored = store.get_activity(store.find_activity_id("strava", ext) or 0, with_streams=True)
        if stored.activity.streams is not None and WAITING in _old_note(store, ext):
            found.append(ext)
    return found


class _Watched(_WrappedUnitOfWork):
    """The store's unit of work; entering it first records which older runs hold their streams with the old note:
    between two units of work there must be none."""

    def __init__(self, uow: UnitOfWork, store: Stores, seen: list[list[str]]) -> None:
        super().__init__(uow)
        self._store, self._seen = store, seen

    def entering(self) -> None:
        self._seen.append(_streams_with_old_note(self._store))


@dataclass(frozen=True)
class _WatchedUnits:
    """The sync's units of work, each `_Watched`."""

    units: UnitsOfWork
    store: Stores
    seen: list[list[str]]

    def unit_of_work(self) -> _Watched:
        return _Watched(self.units.unit_of_work(), self.store, self.seen)


def test_an_older_runs_streams_and_its_new_note_are_committed_in_one_unit_of_work(
    store: Stores, diary: PainDiary, athlete: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The history fetch stores each older run's detail and streams with its note redone from them in one unit of
    work: at no boundary between units of work (where a crash could stop the pass) does a run hold its streams
    under its old "no streams yet" note; at the end every note is what annotating the store afresh gives, none of
    them queued for the platform."""
    repos, source = _with_summaries_only(store, diary, athlete)
    seen: list[list[str]] = []
    assert repos.batch is not None
    watched = _WatchedUnits(repos.units, store, seen)
    repos = replace(repos, units=watched, batch=replace(repos.batch, units=watched))

    report = sync_account(
        repos, account_record(athlete), source, AnnotationPolicy(), _fetching(), now=NOW + timedelta(hours=1)
    )

    assert report.history_fetched == 3 and report.skipped == [] and report.failed == []
    assert seen and all(found == [] for found in seen)
    assert all(WAITING not in _old_note(store, ext) for ext in OLD_RUNS)
    ids = [s.id for s in store.iter_activities(athlete_id=athlete)]
    notes = _notes(store, ids)
    annotate_batch(batch_repositories(store, diary), ids, AnnotationPolicy(), now=NOW + timedelta(hours=1))
    assert _notes(store, ids) == notes
    old = {store.find_activity_id("strava", ext) for ext in OLD_RUNS}
    assert [item for item in pending(store) if item[0] in old] == []


def test_a_pass_killed_after_the_history_fetch_leaves_the_fetched_run_with_its_new_note(
    store: Stores, diary: PainDiary, athlete: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Killed right after the history fetch (nothing redone after it): the run fetched has its streams and the note
    made from them, current, the one annotating the store afresh gives; the next pass fetches it no more."""
    repos, source = _with_summaries_only(store, diary, athlete)
    monkeypatch.setattr(sync_pipeline, "_annotate_history", lambda _run, _policy: _killed(_run))
    later = NOW + timedelta(hours=1)

    with pytest.raises(_KilledError):
        sync_account(repos, account_record(athlete), source, AnnotationPolicy(), _fetching(per_pass=1), now=later)

    newest = store.find_activity_id("strava", "3") or 0  # Old C: the newest older run, fetched first
    assert store.get_activity(newest, with_streams=True).activity.streams is not None
    note = _notes(store, [newest])
    assert note[newest] is not None and WAITING not in (note[newest][1] or "")
    annotate_batch(batch_repositories(store, diary), [newest], AnnotationPolicy(), now=later)
    assert _notes(store, [newest]) == note
    monkeypatch.undo()
    source.fetches.clear()
    sync_account(repos, account_record(athlete), source, AnnotationPolicy(), _fetching(per_pass=1), now=later)
    assert "3" not in source.fetches


def test_a_rule_fault_on_an_older_runs_streams_keeps_them_and_its_note_is_retried(
    store: Stores, diary: PainDiary, athlete: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The documented fallback: the rules fail on an older run's streams, so its unit of work keeps nothing; its
    detail is then stored on its own (the request spent on it is not lost), its note marked stale, retried with the
    history in the same pass and the fault reported; the next pass, the fault gone, writes its note without
    fetching it again. The other older runs are stored with their notes."""
    repos, source = _with_summaries_only(store, diary, athlete)
    crash_rules_on(monkeypatch, lambda activity: activity.name == "Old B" and activity.streams is not None)
    old_b = store.find_activity_id("strava", "2") or 0
    later = NOW + timedelta(hours=1)

    report = sync_account(repos, account_record(athlete), source, AnnotationPolicy(), _fetching(), now=later)

    assert report.history_fetched == 3 and report.failed == []
    assert [(ext, "RuleCrashError" in why) for ext, why in report.skipped] == [(str(old_b), True)]
    assert store.get_activity(old_b, with_streams=True).activity.streams is not None
    latest = store.latest_annotation(old_b)
    assert latest is not None and latest.rules_version == STALE  # not current: redone by the next pass
    assert WAITING not in _old_note(store, "1") and WAITING not in _old_note(store, "3")

    monkeypatch.undo()
    source.fetches.clear()
    again = sync_account(repos, account_record(athlete), source, AnnotationPolicy(), _fetching(), now=later)
    assert again.skipped == [] and "2" not in source.fetches
    redone = store.latest_annotation(old_b)
    assert redone is not None and redone.rules_version != STALE and WAITING not in _old_note(store, "2")
