"""Use case: one account's incremental sync from any `Source` (Strava, Garmin Connect, a watched folder).

One pass: list what changed since the cursor (less an overlap, at least the last `rescan` days) → diff against
what is stored (store new and changed summaries; decide what each run still needs) → mark what vanished from the
listing as deleted → fetch the detail of runs inside the annotation window, newest first (a tight budget goes to
what the athlete just did) → group cross-platform twins (syncd.services.identity) → annotate every activity in the
window that lacks a current annotation, oldest first, and queue its notes → advance the cursor, never past a run
still waiting for its detail.

The one rule for what is annotated (issue 27): every stored activity gets its annotation in the pass that stores
it, whatever its sport and age, so `syncd reannotate` right after a sync re-runs nothing and every surface (feed,
JSON API, `?annotated=0`) says the same of a ride as of a run. A run inside the window is annotated once its detail
is in; a non-run (ride, yoga, strength, …) from its summary: the rules flag runs only, so its detail is never
fetched and its annotation is one row with no flags and no note. A run whose sport changes to another loses its
flags in the pass that stores the change.

History that is whole: runs older than the window are stored from the listing and annotated locally (never
written back), their notes saying "no streams yet" where a check needs the samples: new and changed summaries are
held while the listing goes on and stored with their notes a chunk (`BATCH_SIZE`) per unit of work, so a crash
leaves no stored activity without its note (`_store_held`; a failing chunk is tried one summary per unit of
work; one whose rules fail is stored on its own, its note retried and the fault reported). Their detail and streams are
fetched in the background, newest first, only from the requests the platform budget leaves over
(`PipelineOptions.history`): each is fetched first (no transaction open across a request), then stored with its new
note in one unit of work, the later notes whose history it changed marked there and redone in the same pass
(`_store_history`; one whose rules fail is stored on its own, its note retried and the fault reported).

What a run still needs is decided in one place (`_needs_detail`, `_annotation_candidates`), from what is stored, so
a pass killed at any point is finished by the next one (also by a one-shot `syncd sync`). Faults: a rate limit
stops this account's fetching (the rest waits for the next poll); a transient fault defers that run to the next
poll; a bad payload (non-JSON 200, wrong shape) defers that run with backoff and is reported as failed; a 404
skips it; a refused token or an inactive app is raised for the caller to handle.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from syncd.domain.history import summarize
from syncd.domain.model import Activity
from syncd.errors import PayloadError, RowRefusedError
from syncd.logging import get_logger
from syncd.platform_errors import PlatformError
from syncd.ports import FetchedActivity, Source, SourceSummary
from syncd.records import SyncFailure
from syncd.services.annotating import (
    BATCH_SIZE,
    AnnotationPolicy,
    annotate_batch,
    annotate_in,
    annotate_marked,
    batch_in,
    mark_later,
    policy_for_athlete,
)
from syncd.services.chunks import chunk_or_each
from syncd.services.identity import imported_streams, link_all, link_one, may_have_twins, retire_imported_twin
from syncd.services.pain_diary import apply_stored_tag
from syncd.storable import refused_fields

if TYPE_CHECKING:
    from syncd.ports import (
        ActivityRepository,
        AnnotationRepository,
        AthleteRepository,
        PainDiary,
        TwinRepository,
        UnitOfWork,
        UnitsOfWork,
    )
    from syncd.records import AccountRecord, StoredActivity
    from syncd.services.annotating import BatchRepositories, StoredOutcome

FAILURE_BACKOFF = timedelta(minutes=15)
FAILURE_BACKOFF_MAX = timedelta(days=1)
Providers = Callable[[Activity], Iterable[str]]
log = get_logger("syncd.sync")


def _no_providers(_activity: Activity) -> Iterable[str]:
    return ()


@dataclass(frozen=True)
class SyncRepositories:
    """What one account's sync reads and changes: a unit of work per run (store, annotate, queue) and per twin
    link, the athletes (their settings), the activities, their notes and twin groups, the batch paths (None: a
    store that annotates one run at a time and keeps no stale marks, as the unit tests' fakes) and the diary (None:
    none is kept)."""

    units: UnitsOfWork
    athletes: AthleteRepository
    activities: ActivityRepository
    annotations: AnnotationRepository
    twins: TwinRepository
    batch: BatchRepositories | None = None
    diary: PainDiary | None = None


@dataclass(frozen=True)
class HistoryFetch:
    """Fetching the detail and streams of runs older than the annotation window: at most `per_pass` a pass, each
    only while `requests_left()` (what the platform's budget leaves over for it, asked before each run) covers its
    `requests_per_run`."""

    requests_left: Callable[[], int]
    requests_per_run: int = 2
    per_pass: int = 25


@dataclass(frozen=True)
class PipelineOptions:
    annotation_window: timedelta = timedelta(days=30)
    rescan: timedelta = timedelta(days=7)
    # The first sync lists this far back before the window (None: everything). Listing is cheap and feeds load,
    # cross-training and the feed; only runs inside the annotation window cost more.
    first_history: timedelta | None = None
    overlap: timedelta = timedelta(hours=2)
    write_back_providers: Providers = _no_providers
    history: HistoryFetch | None = None  # None: older runs keep their summaries (no background fetch)


@dataclass
class SyncReport:
    account_id: int
    listed: int = 0
    stored: int = 0
    detailed: int = 0
    deleted: int = 0
    annotated: int = 0
    queued: int = 0
    pending: int = 0
    linked: int = 0  # activities found to be the same run as another platform's
    history_fetched: int = 0  # runs older than the window whose streams came in this pass
    history_waiting: int = 0  # runs older than the window whose streams are still on the platform
    skipped: list[tuple[str, str]] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # bad payloads, deferred with backoff
    unstored: list[tuple[str, str]] = field(default_factory=list)  # the database refused them; tried again
    cleaned: list[tuple[str, str]] = field(default_factory=list)  # stored without characters a database refuses
    stopped: str | None = None
    resume_at: datetime | None = None
    cursor: str | None = None


@dataclass(frozen=True)
class _Wanted:
    """A run inside the annotation window whose detail must be fetched."""

    summary: SourceSummary
    stored_id: int
    waiting: bool = False  # a bad payload's backoff has not elapsed yet


@dataclass(frozen=True)
class _Detail:
    """A run's fetched detail, held until it is stored in the same transaction as its annotation."""

    summary: SourceSummary
    fetched: FetchedActivity


@dataclass(frozen=True)
class _Held:
    """A new or changed summary older than the window, held until it is stored with its note (`_store_held`)."""

    summary: SourceSummary
    activity: Activity
    record: Mapping[str, Any]


@dataclass
class _Pass:
    repos: SyncRepositories
    account: AccountRecord
    source: Source
    options: PipelineOptions
    now: datetime
    report: SyncReport
    after: datetime
    seen: set[str] = field(default_factory=set)  # external ids listed (deletions are what is missing)
    newest: datetime | None = None  # the newest listed start (the cursor)
    complete: bool = False
    wanted: list[_Wanted] = field(default_factory=list)
    touched: list[int] = field(default_factory=list)
    fetched: list[int] = field(default_factory=list)
    pending: list[datetime] = field(default_factory=list)
    moved: list[datetime] = field(default_factory=list)  # starts of activities that entered or left the history
    details: dict[int, _Detail] = field(default_factory=dict)  # fetched, stored with their annotation (by id)
    failed: set[int] = field(default_factory=set)  # ids whose annotation failed: not tried again, tags not read
    held: list[_Held] = field(default_factory=list)  # listed, stored with their notes a chunk at a time
    uow: UnitOfWork = field(init=False)

    def __post_init__(self) -> None:
        self.uow = self.repos.units.unit_of_work()

    @property
    def window_start(self) -> datetime:
        return self.now - self.options.annotation_window


def sync_account(
    repos: SyncRepositories,
    account: AccountRecord,
    source: Source,
    policy: AnnotationPolicy,
    options: PipelineOptions,
    *,
    now: datetime,
) -> SyncReport:
    """Sync one account; raises a PlatformError that needs the caller (re-link, app inactive), never for one run."""
    report = SyncReport(account.id, cursor=account.sync_cursor)
    run = _Pass(repos, account, source, options, now, report, _start(account, options, now))
    _list_changed(run, policy)
    _delete_vanished(run)
    _fetch_needed(run)
    _mark_later(run, run.moved)  # what a late upload or a deletion changed: redone in this pass
    annotated = _annotate(run, policy, run.fetched)  # each fetched run stored, annotated and queued at once
    candidates, alone = _link_candidates(run)
    groups = link_all(repos.units, candidates)  # each activity's link in a unit of work of its own
    run.report.linked = len(groups)
    twins = {i for g in groups for i in g.activity_ids}
    merged = [g.activity_ids[0] for g in groups if alone.intersection(g.activity_ids)]  # newly linked: counted once
    _mark_later(run, [repos.activities.get_activity(i, with_streams=False).activity.start_utc for i in merged])
    annotated |= _annotate(run, policy, sorted(twins | set(_unannotated(run, policy))))
    _fetch_history(run, policy)
    _annotate_history(run, policy)
    _read_title_tags(run, policy, skip=annotated | run.failed)  # a failed run's tag waits for its note
    _annotate_marked(run, policy)
    run.report.cursor = _advance_cursor(run)
    return run.report


def _mark_later(run: _Pass, starts: list[datetime]) -> None:
    """The notes whose history these starts changed are marked, and redone in this pass (`_annotate_marked`)."""
    if run.repos.batch is not None:
        mark_later(run.repos.batch, run.account.athlete_id, starts)


def _cursor_time(cursor: str | None) -> datetime | None:
    return datetime.fromtimestamp(int(cursor), UTC) if cursor and cursor.isdigit() else None


def _start(account: AccountRecord, options: PipelineOptions, now: datetime) -> datetime:
    """Where the listing starts: the cursor less an overlap, at least the re-scan window; first sync: the history."""
    cursor = _cursor_time(account.sync_cursor)
    if cursor is not None:
        return min(cursor - options.overlap, now - options.rescan)
    if options.first_history is not None:
        return now - options.annotation_window - options.first_history
    return datetime.fromtimestamp(0, UTC)


# ---- 1. list ---------------------------------------------------------------------------------------------------


def _list_changed(run: _Pass, policy: AnnotationPolicy) -> None:
    """Each listed page read into the model and diffed against the store as it arrives: a first sync of years of
    history holds one page (and at most a chunk of summaries older than the window) at a time, never the whole
    list. A listing fault stops the listing (pages so far are kept, the summaries held stored)."""
    report = run.report
    try:
        for page in run.source.list_pages(run.after):
            report.listed += len(page)
            summaries = [s for s in (_read(run, payload) for payload in page) if s is not None]
            for summary in summaries:
                run.seen.add(summary.external_id)
                start = summary.activity.start_utc
                run.newest = start if run.newest is None else max(run.newest, start)
            _diff_against_stored(run, summaries)
            _store_held(run, policy, whole_chunks=True)
        run.complete = True
    except PlatformError as exc:
        if exc.needs_relink or exc.app_inactive:
            raise
        report.stopped, report.resume_at = str(exc), exc.retry_after
    _store_held(run, policy, whole_chunks=False)


def _read(run: _Pass, payload: Mapping[str, Any]) -> SourceSummary | None:
    try:
        return run.source.read_summary(payload)
    except PayloadError as exc:
        raw_id = payload.get("id", payload.get("activityId"))
        run.report.skipped.append((str(raw_id), str(exc)))
        log.warning("payload_skipped", source=run.source.provider, activity_id=raw_id, error=str(exc))
        return None


# ---- 2. diff against stored -----------------------------------------------------------------------------------


def _diff_against_stored(run: _Pass, summaries: Iterable[SourceSummary]) -> None:
    """Store new and changed summaries; note the runs that need their detail.

    A changed run that already has its detail keeps its stored summary until the new detail is in, so a pass that
    stops before fetching it (rate limit, fault, kill) still sees the change next time.
    """
    for summary in summaries:
        existing = run.repos.activities.find_activity_id(run.source.provider, summary.external_id)
        raw: Mapping[str, Any] = {}
        failure: SyncFailure | None = None
        if existing is not None:
            stored = run.repos.activities.get_activity(existing, with_streams=False)
            raw, failure = stored.raw, stored.sync_failure
        changed = run.source.is_changed(summary.payload, raw)
        needs = _needs_detail(run, summary, raw, changed, failed=failure is not None)
        stored_id = existing
        if needs and existing is None and _whole_in_listing(run, summary):
            stored_id = _store_with_note(run, summary)
        elif changed and not needs and _annotated_from_listing(run, summary):
            _hold(run, summary, raw)
        elif changed and not (needs and run.source.has_detail(raw)):
            stored_id = _store_summary(run, summary, raw, mark=_from_summary(run, summary.activity))
        if needs and stored_id is not None:
            waiting = failure is not None and failure.retry_at > run.now  # a bad payload's backoff not elapsed
            run.wanted.append(_Wanted(summary, stored_id, waiting=waiting))


def _needs_detail(run: _Pass, summary: SourceSummary, raw: Mapping[str, Any], changed: bool, *, failed: bool) -> bool:
    """The one rule: a run inside the annotation window whose summary changed, whose detail was never stored, or
    whose last fetch failed. A non-run's detail is never fetched: it is annotated from its summary (`_from_summary`)."""
    activity = summary.activity
    in_window = activity.sport.is_run and activity.start_utc >= run.window_start
    return in_window and (changed or not run.source.has_detail(raw) or failed)


def _from_summary(run: _Pass, activity: Activity) -> bool:
    """A non-run inside the window: annotated from its summary alone (the rules flag runs only, so its detail is
    never fetched), in the pass that stores it. Marked when stored, so a changed one (a run turned into a ride)
    is redone although its old annotation carries the current rules version, even by the next pass if this one
    is killed first."""
    return not activity.sport.is_run and activity.start_utc >= run.window_start


def _whole_in_listing(run: _Pass, summary: SourceSummary) -> bool:
    """Whether the listing carries the run's whole record (a watched folder's file), so its detail costs nothing."""
    try:
        return run.source.has_detail(run.source.summary_record(summary.payload, {})[1])
    except PayloadError:
        return False


def _store_with_note(run: _Pass, summary: SourceSummary) -> int:
    """A new run whose listing is its whole record is not stored from the listing: it is stored once, with its note,
    in its unit of work (`_annotate`). Until then it goes by a stand-in id (negative: no row has it)."""
    run.moved.append(summary.activity.start_utc)  # it will be new: the notes after it change
    return -(len(run.wanted) + 1)


def _annotated_from_listing(run: _Pass, summary: SourceSummary) -> bool:
    """Whether the summary is annotated locally from what the listing stores (older than the window; the batch
    paths kept), so it is stored with its note (`_store_held`) rather than on its own."""
    return run.repos.batch is not None and summary.activity.start_utc < run.window_start


def _hold(run: _Pass, summary: SourceSummary, raw: Mapping[str, Any]) -> None:
    try:
        activity, record = run.source.summary_record(summary.payload, raw)
    except PayloadError as exc:
        run.report.skipped.append((summary.external_id, str(exc)))
        return
    run.held.append(_Held(summary, activity, record))


def _store_held(run: _Pass, policy: AnnotationPolicy, *, whole_chunks: bool) -> None:
    """The summaries held, `BATCH_SIZE` at a time (`whole_chunks`: only full chunks, the rest held on), each chunk
    stored and annotated in one unit of work."""
    while len(run.held) >= (BATCH_SIZE if whole_chunks else 1):
        chunk, run.held = run.held[:BATCH_SIZE], run.held[BATCH_SIZE:]
        _store_chunk(run, policy, chunk)


def _store_chunk(run: _Pass, policy: AnnotationPolicy, held: Sequence[_Held]) -> None:
    """The chunk in one unit of work; when it fails, each summary alone (oldest first), in a unit of work of its
    own, each stored with its note; the faulty one stored on its own (a row the database refuses: not stored,
    listed again next pass, the cursor before it)."""

    def faulty(one: _Held, exc: Exception) -> None:
        if isinstance(exc, RowRefusedError):
            _not_stored(run, one.summary, exc)
            return
        # The rules' fault, not the row's: kept without its note, like a detail (`_store_left`). Not held back: the
        # cursor waiting on a rule's bug would re-list years of history every pass, spending the platform's budget.
        # `_annotate_history` retries its note in this pass and reports the fault.
        _store_record(run, one.summary, one.activity, one.record)

    chunk_or_each(
        held,
        lambda some: _held_in_unit_of_work(run, policy, some),
        order=lambda one: one.activity.start_utc,
        on_fault=faulty,
    )


def _held_in_unit_of_work(run: _Pass, policy: AnnotationPolicy, held: Sequence[_Held]) -> None:
    """Upsert the summaries, link their twins, mark the notes a new one changes and annotate them (oldest first,
    locally: never queued), committed together; a fault anywhere raises and nothing of it is kept."""
    repos = run.repos.batch
    assert repos is not None  # held only with the batch paths (`_annotated_from_listing`)
    athlete_id = run.account.athlete_id
    with run.uow as uow:
        stored = [(h, uow.activities.upsert_activity(athlete_id, h.activity, h.record)) for h in held]
        starts = {result.activity_id: h.activity.start_utc for h, result in stored}
        created = {result.activity_id for _h, result in stored if result.created}
        batch = batch_in(repos, uow)
        mark_later(batch, athlete_id, [starts[i] for i in created] + _link_held(run, uow, starts, created))
        ordered = sorted(starts, key=lambda i: (starts[i], i))
        outcomes = annotate_batch(batch, ordered, policy, now=run.now)
        uow.commit()
    for h, result in stored:
        _report_cleaned(run, h.summary.external_id, h.activity)
        run.touched.append(result.activity_id)
    run.report.stored += len(stored)
    run.report.annotated += len(outcomes)


def _link_held(run: _Pass, uow: UnitOfWork, starts: dict[int, datetime], created: set[int]) -> list[datetime]:
    """The chunk's runs grouped with their twins (another platform's copy, an imported file) before they are
    annotated, so each note counts the run once; their twins older than the window are added to `starts` (annotated
    again with them). Returns the starts of the groups a new run joined (the later runs' history changed)."""
    if not may_have_twins(run.source.provider):
        return []
    moved: list[datetime] = []
    for activity_id in list(starts):
        linked = link_one(uow, activity_id)
        if linked is None:
            continue
        for twin in linked.activity_ids:
            start = starts.get(twin) or uow.activities.get_activity(twin, with_streams=False).activity.start_utc
            if start < run.window_start:
                starts.setdefault(twin, start)
            if activity_id in created:
                moved.append(start)
    return moved


def _store_summary(run: _Pass, summary: SourceSummary, raw: Mapping[str, Any], *, mark: bool = False) -> int | None:
    """The summary stored (marked until annotated when `mark`); its id, or None when it could not be."""
    try:
        activity, record = run.source.summary_record(summary.payload, raw)
    except PayloadError as exc:
        run.report.skipped.append((summary.external_id, str(exc)))
        return None
    return _store_record(run, summary, activity, record, mark=mark)


def _store_record(
    run: _Pass, summary: SourceSummary, activity: Activity, record: Mapping[str, Any], *, mark: bool = False
) -> int | None:
    """One listed summary stored on its own (its annotation, if any, follows in this pass)."""
    try:
        result = run.repos.activities.upsert_activity(run.account.athlete_id, activity, record, needs_annotation=mark)
    except RowRefusedError as exc:
        _not_stored(run, summary, exc)
        return None
    _report_cleaned(run, summary.external_id, activity)
    run.report.stored += 1
    if result.created:
        run.moved.append(activity.start_utc)
    run.touched.append(result.activity_id)
    return result.activity_id


def _not_stored(run: _Pass, summary: SourceSummary, exc: Exception) -> None:
    """The database refused this one run (or a run stored only with its note failed before it was kept): the rest of
    the account goes on, the cursor stays before it (so the next pass tries again) and the account shows it
    (syncd.services.account_sync). The message names no contents."""
    why = (
        str(exc)
        if isinstance(exc, RowRefusedError)
        else f"not stored, its annotation failed: {type(exc).__name__}: {exc}"
    )
    run.report.unstored.append((summary.external_id, why))
    run.pending.append(summary.activity.start_utc)
    log.warning("activity_not_stored", source=run.source.provider, activity_id=summary.external_id, error=why)


def _report_cleaned(run: _Pass, external_id: str, activity: Activity) -> None:
    """Say which of a run's texts held a character some database refuses (stored without it; raw keeps it escaped)."""
    fields = refused_fields({"name": activity.name, "description": activity.description})
    if not fields:
        return
    cleaned = run.report.cleaned
    known = [i for i, (ext_id, _) in enumerate(cleaned) if ext_id == external_id]
    if known:  # the summary had the name, the detail adds the description: one line per run
        fields = sorted(set(fields) | set(cleaned.pop(known[0])[1].split(", ")), key=("name", "description").index)
    cleaned.append((external_id, ", ".join(fields)))
    log.info("activity_text_cleaned", source=run.source.provider, activity_id=external_id, fields=fields)


# ---- 3. deletions ---------------------------------------------------------------------------------------------


def _delete_vanished(run: _Pass) -> None:
    """Activities missing from a complete listing of the re-scanned range were deleted on the source."""
    if not run.complete or not run.source.deletes_missing:
        return
    since = run.after + timedelta(seconds=1)
    provider = run.source.provider
    stored = run.repos.activities.platform_ids_since(run.account.athlete_id, provider, since)  # ids and starts only
    for external_id, start in stored:
        if (
            external_id not in run.seen
            and start <= run.now
            and run.repos.activities.mark_deleted(provider, external_id)
        ):
            run.report.deleted += 1
            run.moved.append(start)
            log.info("activity_deleted", source=provider, activity_id=external_id)


# ---- 4. fetch -------------------------------------------------------------------------------------------------


def _fetch_needed(run: _Pass) -> None:
    """Details newest first; a rate limit leaves the rest pending (the cursor stays before them)."""
    wanted = sorted(run.wanted, key=lambda w: w.summary.activity.start_utc, reverse=True)
    for index, item in enumerate(wanted):
        start = item.summary.activity.start_utc
        if run.report.resume_at is not None:
            run.pending.extend(w.summary.activity.start_utc for w in wanted[index:])
            break
        if item.waiting:
            run.pending.append(start)
            continue
        try:
            copy = imported_streams(run.repos.activities, run.source.provider, item.summary.external_id)
            fetched = run.source.fetch(item.summary, copy)
        except PlatformError as exc:
            _fetch_failed(run, item, exc)
            continue
        except PayloadError as exc:
            if item.stored_id < 0:  # never stored: listed again next pass
                _not_stored(run, item.summary, exc)
            else:
                _defer_bad_payload(run, item, exc)
            continue
        run.details[item.stored_id] = _Detail(item.summary, fetched)  # stored with its annotation (_annotate)
        run.fetched.append(item.stored_id)
        run.touched.append(item.stored_id)
        run.report.detailed += 1
    run.report.pending = len(run.pending)


def _fetch_one(run: _Pass, summary: SourceSummary) -> _Detail:
    """Fetch one run's detail over the network, before any transaction is open (a run older than the window)."""
    fetched = run.source.fetch(
        summary, imported_streams(run.repos.activities, run.source.provider, summary.external_id)
    )
    return _Detail(summary, fetched)


def _store_detail(run: _Pass, store: ActivityRepository, detail: _Detail, *, mark: bool) -> int:
    """The run's shoe, its detail (marked until annotated when `mark`), its imported copy retired."""
    athlete_id, external_id = run.account.athlete_id, detail.summary.external_id
    if detail.fetched.gear is not None:
        store.upsert_gear(athlete_id, detail.fetched.gear)
    result = store.upsert_activity(athlete_id, detail.fetched.activity, detail.fetched.raw, needs_annotation=mark)
    _report_cleaned(run, external_id, detail.fetched.activity)
    retire_imported_twin(store, run.source.provider, external_id)
    return result.activity_id


def _fetch_failed(run: _Pass, item: _Wanted, exc: PlatformError) -> None:
    """One outcome per kind of fault; only a re-link or an inactive app leaves the pass."""
    ext_id, start = item.summary.external_id, item.summary.activity.start_utc
    if exc.needs_relink or exc.app_inactive:
        raise exc
    if exc.retry_after is not None:
        run.report.stopped, run.report.resume_at = str(exc), exc.retry_after
        run.pending.append(start)
    elif exc.bad_payload:
        _defer_bad_payload(run, item, exc)
    elif exc.permanent:
        run.report.skipped.append((ext_id, str(exc)))
        log.warning("activity_skipped", source=run.source.provider, activity_id=ext_id, error=str(exc))
    else:  # transient faults that outlived their retries: try again next poll
        run.pending.append(start)
        run.report.skipped.append((ext_id, str(exc)))
        log.warning("activity_deferred", source=run.source.provider, activity_id=ext_id, error=str(exc))


def _remember_failure(run: _Pass, stored_id: int, exc: Exception) -> tuple[int, datetime]:
    """The failure kept with the run (its own column), with a growing backoff: (attempts so far, next try)."""
    previous = run.repos.activities.get_activity(stored_id, with_streams=False).sync_failure
    attempts = previous.attempts + 1 if previous is not None else 1
    retry_at: datetime = run.now + min(FAILURE_BACKOFF * 2 ** (attempts - 1), FAILURE_BACKOFF_MAX)
    run.repos.activities.record_sync_failure(stored_id, SyncFailure(attempts, retry_at, str(exc)))
    return attempts, retry_at


def _defer_bad_payload(run: _Pass, item: _Wanted, exc: Exception) -> None:
    """Keep the run pending, remember the failure with a growing backoff, report it as failed."""
    attempts, retry_at = _remember_failure(run, item.stored_id, exc)
    run.pending.append(item.summary.activity.start_utc)
    run.report.failed.append((item.summary.external_id, f"{exc}; will try again after {retry_at:%Y-%m-%d %H:%M} UTC"))
    log.warning(
        "activity_bad_payload",
        source=run.source.provider,
        activity_id=item.summary.external_id,
        attempts=attempts,
        error=str(exc),
    )


# ---- 5. twins, annotation -------------------------------------------------------------------------------------


def _link_candidates(run: _Pass) -> tuple[list[int], set[int]]:
    """What this pass stored, and this source's runs still alone since the listing start (a twin may have come);
    and those alone ones (a group holding one of them is a new link)."""
    if not may_have_twins(run.source.provider):
        return [], set()
    alone = run.repos.twins.alone_since(run.account.athlete_id, run.source.provider, run.after)
    ids = dict.fromkeys(run.touched)
    ids.update(dict.fromkeys(alone))
    return list(ids), set(alone)


def _unannotated(run: _Pass, policy: AnnotationPolicy) -> list[int]:
    """This source's activities inside the window without a current annotation (none of the current rules version,
    or new content stored since: marked until annotated): its runs once their detail is in, its other sports
    from their summaries (`_from_summary`)."""
    version = policy_for_athlete(run.repos.athletes, run.account.athlete_id, policy).version
    found = []
    for stored in run.repos.activities.iter_activities(athlete_id=run.account.athlete_id, since=run.window_start):
        act = stored.activity
        if act.source.value != run.source.provider:
            continue
        if act.sport.is_run and not run.source.has_detail(stored.raw):  # a run waits for its detail
            continue
        if stored.needs_annotation:
            found.append(stored.id)
            continue
        latest = run.repos.annotations.latest_annotation(stored.id)
        if latest is None or latest.rules_version != version:
            found.append(stored.id)
    return found


def _annotate(run: _Pass, policy: AnnotationPolicy, ids: Iterable[int]) -> set[int]:
    """Activities inside the window (any sport), oldest first, each stored (a run's fetched detail), annotated and
    queued in one unit of work: a fault anywhere leaves nothing of that activity, which stays pending for the next
    pass, and never stops the others. Fetched details of what is not annotated here are stored on their own.
    Returns those done."""
    done: set[int] = set()
    found = [(i, _activity_of(run, i)) for i in ids if i not in run.failed]
    in_window = [(i, a) for i, a in found if a.start_utc >= run.window_start]
    for activity_id, activity in sorted(in_window, key=lambda r: (r[1].start_utc, r[0])):
        try:
            outcome = _store_and_annotate(run, policy, activity_id)
        except Exception as exc:  # one activity's fault never stops the others
            _annotation_failed(run, activity_id, activity, exc)
            continue
        run.report.annotated += 1
        done.add(outcome.activity_id)
        run.report.queued += outcome.queued_writeback  # saving it cleared the run's needs_annotation mark
    _store_left(run)
    return done


def _activity_of(run: _Pass, activity_id: int) -> Activity:
    """The run as it will be annotated: its fetched detail, or what is stored."""
    detail = run.details.get(activity_id)
    return (
        detail.fetched.activity
        if detail
        else run.repos.activities.get_activity(activity_id, with_streams=False).activity
    )


def _store_and_annotate(run: _Pass, policy: AnnotationPolicy, activity_id: int) -> StoredOutcome:
    with run.uow as uow:
        detail = run.details.get(activity_id)
        stored_id = activity_id
        if detail is not None:
            stored_id = _store_detail(run, uow.activities, detail, mark=True)
        outcome = annotate_in(
            uow, stored_id, policy, now=run.now, write_back_providers=run.options.write_back_providers
        )
        uow.commit()
    run.details.pop(activity_id, None)
    _stored_as(run, activity_id, stored_id)
    return outcome


def _stored_as(run: _Pass, activity_id: int, stored_id: int | None) -> None:
    """A run that went by a stand-in id (`_store_with_note`) is stored as `stored_id` (None: it was not)."""
    if activity_id >= 0:
        return
    run.touched = [i for i in run.touched if i != activity_id]
    if stored_id is not None:
        run.touched.append(stored_id)
        run.report.stored += 1


def _annotation_failed(run: _Pass, activity_id: int, activity: Activity, exc: Exception) -> None:
    """Nothing of the run was stored: a fetched detail is fetched again next pass (the cursor stays before it)."""
    run.failed.add(activity_id)
    detail = run.details.pop(activity_id, None)
    if detail is not None and (isinstance(exc, RowRefusedError) or activity_id < 0):  # nothing of it is stored
        _stored_as(run, activity_id, None)
        _not_stored(run, detail.summary, exc)
    else:
        if detail is not None:
            run.pending.append(activity.start_utc)
        run.report.skipped.append((str(activity_id), f"annotation failed: {type(exc).__name__}: {exc}"))
        log.warning("annotation_failed", activity_id=activity_id, error=str(exc))
    run.report.pending = len(run.pending)


def _store_left(run: _Pass) -> None:
    """Fetched details of runs not annotated in this pass (a detail whose start lies before the window, say),
    stored as they are."""
    for activity_id, detail in list(run.details.items()):
        del run.details[activity_id]
        try:
            stored_id: int | None = _store_detail(run, run.repos.activities, detail, mark=True)
        except RowRefusedError as exc:
            stored_id = None
            _not_stored(run, detail.summary, exc)
        _stored_as(run, activity_id, stored_id)
    run.report.pending = len(run.pending)


def _read_title_tags(run: _Pass, policy: AnnotationPolicy, *, skip: set[int]) -> None:
    """A #back tag typed into a title is read at the next poll whatever the activity's age: the listing carries
    titles, so every new or changed summary is read here (those just annotated were read by the annotation)."""
    if run.repos.diary is None:  # the unit tests' in-memory stores keep no diary
        return
    for activity_id in dict.fromkeys(run.touched):
        if activity_id in skip:
            continue
        with run.uow as uow:  # the entry and the marks it makes, together or not at all
            diary = uow.pain_diary
            if diary is not None:
                stored = uow.activities.get_activity(activity_id, with_streams=False)
                apply_stored_tag(diary, uow.activities, stored, advice=policy.advice, now=run.now)
                uow.commit()


def _annotate_marked(run: _Pass, policy: AnnotationPolicy) -> None:
    """What a change marked stale is redone in this pass, whatever the run's age: a #back tag read just now (or a
    diary entry, a setting since the last pass) reaches the notes of the later runs at once. Notes inside the
    window whose platform text changed are queued; older ones are redone locally only."""
    batch = run.repos.batch
    if batch is None:
        return

    def failed(activity_id: int, exc: Exception) -> None:
        if activity_id in run.failed:  # already reported in this pass (its note stays marked for the next one)
            return
        run.failed.add(activity_id)
        run.report.skipped.append((str(activity_id), f"annotation failed: {type(exc).__name__}: {exc}"))
        log.warning("annotation_failed", activity_id=activity_id, error=str(exc))

    outcomes = annotate_marked(
        batch,
        run.account.athlete_id,
        policy,
        now=run.now,
        write_back_providers=run.options.write_back_providers,
        on_error=failed,
    )
    run.report.annotated += len(outcomes)
    run.report.queued += sum(outcome.queued_writeback for outcome in outcomes)


# ---- 6. history outside the window -----------------------------------------------------------------------------


def _fetch_history(run: _Pass, policy: AnnotationPolicy) -> None:
    """The detail and streams of runs older than the window, newest first, from what the budget leaves over, each
    stored with its note in one unit of work (`_store_history`). Resumable: what is still waiting is read from the
    store each pass. A fault stays with its run (remembered with a backoff, never in the cursor); a rate limit ends
    this pass's fetching, nothing else."""
    history = run.options.history
    repos = run.repos.batch
    if history is None or run.report.resume_at is not None or repos is None:
        return
    waiting = repos.batches.awaiting_streams_ids(run.account.athlete_id, run.source.provider, before=run.window_start)
    fetched = 0
    for activity_id in waiting:
        if fetched >= history.per_pass or history.requests_left() < history.requests_per_run:
            break
        stored = run.repos.activities.get_activity(activity_id, with_streams=False)
        if stored.sync_failure is not None and stored.sync_failure.retry_at > run.now:  # its backoff not elapsed
            continue
        outcome = _fetch_history_one(run, policy, stored)
        if outcome == "stopped":
            break
        fetched += outcome == "fetched"
    run.report.history_fetched = fetched
    run.report.history_waiting = len(waiting) - fetched


def _fetch_history_one(
    run: _Pass, policy: AnnotationPolicy, stored: StoredActivity
) -> Literal["fetched", "failed", "stopped"]:
    """Fetch one older run (over the network first: no transaction is open across a request), then store it with
    its note: "failed" keeps the fault with it, "stopped" when a rate limit ends this pass's fetching."""
    ext_id = stored.activity.external_id
    payload = stored.raw.get("summary")
    try:
        if not isinstance(payload, Mapping):
            raise PayloadError(f"activity {ext_id}: no stored summary to fetch it from; it is listed again later")
        _store_history(run, policy, stored, _fetch_one(run, run.source.read_summary(payload)))
        return "fetched"
    except PlatformError as exc:
        if exc.needs_relink or exc.app_inactive:
            raise
        if exc.retry_after is not None:
            log.info("history_streams_paused", source=run.source.provider, resume_at=exc.retry_after.isoformat())
            return "stopped"
        error: Exception = exc
    except (PayloadError, RowRefusedError) as exc:
        error = exc
    _attempts, retry_at = _remember_failure(run, stored.id, error)
    run.report.failed.append((ext_id, f"{error}; will try again after {retry_at:%Y-%m-%d %H:%M} UTC"))
    log.warning("history_streams_failed", source=run.source.provider, activity_id=ext_id, error=str(error))
    return "failed"


def _store_history(run: _Pass, policy: AnnotationPolicy, stored: StoredActivity, detail: _Detail) -> None:
    """The older run's detail stored, its note redone locally (never queued: it is outside the window) and the
    later notes whose history it changed marked, in one unit of work. A fault in its rules: the fetch is not lost,
    the detail is stored on its own with its note marked stale, which `_annotate_history` retries (reporting the
    fault) in this pass or the next; a row the database refuses raises (the failure kept with the run)."""
    repos = run.repos.batch
    assert repos is not None  # fetched only with the batch paths (`_fetch_history`)
    try:
        with run.uow as uow:
            batch = batch_in(repos, uow)
            activity_id = _store_history_detail(run, batch, stored, detail)
            annotate_batch(batch, [activity_id], policy, now=run.now)  # no write-back providers: never queued
            uow.commit()
    except Exception as exc:  # the rules' fault or the note's: the detail alone, its note retried with the history
        log.warning("history_note_deferred", activity_id=stored.id, error=f"{type(exc).__name__}: {exc}")
        with run.uow as uow:
            batch = batch_in(repos, uow)
            start = stored.activity.start_utc
            batch.batches.mark_stale_between(stored.athlete_id, start - timedelta(microseconds=1), start)
            activity_id = _store_history_detail(run, batch, stored, detail)
            uow.commit()
    run.touched.append(activity_id)


def _store_history_detail(run: _Pass, batch: BatchRepositories, stored: StoredActivity, detail: _Detail) -> int:
    """Store the detail inside the caller's unit of work; when it changed what the later runs' history holds of the
    run (its distance, time, load), their notes are marked, to be redone in this pass (`_annotate_history`,
    `_annotate_marked`) or, if it is killed, the next."""
    activity_id = _store_detail(run, batch.activities, detail, mark=False)
    after = batch.activities.get_activity(activity_id, with_streams=False).activity
    if summarize(after) != summarize(stored.activity):
        mark_later(batch, run.account.athlete_id, [stored.activity.start_utc])
    return activity_id


def _annotate_history(run: _Pass, policy: AnnotationPolicy) -> None:
    """The athlete's activities older than the window without a current annotation (history changed, a new rules
    version, a note whose rules failed; new summaries and fetched streams are stored with their notes, `_store_held`,
    `_store_history`), annotated locally from what is stored: never queued for a platform."""
    batch = run.repos.batch
    if batch is None:
        return
    athlete_id = run.account.athlete_id
    version = policy_for_athlete(run.repos.athletes, athlete_id, policy).version
    stale = batch.batches.stale_ids(athlete_id, version, before=run.window_start)

    def failed(activity_id: int, exc: Exception) -> None:
        run.failed.add(activity_id)
        run.report.skipped.append((str(activity_id), f"annotation failed: {type(exc).__name__}: {exc}"))
        log.warning("annotation_failed", activity_id=activity_id, error=str(exc))

    for first in range(0, len(stale), BATCH_SIZE):  # a chunk's outcomes at a time: years of history stay flat
        chunk = stale[first : first + BATCH_SIZE]
        run.report.annotated += len(annotate_batch(batch, chunk, policy, now=run.now, on_error=failed))


# ---- 7. cursor ------------------------------------------------------------------------------------------------


def _advance_cursor(run: _Pass) -> str | None:
    """The newest start we are done with; never past a run still waiting for its detail."""
    if run.pending:
        return str(int((min(run.pending) - timedelta(seconds=1)).timestamp()))
    if run.newest is None:
        return run.account.sync_cursor
    previous = _cursor_time(run.account.sync_cursor)
    newest = int(run.newest.timestamp())
    return str(max(newest, int(previous.timestamp()) if previous else 0))
