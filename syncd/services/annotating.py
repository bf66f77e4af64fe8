"""Use case: run the rules on an activity with its history, render the note, record what changed.

`annotate_one` is pure (plain data in, plain data out) so `syncd annotate` can use it without a store; the store
functions around it load history and gear, save the annotation and queue write-backs when the note changed.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Literal

from syncd.config import AdviceSettings
from syncd.domain.advice_mode import ModeDecision, choose_mode, platform_mode
from syncd.domain.as_of import AsOf, DiaryInputs, state_as_of
from syncd.domain.flags import Flag
from syncd.domain.history import HISTORY_WINDOW, History, HistoryEntry, history_before
from syncd.domain.mode_notes import advice_for, apply_mode, lead_lines
from syncd.domain.model import Activity, Gear, Source
from syncd.domain.notes import render_note
from syncd.domain.rules import Annotation, RuleContext, evaluate
from syncd.domain.sport_inference import inferred_note_line
from syncd.domain.thresholds import Thresholds
from syncd.ports import InProcess, ParallelMap, SurfaceMap
from syncd.services.annotation_version import annotation_version
from syncd.services.as_of import run_state, subject_of
from syncd.services.athletes import max_heart_rate_of
from syncd.services.pain_diary import DiaryBatch, apply_activity_tag, apply_stored_tag, mode_settings, tag_holders

if TYPE_CHECKING:
    from syncd.ports import (
        ActivityRepository,
        AnnotationBatchRepository,
        AthleteDirectory,
        AthleteRepository,
        GearRepository,
        OutboxRepository,
        PainDiary,
        UnitOfWork,
        UnitsOfWork,
    )
    from syncd.records import LoadedActivity, PackedStreams


Units = Literal["metric", "imperial"]
WhenClean = Literal["line", "none"]


@dataclass(frozen=True)
class AnnotationPolicy:
    """How to annotate: the thresholds and the athlete-facing choices that change the note."""

    thresholds: Thresholds = field(default_factory=Thresholds)
    units: Units = "metric"
    when_clean: WhenClean = "line"
    surface_map: SurfaceMap | None = None
    max_heart_rate: float | None = None
    resting_heart_rate: float | None = None
    threshold_heart_rate: float | None = None
    # `[notes] annotation_window_days`: notes are written back only for activities that started this recently
    # (not part of `version`: it decides where a note goes, not what it says).
    write_back_window: timedelta = timedelta(days=30)
    advice: AdviceSettings = field(default_factory=AdviceSettings)

    @property
    def version(self) -> str:
        """Stored with each annotation: a change here is what makes `reannotate` redo an activity."""
        return annotation_version(
            self.thresholds,
            self.units,
            self.when_clean,
            self.advice,
            self.max_heart_rate,
            resting_heart_rate=self.resting_heart_rate,
            threshold_heart_rate=self.threshold_heart_rate,
        )


@dataclass(frozen=True)
class AnnotatedActivity:
    """`note` is syncd's own (feed, JSON, digest: the mode and its reason in full); `platform_note` is what may be
    written to the activity's platform (its mode only from the athlete's own tags there, docs/pain.md)."""

    activity: Activity
    annotation: Annotation
    note: str | None
    platform_note: str | None = None


def annotate_one(
    activity: Activity,
    history: Sequence[HistoryEntry],
    policy: AnnotationPolicy,
    *,
    gear: Gear | None = None,
    now: datetime | None = None,
    mode: ModeDecision | None = None,
    platform: ModeDecision | None = None,
    state: AsOf | None = None,
) -> AnnotatedActivity:
    """Run the rules on `activity` with `history` cut at its start (whatever else the caller passes is ignored),
    or, given its as-of `state`, on the state's history (cut once, there) and the state's figures.

    `gear` should carry the shoe's distance as of the end of this run (`domain.as_of.shoe_as_of`), not today's.
    `mode` steers the note, `platform` the platform's note (without them: from `[advice]` alone, no diary).
    """
    ctx = RuleContext(
        activity=activity,
        history=history_before(history, activity.start_utc, key=activity.key) if state is None else state.history,
        thresholds=policy.thresholds,
        gear=gear,
        surface_map=policy.surface_map,
        max_heart_rate=policy.max_heart_rate,
        resting_heart_rate=policy.resting_heart_rate,
        threshold_heart_rate=policy.threshold_heart_rate,
        now=now,
        state=state,
    )
    annotation = evaluate(ctx)
    note = platform_note = None
    if activity.sport.is_run:
        # the advice mode (sore now / staying well) weighs the flags and opens the note; without a diary (files
        # annotated without a store) it comes from [advice] mode alone
        if mode is None:
            mode = _mode_without_diary(activity, policy.advice)
        if platform is None:
            platform = _platform_without_diary(activity, policy.advice)
        rule_flags = annotation.flags
        annotation = replace(annotation, flags=apply_mode(rule_flags, mode.mode))
        note = _render(annotation.flags, annotation.data_gaps, mode, policy)
        platform_note = note
        if platform != mode:
            platform_note = _render(apply_mode(rule_flags, platform.mode), annotation.data_gaps, platform, policy)
    guessed = inferred_note_line(activity)
    if guessed is not None:
        note = None if note is None else f"{note}\n{guessed}"
        platform_note = None if platform_note is None else f"{platform_note}\n{guessed}"
    return AnnotatedActivity(activity=activity, annotation=annotation, note=note, platform_note=platform_note)


def _render(flags: Sequence[Flag], gaps: Sequence[str], mode: ModeDecision, policy: AnnotationPolicy) -> str | None:
    return render_note(
        flags,
        units=policy.units,
        when_clean=policy.when_clean,
        lead=lead_lines(mode),
        advice=advice_for(mode.mode, {flag.code for flag in flags}),
        data_gaps=gaps,
    )


def _platform_without_diary(activity: Activity, advice: AdviceSettings) -> ModeDecision:
    return platform_mode(
        [],
        platform=activity.source.value,
        run_day=activity.start_local.date(),
        run_start=activity.start_utc,
        settings=mode_settings(advice),
    )


def _mode_without_diary(activity: Activity, advice: AdviceSettings) -> ModeDecision:
    return choose_mode(
        [], run_day=activity.start_local.date(), run_start=activity.start_utc, settings=mode_settings(advice)
    )


def policy_for_athlete(store: AthleteRepository, athlete_id: int, policy: AnnotationPolicy) -> AnnotationPolicy:
    """The athlete's own settings (`syncd athlete set`: units, maximum heart rate) over the configured defaults."""
    athlete = store.get_athlete(athlete_id)
    units: Units = "imperial" if athlete.units == "imperial" else "metric"
    max_hr = max_heart_rate_of(athlete, policy.max_heart_rate)
    if (units, max_hr) == (policy.units, policy.max_heart_rate):
        return policy
    return replace(policy, units=units, max_heart_rate=max_hr)


