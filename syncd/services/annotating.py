"""Use case: run the rules on an activity with its history, render the note, record what changed.

`annotate_one` is pure (plain data in, plain data out) so `syncd annotate` can use it without a store; the store
functions around it load history and gear, save the annotation and queue write-backs when the note changed.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Literal

from syncd.domain.history import HISTORY_WINDOW, HistoryEntry, history_before
from syncd.domain.model import Activity, Gear, Source
from syncd.domain.notes import render_note
from syncd.domain.rules import Annotation, RuleContext, evaluate, rules_version
from syncd.domain.thresholds import Thresholds
from syncd.ports import SurfaceMap

if TYPE_CHECKING:
    from syncd.adapters.db.annotation_queries import LoadedActivity
    from syncd.adapters.db.repository import Store


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
    # `[notes] annotation_window_days`: notes are written back only for activities that started this recently
    # (not part of `version`: it decides where a note goes, not what it says).
    write_back_window: timedelta = timedelta(days=30)

    @property
    def version(self) -> str:
        """Stored with each annotation: a change here is what makes `reannotate` redo an activity."""
        hr = f"-hr{self.max_heart_rate:g}" if self.max_heart_rate else ""
        return f"{rules_version(self.thresholds)}-{self.units}-{self.when_clean}{hr}"


@dataclass(frozen=True)
class AnnotatedActivity:
    activity: Activity
    annotation: Annotation
    note: str | None


def annotate_one(
    activity: Activity,
    history: Sequence[HistoryEntry],
    policy: AnnotationPolicy,
    *,
    gear: Gear | None = None,
    now: datetime | None = None,
) -> AnnotatedActivity:
    """Run the rules on `activity` with `history` cut at its start (whatever else the caller passes is ignored).

    `gear` should carry the shoe's distance as of the end of this run (`gear_as_of`), not today's.
    """
    ctx = RuleContext(
        activity=activity,
        history=history_before(history, activity.start_utc, key=activity.key),
        thresholds=policy.thresholds,
        gear=gear,
        surface_map=policy.surface_map,
        max_heart_rate=policy.max_heart_rate,
        now=now,
    )
    annotation = evaluate(ctx)
    note = (
        render_note(annotation.flags, units=policy.units, when_clean=policy.when_clean, data_gaps=annotation.data_gaps)
        if activity.sport.is_run
        else None
    )
    return AnnotatedActivity(activity=activity, annotation=annotation, note=note)


def gear_as_of(gear: Gear, later_m: float) -> Gear:
    """The shoe as it was when the run ended: today's distance less what later activities added to it."""
    return replace(gear, distance_m=max(gear.distance_m - later_m, 0.0))


def policy_for_athlete(store: Store, athlete_id: int, policy: AnnotationPolicy) -> AnnotationPolicy:
    """The athlete's own settings (`syncd athlete set`: units, maximum heart rate) over the configured defaults."""
    athlete = store.get_athlete(athlete_id)
    units: Units = "imperial" if athlete.units == "imperial" else "metric"
    max_hr = athlete.max_heart_rate or policy.max_heart_rate
    if (units, max_hr) == (policy.units, policy.max_heart_rate):
        return policy
    return replace(policy, units=units, max_heart_rate=max_hr)


def athlete_write_back(store: Store, athlete_id: int, activity: Activity, default: Iterable[str]) -> Iterable[str]:
    """The athlete's own write-back mode (`syncd athlete set --write-back`) over the platform's `write_back`."""
    mode = store.get_athlete(athlete_id).write_back
    provider = activity.source.value
    if mode is None or provider not in ("strava", "garmin"):
        return default
    return (provider,) if mode == "all" or (mode == "private" and activity.private) else ()


@dataclass(frozen=True)
class StoredOutcome:
    activity_id: int
    annotated: AnnotatedActivity
    changed: bool
    queued_writeback: bool = False


