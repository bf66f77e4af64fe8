"""Use case: run the rules on an activity with its history, render the note, record what changed.

`annotate_one` is pure (plain data in, plain data out) so `syncd annotate` can use it without a store; the store
functions around it load history and gear, save the annotation and queue write-backs when the note changed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from syncd.config import AdviceSettings
from syncd.domain.advice_mode import ModeDecision, choose_mode
from syncd.domain.history import HISTORY_WINDOW, HistoryEntry, history_before
from syncd.domain.mode_notes import ADVICE, apply_mode, lead_lines
from syncd.domain.mode_notes import VERSION as MODE_NOTES_VERSION
from syncd.domain.model import Activity, Gear, Source
from syncd.domain.notes import render_note
from syncd.domain.rules import Annotation, RuleContext, evaluate, rules_version
from syncd.domain.sport_inference import inferred_note_line
from syncd.domain.thresholds import Thresholds
from syncd.ports import SurfaceMap
from syncd.services.pain_diary import apply_stored_tag, has_diary, mode_for

if TYPE_CHECKING:
    from syncd.ports import AnnotationStore, AthleteRepository


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
    advice: AdviceSettings = field(default_factory=AdviceSettings)

    @property
    def version(self) -> str:
        """Stored with each annotation: a change here is what makes `reannotate` redo an activity."""
        # the advice settings and the maximum heart rate as 3 hex digits: the stored version is at most 40 characters
        # (imperial + a spelled-out heart rate + the advice would not fit)
        hr = f"{self.max_heart_rate:g}" if self.max_heart_rate else ""
        advice = f"{self.advice.mode}:{self.advice.threshold}:{self.advice.window_days}:{MODE_NOTES_VERSION}:{hr}"
        digest = hashlib.sha256(advice.encode()).hexdigest()[:3]
        return f"{rules_version(self.thresholds)}-{self.units}-{self.when_clean}-{digest}"


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
    mode: ModeDecision | None = None,
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
    note = None
    if activity.sport.is_run:
        # the advice mode (sore now / staying well) weighs the flags and opens the note; without a diary (files
        # annotated without a store) it comes from [advice] mode alone
        if mode is None:
            mode = _mode_without_diary(activity, policy.advice)
        annotation = replace(annotation, flags=apply_mode(annotation.flags, mode.mode))
        note = render_note(
            annotation.flags,
            units=policy.units,
            when_clean=policy.when_clean,
            lead=lead_lines(mode),
            advice=ADVICE[mode.mode],
            data_gaps=annotation.data_gaps,
        )
    guessed = inferred_note_line(activity)
    if note is not None and guessed is not None:
        note = f"{note}\n{guessed}"
    return AnnotatedActivity(activity=activity, annotation=annotation, note=note)


def _mode_without_diary(activity: Activity, advice: AdviceSettings) -> ModeDecision:
    from syncd.services.pain_diary import mode_settings

    return choose_mode(
        [], run_day=activity.start_local.date(), run_start=activity.start_utc, settings=mode_settings(advice)
    )


def gear_as_of(gear: Gear, later_m: float) -> Gear:
    """The shoe as it was when the run ended: today's distance less what later activities added to it."""
    return replace(gear, distance_m=max(gear.distance_m - later_m, 0.0))


def policy_for_athlete(store: AthleteRepository, athlete_id: int, policy: AnnotationPolicy) -> AnnotationPolicy:
    """The athlete's own settings (`syncd athlete set`: units, maximum heart rate) over the configured defaults."""
    athlete = store.get_athlete(athlete_id)
    units: Units = "imperial" if athlete.units == "imperial" else "metric"
    max_hr = athlete.max_heart_rate or policy.max_heart_rate
    if (units, max_hr) == (policy.units, policy.max_heart_rate):
        return policy
    return replace(policy, units=units, max_heart_rate=max_hr)


def athlete_write_back(
    store: AthleteRepository, athlete_id: int, activity: Activity, default: Iterable[str]
) -> Iterable[str]:
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
    store: AnnotationStore,
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
        stored.athlete_id, activity.start_utc - HISTORY_WINDOW, activity.start_utc, exclude_id=activity_id
    )
    gear = None
    if activity.gear_id:
        gear = store.get_gear(stored.athlete_id, activity.gear_id)
        if gear is not None:
            later = store.gear_distance_after(stored.athlete_id, activity.gear_id, activity.start_utc)
            gear = gear_as_of(gear, later)
    policy = policy_for_athlete(store, stored.athlete_id, policy)
    mode = None
    if has_diary(store):  # the database Store (the unit tests' in-memory fakes have no diary)
        apply_stored_tag(store, stored, advice=policy.advice)  # a #back tag steers the notes of later runs
        mode = mode_for(store, stored, policy.advice) if activity.sport.is_run else None
    annotated = annotate_one(activity, history, policy, gear=gear, now=now, mode=mode)
    providers: list[str] = []
    if activity.source is not Source.FILE:
        providers = list(athlete_write_back(store, stored.athlete_id, activity, write_back_providers(activity)))
    changed = store.save_annotation(
        activity_id, policy.version, annotated.annotation.flags, annotated.note, write_back_to=providers
    )
    queued = changed and annotated.note is not None and bool(providers)
    return StoredOutcome(activity_id=activity_id, annotated=annotated, changed=changed, queued_writeback=queued)


@dataclass
class ReannotateReport:
    examined: int = 0
    rerun: int = 0
    changed: int = 0
    queued_writebacks: int = 0
    failed: list[tuple[int, str]] = field(default_factory=list)


def reannotate(
    store: AnnotationStore,
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