@dataclass(frozen=True)
class StoredOutcome:
    activity_id: int
    annotated: AnnotatedActivity
    changed: bool
    queued_writeback: bool = False


def annotate_stored(
    units: UnitsOfWork,
    activity_id: int,
    policy: AnnotationPolicy,
    *,
    now: datetime | None = None,
    write_back_providers: Callable[[Activity], Iterable[str]] = lambda _activity: (),
    backfill_since: datetime | None = None,
) -> StoredOutcome:
    """`annotate_in` in a unit of work of its own, committed."""
    with units.unit_of_work() as uow:
        outcome = annotate_in(
            uow, activity_id, policy, now=now, write_back_providers=write_back_providers, backfill_since=backfill_since
        )
        uow.commit()
    return outcome


def annotate_in(
    uow: UnitOfWork,
    activity_id: int,
    policy: AnnotationPolicy,
    *,
    now: datetime | None = None,
    write_back_providers: Callable[[Activity], Iterable[str]] = lambda _activity: (),
    backfill_since: datetime | None = None,
) -> StoredOutcome:
    """Annotate one stored activity, save the annotation if it changed and queue the note for write-back, inside
    the caller's `with uow:` block (the caller commits: the sync pipeline stores the run's detail in the same one).

    Only activities inside the annotation window get their note queued, whatever path led here (sync, rescan,
    reannotate, webhook), unless `backfill_since` (the athlete asked for a backfill) reaches further back.
    """
    store = uow.activities
    stored = store.get_activity(activity_id, with_streams=True)
    activity = stored.activity
    policy = policy_for_athlete(uow.athletes, stored.athlete_id, policy)
    diary = uow.pain_diary  # None in the unit tests' in-memory fakes: they keep no diary
    if diary is not None:
        apply_stored_tag(diary, store, stored, advice=policy.advice, now=now)  # a #back tag steers later runs' notes
    state = run_state(store, stored, policy.thresholds, policy.advice, diary=diary, max_hr=policy.max_heart_rate)
    annotated = annotate_as_of(activity, state, policy, now=now)
    providers: list[str] = []
    if may_write_back(activity, policy, now=now, backfill_since=backfill_since):
        providers = list(write_back_providers(activity))  # the drain decides whether it is written
    changed = uow.annotations.save_annotation(
        activity_id,
        policy.version,
        annotated.annotation.flags,
        annotated.note,
        write_back_to=providers,
        platform_note=_differing(annotated),
    )
    queued = changed and annotated.note is not None and bool(providers)
    return StoredOutcome(activity_id=activity_id, annotated=annotated, changed=changed, queued_writeback=queued)


