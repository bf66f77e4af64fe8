"""Use case: run the rules on an activity with its history, render the note, record what changed.

`annotate_one` is pure (plain data in, plain data out) so `syncd annotate` can use it without a store; the store
functions around it load history and gear, save the annotation and queue write-backs when the note changed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Literal

from syncd.domain.history import HistoryEntry
from syncd.domain.load import week_end_utc, week_start
from syncd.domain.model import Activity, Gear, Source
from syncd.domain.notes import render_note
from syncd.domain.rules import Annotation, RuleContext, evaluate, rules_version
from syncd.domain.sport_inference import inferred_note_line
from syncd.domain.thresholds import Thresholds
from syncd.ports import SurfaceMap

if TYPE_CHECKING:
    from syncd.adapters.db.records import StoredActivity
    from syncd.adapters.db.repository import Store

# Enough history for the 28-day chronic load plus a margin; weekly rules also look at the rest of the week.
HISTORY_BEFORE = timedelta(days=42)
HISTORY_AFTER = timedelta(days=8)

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

    @property
    def version(self) -> str:
        """Stored with each annotation: a change here is what makes `reannotate` redo an activity."""
        return f"{rules_version(self.thresholds)}-{self.units}-{self.when_clean}"


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
    ctx = RuleContext(
        activity=activity,
        history=[h for h in history if h.key != activity.key],
        thresholds=policy.thresholds,
        gear=gear,
        surface_map=policy.surface_map,
        max_heart_rate=policy.max_heart_rate,
        now=now,
    )
    annotation = evaluate(ctx)
    note = (
        render_note(annotation.flags, units=policy.units, when_clean=policy.when_clean)
        if activity.sport.is_run
        else None
    )
    guessed = inferred_note_line(activity)
    if note is not None and guessed is not None:
        note = f"{note}\n{guessed}"
    return AnnotatedActivity(activity=activity, annotation=annotation, note=note)


def policy_for_athlete(store: Store, athlete_id: int, policy: AnnotationPolicy) -> AnnotationPolicy:
    """The athlete's own unit preference wins over the configured default."""
    units = store.get_athlete(athlete_id).units
    if units == policy.units:
        return policy
    return replace(policy, units="imperial" if units == "imperial" else "metric")


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
) -> StoredOutcome:
    """Annotate one stored activity, save the annotation if it changed and queue the note for write-back."""
    stored = store.get_activity(activity_id, with_streams=True)
    activity = stored.activity
    history = store.history(
        stored.athlete_id,
        activity.start_utc - HISTORY_BEFORE,
        activity.start_utc + HISTORY_AFTER,
        exclude_id=activity_id,
    )
    gear = store.get_gear(stored.athlete_id, activity.gear_id) if activity.gear_id else None
    policy = policy_for_athlete(store, stored.athlete_id, policy)
    annotated = annotate_one(activity, history, policy, gear=gear, now=now)
    changed = store.save_annotation(activity_id, policy.version, annotated.annotation.flags, annotated.note)
    queued = False
    if changed and annotated.note is not None and activity.source is not Source.FILE:
        for provider in write_back_providers(activity):
            store.enqueue_writeback(activity_id, provider, annotated.note)
            queued = True
    return StoredOutcome(activity_id=activity_id, annotated=annotated, changed=changed, queued_writeback=queued)


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
) -> ReannotateReport:
    """Re-run the rules where the stored rules version differs from the current one; no API call is made."""
    report = ReannotateReport()
    policies: dict[int, AnnotationPolicy] = {}
    for stored in store.iter_activities(since=since):
        report.examined += 1
        if stored.athlete_id not in policies:
            policies[stored.athlete_id] = policy_for_athlete(store, stored.athlete_id, policy)
        latest = store.latest_annotation(stored.id)
        if latest is not None and latest.rules_version == policies[stored.athlete_id].version:
            continue
        report.rerun += 1
        try:
            outcome = annotate_stored(store, stored.id, policy, now=now, write_back_providers=write_back_providers)
        except Exception as exc:  # one bad activity never stops the others
            report.failed.append((stored.id, f"{type(exc).__name__}: {exc}"))
            continue
        report.changed += outcome.changed
        report.queued_writebacks += outcome.queued_writeback
    return report


def refresh_finished_weeks(
    store: Store,
    policy: AnnotationPolicy,
    *,
    now: datetime,
    lookback: timedelta = timedelta(days=9),
    write_back_providers: Callable[[Activity], Iterable[str]] = lambda _activity: (),
) -> int:
    """Re-annotate each week's last run once its week is over; returns how many notes changed.

    Weekly findings (too little cross-training or strength work) can only be judged when the week has ended, but
    its last run was usually synced and annotated before that. The daemon runs this daily, so the finding reaches
    that run's note (and its twin's, for a run recorded on both platforms) shortly after the week ends.
    """
    last: dict[tuple[int, date], list[StoredActivity]] = {}
    for stored in store.iter_activities(since=now - lookback):
        activity = stored.activity
        if not activity.sport.is_run:
            continue
        week = (stored.athlete_id, week_start(activity.start_local.date()))
        group = last.setdefault(week, [])
        if not group or activity.start_utc > group[0].activity.start_utc + timedelta(minutes=2):
            group[:] = [stored]  # a later run: it (and its twins) are now the week's last
        elif abs(activity.start_utc - group[0].activity.start_utc) <= timedelta(minutes=2):
            group.append(stored)  # the same run from another platform
    changed = 0
    for (_athlete, monday), runs in last.items():
        for stored in runs:
            if week_end_utc(monday, stored.activity.utc_offset_s) > now:
                continue
            latest = store.latest_annotation(stored.id)
            if latest is not None and latest.created_at >= week_end_utc(monday, stored.activity.utc_offset_s):
                continue
            outcome = annotate_stored(store, stored.id, policy, now=now, write_back_providers=write_back_providers)
            changed += outcome.changed
    return changed