def annotate_stored(
    store: Store,
    activity_id: int,
    policy: AnnotationPolicy,
    *,
    now: datetime | None = None,
    write_back_providers: Callable[[Activity], Iterable[str]] = lambda _activity: (),
    backfill_since: datetime | None = None,
) -> StoredOutcome:
    """Annotate one stored activity, save the annotation if it changed and queue the note for write-back.

    Only activities inside the annotation window get their note queued, whatever path led here (sync, rescan,
    reannotate, webhook), unless `backfill_since` (the athlete asked for a backfill) reaches further back.
    """
    [outcome] = annotate_batch(
        store,
        [activity_id],
        policy,
        now=now,
        write_back_providers=write_back_providers,
        backfill_since=backfill_since,
    )
    return outcome


BATCH_SIZE = 200  # activities (with their streams) held in memory at once


def annotate_batch(
    store: Store,
    activity_ids: Sequence[int],
    policy: AnnotationPolicy,
    *,
    now: datetime | None = None,
    write_back_providers: Callable[[Activity], Iterable[str]] = lambda _activity: (),
    backfill_since: datetime | None = None,
    on_error: Callable[[int, Exception], None] | None = None,
) -> list[StoredOutcome]:
    """`annotate_stored` for many activities: per chunk, the activities and their streams in two queries and each
    athlete's history as one ordered list, from which every activity's history is cut at its start (the same
    window and twin rules as `Store.history`; no look-ahead). `on_error` receives a failing activity and the batch
    goes on; without it the error propagates. Outcomes come in the order of `activity_ids` (failed ones left out)."""
    from syncd.adapters.db.annotation_queries import load_for_annotation
    from syncd.adapters.db.annotation_writes import NewAnnotation, save_annotations
    from syncd.adapters.db.errors import NotFoundError

    outcomes: list[StoredOutcome] = []
    policies: dict[int, AnnotationPolicy] = {}
    gear: dict[int, dict[str, Gear]] = {}

    def failed(activity_id: int, exc: Exception) -> None:
        if on_error is None:
            raise exc
        on_error(activity_id, exc)

    for first in range(0, len(activity_ids), BATCH_SIZE):
        chunk = list(activity_ids[first : first + BATCH_SIZE])
        loaded = load_for_annotation(store.engine, chunk)
        histories = _HistoryLists(store, loaded.values())
        results: list[tuple[LoadedActivity, AnnotationPolicy, AnnotatedActivity]] = []
        for activity_id in chunk:
            try:
                item = loaded.get(activity_id)
                if item is None:
                    raise NotFoundError(f"no activity with id {activity_id}: re-run `syncd sync` or `syncd import`")
                athlete = item.athlete_id
                if athlete not in policies:
                    policies[athlete] = policy_for_athlete(store, athlete, policy)
                if athlete not in gear:
                    gear[athlete] = {g.gear_id: g for g in store.list_gear(athlete)}
                shoe = gear[athlete].get(item.activity.gear_id or "")
                if shoe is not None:  # the shoe's distance as of the end of this run, not today's
                    later = store.gear_distance_after(athlete, shoe.gear_id, item.activity.start_utc)
                    shoe = gear_as_of(shoe, later)
                annotated = annotate_one(item.activity, histories.cut(item), policies[athlete], gear=shoe, now=now)
                results.append((item, policies[athlete], annotated))
            except Exception as exc:  # one activity's rules fault never stops the others (with on_error)
                failed(activity_id, exc)
        try:
            written = save_annotations(
                store.engine,
                [NewAnnotation(i.id, p.version, a.annotation.flags, a.note) for i, p, a in results],
                now=store.now(),
            )
        except Exception as exc:
            for item, _policy, _annotated in results:
                failed(item.id, exc)
            continue
        for (item, athlete_policy, annotated), changed in zip(results, written, strict=True):
            queued = False
            writable = may_write_back(item.activity, athlete_policy, now=now, backfill_since=backfill_since)
            if changed and writable and annotated.note is not None:
                defaults = write_back_providers(item.activity)
                for provider in athlete_write_back(store, item.athlete_id, item.activity, defaults):
                    store.enqueue_writeback(item.id, provider, annotated.note)
                    queued = True
            outcomes.append(StoredOutcome(item.id, annotated, changed=changed, queued_writeback=queued))
    return outcomes