@dataclass(frozen=True)
class BatchRepositories:
    """What annotating many stored activities reads and changes (import, reannotate, the daily rescan, the notes a
    change marked): the units of work its writes go through (a chunk's notes and their queued platform notes in
    one), the batch reads, the athletes (their settings), the activities and shoes (a shoe's distance as of a run),
    the outbox (a backfill's notes), the diary (None: none is kept) and the store's clock."""

    units: UnitsOfWork
    batches: AnnotationBatchRepository
    athletes: AthleteDirectory
    activities: ActivityRepository
    gear: GearRepository
    outbox: OutboxRepository
    diary: PainDiary | None
    now: Callable[[], datetime]
    # the caller's open unit of work, when every read and write goes into it (`batch_in`): the caller commits, and a
    # fault anywhere propagates for it to roll back (None: a unit of work per chunk from `units`)
    within: UnitOfWork | None = None


def batch_in(repos: BatchRepositories, uow: UnitOfWork) -> BatchRepositories:
    """The batch paths inside the caller's open `with uow:` block: reads, #back tags, stale marks, notes and their
    queued platform notes all in its one transaction (an import stores, links and annotates its files so)."""
    return replace(
        repos,
        batches=uow.annotation_batches,
        athletes=uow.athletes,
        activities=uow.activities,
        gear=uow.gear,
        outbox=uow.outbox,
        diary=uow.pain_diary,
        within=uow,
    )


BATCH_SIZE = 200  # activities (with their streams) held in memory at once
JOB_GROUP = 16  # activities per message to a rules worker
MIN_PARALLEL_ACTIVITIES = (
    2 * JOB_GROUP
)  # fewer run in this process: starting worker processes would cost more than it saves


def annotate_batch(
    store: BatchRepositories,
    activity_ids: Sequence[int],
    policy: AnnotationPolicy,
    *,
    now: datetime | None = None,
    write_back_providers: Callable[[Activity], Iterable[str]] = lambda _activity: (),
    backfill_since: datetime | None = None,
    on_error: Callable[[int, Exception], None] | None = None,
    parallel: ParallelMap | None = None,
) -> list[StoredOutcome]:
    """`annotate_stored` for many activities: per chunk, the activities and their streams in two queries and each
    athlete's history as one ordered list, from which every activity's history is cut at its start (the same
    window and twin rules as `Store.history`; no look-ahead). `on_error` receives a failing activity and the batch
    goes on; without it the error propagates. Outcomes come in the order of `activity_ids` (failed ones left out).
    `parallel` runs the rules (the CPU-bound part) on other cores; reading and writing stay in this process.
    Inside the caller's unit of work (`store.within`) there is no `on_error`: a fault propagates."""
    if store.within is not None and on_error is not None:
        raise ValueError("inside the caller's unit of work a fault propagates: it rolls the whole block back")

    batch = _Batch(store, policy, now, write_back_providers, backfill_since)
    # the rules on other cores when asked (a surface map reads tiles through the store: it stays in this process)
    rules: ParallelMap = InProcess()
    if parallel is not None and len(activity_ids) >= MIN_PARALLEL_ACTIVITIES and policy.surface_map is None:
        rules = parallel

    def failed(activity_id: int, exc: Exception) -> None:
        if on_error is None:
            raise exc
        on_error(activity_id, exc)

    held: deque[list[_Prepared]] = deque()  # the groups whose rules are running, oldest first
    results: list[_Result] = []
    outcomes: list[StoredOutcome] = []
    for computed in rules.map(run_rules_on, _job_groups(batch, activity_ids, held, failed)):
        group = held.popleft()
        for ready, one in zip(group, computed if isinstance(computed, list) else [computed] * len(group), strict=True):
            if isinstance(one, Exception):  # a rule's fault, here or in a worker process
                failed(ready.item.id, one)
            else:
                results.append(ready.result(one))
        if len(results) >= BATCH_SIZE:
            outcomes += _save(store, results, failed)
            results = []
    return outcomes + _save(store, results, failed)


def _job_groups(
    batch: _Batch, activity_ids: Sequence[int], held: deque[list[_Prepared]], failed: Callable[[int, Exception], None]
) -> Iterator[list[RulesJob]]:
    """Per chunk, the activities and their streams in two queries and the athletes' history once; each activity
    prepared (its reads done here) and handed on in small groups: one message to a worker carries a group's shared
    history entries once. Reading the next chunk overlaps the workers' rules on this one."""
    from syncd.errors import NotFoundError

    store = batch.store
    for first in range(0, len(activity_ids), BATCH_SIZE):
        chunk = list(activity_ids[first : first + BATCH_SIZE])
        loaded = store.batches.load(chunk)
        histories = _HistoryLists(store, loaded.values())
        batch.diary, batch.tags = _diary_for(batch, list(loaded.values()))
        group: list[_Prepared] = []
        for activity_id in chunk:
            try:
                item = loaded.get(activity_id)
                if item is None:
                    raise NotFoundError(f"no activity with id {activity_id}: re-run `syncd sync` or `syncd import`")
                group.append(batch.prepare(item, histories.of(item.athlete_id)))
            except Exception as exc:  # one activity's fault never stops the others (with on_error)
                failed(activity_id, exc)
            if len(group) == JOB_GROUP or (group and activity_id == chunk[-1]):
                held.append(group)
                yield [ready.job for ready in group]
                group = []