class _HistoryLists:
    """Each athlete's history over the span a chunk needs, read once and kept ordered by start."""

    def __init__(self, store: Store, items: Iterable[LoadedActivity]) -> None:
        from syncd.adapters.db.annotation_queries import history_rows

        spans: dict[int, tuple[datetime, datetime]] = {}
        for item in items:
            start = item.activity.start_utc
            low, high = spans.get(item.athlete_id, (start, start))
            spans[item.athlete_id] = (min(low, start), max(high, start))
        self._rows = {
            athlete: history_rows(store.engine, athlete, low - HISTORY_WINDOW, high)
            for athlete, (low, high) in spans.items()
        }
        self._starts = {athlete: [row.entry.start_utc for row in rows] for athlete, rows in self._rows.items()}

    def cut(self, item: LoadedActivity) -> list[HistoryEntry]:
        """What started in the HISTORY_WINDOW before `item` (Store.history's window), without its twin, each other
        run counted once."""
        rows, starts = self._rows[item.athlete_id], self._starts[item.athlete_id]
        start = item.activity.start_utc
        low = bisect.bisect_left(starts, start - HISTORY_WINDOW)
        high = bisect.bisect_left(starts, start)  # no look-ahead: only what started before this run
        seen: set[str] = set()
        out = []
        for row in rows[low:high]:
            if row.activity_id == item.id:
                continue
            group = row.logical_group
            if group is not None:
                if group == item.logical_group or group in seen:
                    continue  # its own twin, or the same run from the other platform: counted once
                seen.add(group)
            out.append(row.entry)
        return out


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
    store: Store,
    policy: AnnotationPolicy,
    *,
    since: datetime | None = None,
    now: datetime | None = None,
    write_back_providers: Callable[[Activity], Iterable[str]] = lambda _activity: (),
    backfill: bool = False,
) -> ReannotateReport:
    """Re-run the rules where the stored rules version differs from the current one; no API call is made.

    Notes are queued for write-back only inside the annotation window. `backfill` (needs `since`: the athlete
    asked for `--write-back`) queues them back to `since`, including notes already stored but never written.
    """
    from syncd.adapters.db.annotation_queries import count_activities, stale_activity_ids

    if backfill and since is None:
        raise ValueError("a write-back backfill needs a start date (--since DATE)")
    backfill_since = since if backfill else None
    report = ReannotateReport()
    for athlete in store.list_athletes():
        athlete_policy = policy_for_athlete(store, athlete.id, policy)
        report.examined += count_activities(store.engine, athlete.id, since)
        stale = stale_activity_ids(store.engine, athlete.id, athlete_policy.version, since)
        report.rerun += len(stale)
        outcomes = annotate_batch(
            store,
            stale,
            policy,
            now=now,
            write_back_providers=write_back_providers,
            backfill_since=backfill_since,
            on_error=lambda activity_id, exc: report.failed.append((activity_id, f"{type(exc).__name__}: {exc}")),
        )
        report.changed += sum(outcome.changed for outcome in outcomes)
        report.queued_writebacks += sum(outcome.queued_writeback for outcome in outcomes)
        if backfill_since is not None:
            report.queued_writebacks += _queue_backfill(store, athlete.id, backfill_since, write_back_providers)
    return report


def _queue_backfill(
    store: Store, athlete_id: int, since: datetime, providers: Callable[[Activity], Iterable[str]]
) -> int:
    """Queue the stored notes since `since` that no write-back ever carried (annotated before the backfill)."""
    from syncd.adapters.db.annotation_queries import unqueued_notes

    queued = 0
    for activity_id, note in unqueued_notes(store.engine, athlete_id, since):
        activity = store.get_activity(activity_id, with_streams=False).activity
        if activity.source is Source.FILE:
            continue
        for provider in athlete_write_back(store, athlete_id, activity, providers(activity)):
            store.enqueue_writeback(activity_id, provider, note)
            queued += 1
    return queued


@dataclass
class RescanReport:
    reannotated: ReannotateReport


def daily_rescan(
    store: Store,
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