def _diary_for(batch: _Batch, items: list[LoadedActivity]) -> tuple[DiaryBatch | None, set[int]]:
    """The chunk's diary with its runs' #back tags applied, and the runs whose tag is still to be written with
    their note (`_save_in`). Inside the caller's unit of work the tags are written in it at once (the notes go in
    the same one); else they are applied in a unit of work that is rolled back: the rules see the diary as it will
    be, and each tag is kept only with its run's note (a run whose rules fail leaves no tag in the diary)."""
    store, advice = batch.store, batch.policy.advice
    if store.diary is None:
        return None, set()
    holders = tag_holders(store.diary, items)
    if store.within is not None or not (holders or batch.tagged):
        return DiaryBatch(store.diary, store.activities, items, advice, holders=holders, now=batch.now), set()
    earlier = list(batch.tagged.values())  # an earlier chunk's notes may still wait for their rules
    batch.tagged.update((item.id, item) for item in items if item.id in holders)
    with store.units.unit_of_work() as uow:  # never committed: what the diary will hold once the notes are saved
        diary = uow.pain_diary
        if diary is None:
            raise TypeError("this store's unit of work keeps no diary, but its batch paths do")
        chunk = DiaryBatch(diary, uow.activities, items, advice, holders=holders, earlier=earlier, now=batch.now)
    return chunk, holders


def _save(
    store: BatchRepositories, results: Sequence[_Result], failed: Callable[[int, Exception], None]
) -> list[StoredOutcome]:
    """Each annotation saved with its queued platform note, all of a chunk in one unit of work. When the chunk
    fails, each of its activities is saved alone in a unit of work of its own: a fault anywhere in one (between its
    note and its enqueue, say) leaves nothing of that activity, and the chunk's others are still saved."""
    if not results:
        return []
    if store.within is not None:  # the caller's block: it commits, or rolls back on the fault raised here
        return _outcomes(results, _save_in(store.within, results, now=store.now()))
    try:
        with store.units.unit_of_work() as uow:
            written = _save_in(uow, results, now=store.now())
            uow.commit()
    except Exception:  # which activity's fault it was is found by saving them one by one
        written = []
        for result in results:
            try:
                with store.units.unit_of_work() as uow:
                    [changed] = _save_in(uow, [result], now=store.now())
                    uow.commit()
            except Exception as exc:
                failed(result.item.id, exc)
                changed = None
            written.append(changed)
    return _outcomes(results, written)


def _outcomes(results: Sequence[_Result], written: Sequence[bool | None]) -> list[StoredOutcome]:
    """What was saved (None: a failed activity, left out)."""
    outcomes = []
    for result, changed in zip(results, written, strict=True):
        if changed is None:
            continue
        queued = changed and result.annotated.note is not None and bool(result.providers)
        outcomes.append(StoredOutcome(result.item.id, result.annotated, changed=changed, queued_writeback=queued))
    return outcomes


def _save_in(uow: UnitOfWork, results: Sequence[_Result], *, now: datetime) -> list[bool | None]:
    """The annotations and their queued notes, inside the caller's block, in one write (`annotation_batches`)."""
    from syncd.records import NewAnnotation

    diary = uow.pain_diary
    for r in results:  # first: a tag marks the notes after it stale, and these notes are the fresh ones
        if r.tag is not None and diary is not None:
            apply_activity_tag(diary, uow.activities, r.item.id, r.item.activity, advice=r.tag.advice, now=r.tag.now)
    items = [
        NewAnnotation(r.item.id, r.version, r.flags, r.annotated.note, r.providers, _differing(r.annotated))
        for r in results
    ]
    return list(uow.annotation_batches.save(items, now=now))


@dataclass(frozen=True)
class RulesJob:
    """Everything the rules and the note need for one activity: plain data, so a worker process can run it."""

    activity: Activity  # without its streams: they travel packed and are decoded where the rules run
    packed: PackedStreams | None
    state: AsOf  # the athlete as of the run's start: history, shoe, modes
    policy: AnnotationPolicy
    now: datetime | None


@dataclass(frozen=True)
class RulesOutcome:
    """What comes back from the rules: the activity itself stays with the caller (no need to send it back)."""

    annotation: Annotation
    note: str | None
    platform_note: str | None


def run_rules_on(jobs: Sequence[RulesJob]) -> list[RulesOutcome | Exception]:
    """The pure part of annotating stored activities, each one's outcome or its fault (module level: worker
    processes run it)."""
    outcomes: list[RulesOutcome | Exception] = []
    for job in jobs:
        try:
            activity = job.activity if job.packed is None else replace(job.activity, streams=job.packed.unpack())
            annotated = annotate_as_of(activity, job.state, job.policy, now=job.now)
        except Exception as exc:  # this activity's fault (a corrupt blob, a rule); the group's others go on
            outcomes.append(exc)
        else:
            outcomes.append(RulesOutcome(annotated.annotation, annotated.note, annotated.platform_note))
    return outcomes


@dataclass(frozen=True)
class _Tag:
    """A run's #back tag, written to the diary in the unit of work that saves its note."""

    advice: AdviceSettings
    now: datetime | None


@dataclass(frozen=True)
class _Prepared:
    item: LoadedActivity
    job: RulesJob
    providers: tuple[str, ...]
    tag: _Tag | None = None

    def result(self, computed: RulesOutcome) -> _Result:
        annotated = AnnotatedActivity(self.item.activity, computed.annotation, computed.note, computed.platform_note)
        return _Result(self.item, self.job.policy.version, annotated, self.providers, self.tag)


@dataclass(frozen=True)
class _Result:
    item: LoadedActivity
    version: str
    annotated: AnnotatedActivity
    providers: tuple[str, ...]  # where the note is queued when the annotation changed (inside the window)
    tag: _Tag | None = None  # its #back tag, still to be written (None: nothing to write, or written already)

    @property
    def flags(self) -> Sequence[Flag]:
        return self.annotated.annotation.flags


@dataclass
class _Batch:
    """One batch's settings and its per-athlete caches (policy, shoes)."""

    store: BatchRepositories
    policy: AnnotationPolicy
    now: datetime | None
    write_back_providers: Callable[[Activity], Iterable[str]]
    backfill_since: datetime | None
    policies: dict[int, AnnotationPolicy] = field(default_factory=dict)
    gear: dict[int, dict[str, Gear]] = field(default_factory=dict)
    diary: DiaryBatch | None = None  # the current chunk's (None: a store without a diary)
    tags: set[int] = field(default_factory=set)  # the chunk's runs whose tag is written with their note
    tagged: dict[int, LoadedActivity] = field(default_factory=dict)  # every such run of the batch so far

    def prepare(self, item: LoadedActivity, history: History) -> _Prepared:
        """The reads an activity's rules need (the athlete's settings, the shoe, the diary), done in this process;
        its state as of its start built from them by the one builder (`domain.as_of.state_as_of`)."""
        store, athlete, activity = self.store, item.athlete_id, item.activity
        if athlete not in self.policies:
            self.policies[athlete] = policy_for_athlete(store.athletes, athlete, self.policy)
            self.gear[athlete] = {g.gear_id: g for g in store.gear.list_gear(athlete)}
        policy = self.policies[athlete]
        shoe = self.gear[athlete].get(activity.gear_id or "")
        shoes = (
            []
            if shoe is None
            else [(shoe, store.activities.gear_distance_after(athlete, shoe.gear_id, activity.start_utc))]
        )
        diary = (
            self.diary.inputs(athlete) if self.diary is not None else DiaryInputs(settings=mode_settings(policy.advice))
        )
        state = state_as_of(
            history,
            activity.start_utc,
            activity.start_local.date(),
            thresholds=policy.thresholds,
            shoes=shoes,
            diary=diary,
            subject=subject_of(item),
            max_hr=policy.max_heart_rate,
        )
        providers: tuple[str, ...] = ()
        if may_write_back(activity, policy, now=self.now, backfill_since=self.backfill_since):
            providers = tuple(self.write_back_providers(activity))  # the drain decides whether it is written
        tag = _Tag(policy.advice, self.now) if item.id in self.tags else None
        return _Prepared(item, RulesJob(activity, item.packed, state, policy, self.now), providers, tag)


def annotate_as_of(
    activity: Activity, state: AsOf, policy: AnnotationPolicy, *, now: datetime | None
) -> AnnotatedActivity:
    """A stored run's note from its state at its start (`services.as_of.run_state`): its history, its shoe as of
    the run, its modes and the figures its rules judge, read from the one state, never recomputed here."""
    modes = state.modes
    shoe = state.shoe(activity.gear_id)
    return annotate_one(
        activity, state.history, policy, gear=shoe, now=now, mode=modes.note, platform=modes.platform, state=state
    )


def _differing(annotated: AnnotatedActivity) -> str | None:
    """The platform's note when it differs from syncd's own (stored beside it; None: the same text)."""
    return None if annotated.platform_note == annotated.note else annotated.platform_note


class _HistoryLists:
    """Each athlete's history over the span a chunk needs, read once and kept ordered by start."""

    def __init__(self, store: BatchRepositories, items: Iterable[LoadedActivity]) -> None:

        spans: dict[int, tuple[datetime, datetime]] = {}
        for item in items:
            start = item.activity.start_utc
            low, high = spans.get(item.athlete_id, (start, start))
            spans[item.athlete_id] = (min(low, start), max(high, start))
        self._history = {
            athlete: History(store.batches.history_rows(athlete, low - HISTORY_WINDOW, high))
            for athlete, (low, high) in spans.items()
        }

    def of(self, athlete_id: int) -> History:
        """The athlete's rows for the chunk, which the state builder cuts at each run's start (`History.before`)."""
        return self._history[athlete_id]


def write_back_from(policy: AnnotationPolicy, *, now: datetime | None, backfill_since: datetime | None) -> datetime:
    """The earliest start whose note may be written back: the annotation window, or an explicit backfill's date."""
    start = (now or datetime.now(UTC)) - policy.write_back_window
    return start if backfill_since is None else min(start, backfill_since)


def may_write_back(
    activity: Activity, policy: AnnotationPolicy, *, now: datetime | None, backfill_since: datetime | None = None
) -> bool:
    """Platform activities inside the window (or the backfill); never an imported file."""
    if activity.source is Source.FILE:
        return False
    return activity.start_utc >= write_back_from(policy, now=now, backfill_since=backfill_since)


@dataclass
class ReannotateReport:
    examined: int = 0
    rerun: int = 0
    changed: int = 0
    queued_writebacks: int = 0
    failed: list[tuple[int, str]] = field(default_factory=list)


def reannotate(
    store: BatchRepositories,
    policy: AnnotationPolicy,
    *,
    since: datetime | None = None,
    now: datetime | None = None,
    write_back_providers: Callable[[Activity], Iterable[str]] = lambda _activity: (),
    backfill: bool = False,
    parallel: ParallelMap | None = None,
) -> ReannotateReport:
    """Re-run the rules where the stored rules version differs from the current one; no API call is made.

    Notes are queued for write-back only inside the annotation window. `backfill` (needs `since`: the athlete
    asked for `--write-back`) queues them back to `since`, including notes already stored but never written.
    """

    if backfill and since is None:
        raise ValueError("a write-back backfill needs a start date (--since DATE)")
    backfill_since = since if backfill else None
    report = ReannotateReport()
    for athlete in store.athletes.list_athletes():
        athlete_policy = policy_for_athlete(store.athletes, athlete.id, policy)
        report.examined += store.batches.count_activities(athlete.id, since)
        stale = store.batches.stale_ids(athlete.id, athlete_policy.version, since)
        report.rerun += len(stale)
        outcomes = annotate_batch(
            store,
            stale,
            policy,
            now=now,
            write_back_providers=write_back_providers,
            backfill_since=backfill_since,
            on_error=lambda activity_id, exc: report.failed.append((activity_id, f"{type(exc).__name__}: {exc}")),
            parallel=parallel,
        )
        report.changed += sum(outcome.changed for outcome in outcomes)
        report.queued_writebacks += sum(outcome.queued_writeback for outcome in outcomes)
        if backfill_since is not None:
            report.queued_writebacks += _queue_backfill(
                store,
                athlete.id,
                backfill_since,
                write_back_providers,
                lambda activity_id, exc: report.failed.append((activity_id, f"{type(exc).__name__}: {exc}")),
            )
    return report


def mark_later(store: BatchRepositories, athlete_id: int, starts: Iterable[datetime]) -> int:
    """An activity that arrived late, was merged with its twin or was deleted changes the history of everything
    that started in the HISTORY_WINDOW after it: exactly those annotations are marked stale (one write per run of
    overlapping windows), for `annotate_marked` to redo in the same pass."""
    marked = 0
    spans: list[tuple[datetime, datetime]] = []
    for start in sorted(set(starts)):
        if spans and start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], start + HISTORY_WINDOW)
        else:
            spans.append((start, start + HISTORY_WINDOW))
    for after, until in spans:
        marked += store.batches.mark_stale_between(athlete_id, after, until)
    return marked


MARKED_ROUNDS = 3  # re-annotating may read a tag that marks further runs: a few rounds settle every chain


def annotate_marked(
    store: BatchRepositories,
    athlete_id: int,
    policy: AnnotationPolicy,
    *,
    now: datetime | None = None,
    write_back_providers: Callable[[Activity], Iterable[str]] = lambda _activity: (),
    on_error: Callable[[int, Exception], None] | None = None,
) -> list[StoredOutcome]:
    """Redo at once the annotations a change marked stale (a diary entry from any source, a settings or shoe
    change): the pass that made the change (sync, form post, CLI) leaves no surface behind until the daily re-scan.

    Inside the annotation window a note whose platform text changed is queued (an unchanged one is not, the outbox
    compares); outside it the note is redone locally and never written back."""
    outcomes: list[StoredOutcome] = []
    for _ in range(MARKED_ROUNDS):
        marked = store.batches.marked_stale_ids(athlete_id)
        if not marked:
            break
        outcomes += annotate_batch(
            store, marked, policy, now=now, write_back_providers=write_back_providers, on_error=on_error
        )
    return outcomes


def _queue_backfill(
    store: BatchRepositories,
    athlete_id: int,
    since: datetime,
    providers: Callable[[Activity], Iterable[str]],
    on_error: Callable[[int, Exception], None],
) -> int:
    """Queue the stored notes since `since` that no write-back ever carried (annotated before the backfill): each
    activity's in a unit of work of its own (every platform's item or none), a fault left with its activity."""

    queued = 0
    for activity_id, note in store.batches.unqueued_notes(athlete_id, since):
        try:
            with store.units.unit_of_work() as uow:
                activity = uow.activities.get_activity(activity_id, with_streams=False).activity
                targets = [] if activity.source is Source.FILE else list(providers(activity))
                for provider in targets:  # the drain decides whether it is written
                    uow.outbox.enqueue_writeback(activity_id, provider, note)
                uow.commit()
        except Exception as exc:  # one activity's fault never stops the others
            on_error(activity_id, exc)
            continue
        queued += len(targets)
    return queued


@dataclass
class RescanReport:
    reannotated: ReannotateReport


def daily_rescan(
    store: BatchRepositories,
    policy: AnnotationPolicy,
    *,
    now: datetime,
    write_back_providers: Callable[[Activity], Iterable[str]] = lambda _activity: (),
) -> RescanReport:
    """The daemon's daily pass, no API calls: re-run the rules where their version changed. Notes are queued only
    inside the annotation window: a newly linked account's years of history get annotations for the feed, never a
    flood of write-backs."""
    report = reannotate(store, policy, now=now, write_back_providers=write_back_providers)
    return RescanReport(reannotated=report)
