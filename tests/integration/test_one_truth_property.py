"""Property (issue 27): whatever the history and the order of events — uploads, late uploads of earlier runs, a
#back tag typed into a title on Strava, pain typed on the CLI, an advice-mode change — after the pass that made the
change every stored note, platform note and flag equals a recompute from scratch, nothing is left marked stale, and
every note Strava holds (after a sync) is the platform note syncd stored; every week's digest, the feed's week strip
and the flare-up analysis inputs this process shows (caches and all) equal those a fresh store computes, before and
after the recompute; and each of them shows, for a run or a week, the numbers of the one as-of state
(`services.as_of`) for it. The real stravalib client on the simulated
Strava, the real store on SQLite; a fresh world per example."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from syncd.adapters.crypto import SecretBox
from syncd.adapters.db import Store
from syncd.config import Settings
from syncd.domain.as_of import AsOf
from syncd.domain.description import START_MARKER, extract_athlete_text
from syncd.domain.digest import shoe_statuses
from syncd.domain.flags import Flag, FlagCode
from syncd.domain.load import week_start
from syncd.domain.mode_notes import lead_lines
from syncd.domain.pain import PainSource
from syncd.domain.rules.load_spike_evidence import LoadSpikeEvidence
from syncd.domain.rules.low_cross_training_evidence import CrossTrainingEvidence
from syncd.domain.rules.low_strength_evidence import WeeklySessionsEvidence
from syncd.domain.rules.registry import read_evidence
from syncd.domain.thresholds import Thresholds
from syncd.entrypoints.wiring import batch_repositories, digest_repositories
from syncd.records import AthleteRecord
from syncd.services.annotating import AnnotationPolicy, annotate_marked, reannotate
from syncd.services.as_of import athlete_zone, run_state, week_end_state
from syncd.services.digests import build_for_athlete
from syncd.services.feed import FeedReads, strip_for_athlete
from syncd.services.pain_diary import AnalysisReads, exposures, record_entry, set_athlete_mode
from syncd.testing import strava_harness as harness
from syncd.testing.seed import detail_payload, streams_payload, synthetic_run
from syncd.testing.strava_server import StravaSimulator
from tests.integration.conftest import FakeClock

POLICY = AnnotationPolicy()
WRITE = {"write_back_providers": lambda _activity: ("strava",)}

EVENTS = st.one_of(
    st.tuples(st.just("upload"), st.floats(20, 90)),  # a run just done (minutes)
    st.tuples(st.just("late"), st.floats(1, 12), st.floats(20, 150)),  # a run from days ago, uploaded now
    st.tuples(st.just("tag"), st.integers(0, 20), st.integers(0, 9)),  # #back N typed into the i-th run's title
    st.tuples(st.just("cli"), st.integers(0, 10), st.integers(0, 9)),  # `syncd pain` for a day back
    st.tuples(st.just("mode"), st.sampled_from(["auto", "sore", "staying_well"])),  # `syncd pain --mode`
)


def _add_run(sim: StravaSimulator, athlete: int, start: datetime, minutes: float, seed: int) -> int:
    run = synthetic_run(start, minutes=minutes, pace_s_per_km=330, seed=seed)
    assert run.streams is not None
    return sim.add_activity(athlete, detail_payload(run, start=start), streams_payload(run.streams))


def _snapshot(store: Store, athlete_id: int) -> dict[int, tuple[Any, ...]]:
    out = {}
    for stored in store.iter_activities(athlete_id=athlete_id):
        latest = store.latest_annotation(stored.id)
        if latest is not None:
            out[stored.id] = (latest.note, latest.platform_note, [(f.code, f.severity) for f in latest.flags])
    return out


def _surfaces(store: Store, athlete_id: int, settings: Settings) -> tuple[Any, ...]:
    """What the other surfaces show: every week's digest, the feed's week strip, the flare-up analysis inputs."""
    record = store.get_athlete(athlete_id)
    zone = athlete_zone(store.activity_reads, record)
    mondays = sorted({week_start(s.activity.start_local.date()) for s in store.iter_activities(athlete_id=athlete_id)})
    digests = [build_for_athlete(digest_repositories(store), record, monday, settings, zone) for monday in mondays]
    return (
        digests,
        strip_for_athlete(FeedReads(store, store.activity_reads, store.activity_reads), athlete_id, Thresholds()),
        exposures(AnalysisReads(store.pain_diary, store, store, store, store.activity_reads), athlete_id),
    )


def _agree_with_states(store: Store, athlete_id: int, settings: Settings) -> None:
    """Every number a surface shows for a day is the as-of state's for that day: each note opens with its run's
    state's mode lines and its load and weekly findings are its state's figures, the weekly ones the counts of the
    digest of the week they name; each week's digest (counts, mode, reason, red flag, shoes) and the strip's week
    (counts, load verdict) are the state as that week ended."""
    record = store.get_athlete(athlete_id)
    zone = athlete_zone(store.activity_reads, record)
    rules = settings.rules
    for stored in store.iter_activities(athlete_id=athlete_id):
        latest = store.latest_annotation(stored.id)
        if latest is None or latest.note is None or not stored.activity.sport.is_run:
            continue
        state = run_state(store, stored, POLICY.thresholds, POLICY.advice, diary=store.pain_diary)
        assert latest.note.startswith("\n".join(lead_lines(state.mode))), stored.id
        _findings_agree(store, record, latest.flags, state, settings, zone)
    mondays = {week_start(s.activity.start_local.date()) for s in store.iter_activities(athlete_id=athlete_id)}
    for monday in sorted(mondays):
        state = week_end_state(
            store,
            store,
            athlete_id,
            monday,
            diary=store.pain_diary,
            zone=zone,
            thresholds=rules,
            advice=settings.advice,
        )
        digest = build_for_athlete(digest_repositories(store), record, monday, settings, zone)
        assert (digest.low_impact, digest.strength) == (state.week.low_impact, state.week.strength)
        assert (digest.mode, digest.mode_reason) == (state.mode.mode.label, state.mode.reason)
        assert (digest.red_flag is not None) == state.mode.red_flag
        assert digest.shoes == shoe_statuses(state.shoes, rules)
    for week in strip_for_athlete(FeedReads(store, store.activity_reads, store.activity_reads), athlete_id, rules):
        state = week_end_state(
            store, store, athlete_id, week.monday, diary=store.pain_diary, zone=zone, thresholds=rules
        )
        assert (week.runs, week.low_impact, week.strength) == (
            state.week.runs,
            state.week.low_impact,
            state.week.strength,
        )
        assert (week.load_status, week.break_days) == (state.load.status, state.load.break_days)
        assert week.acwr == (None if state.load.ratio is None else round(state.load.ratio, 2))


def _findings_agree(
    store: Store, record: AthleteRecord, flags: Sequence[Flag], state: AsOf, settings: Settings, zone: tzinfo
) -> None:
    """A note's load and weekly findings are its run's state's figures; a weekly finding's counts are the digest's
    and the strip's for the week it names (`domain.run_figures`: the rules compute none of their own)."""
    assert state.run is not None
    spike = LoadSpikeEvidence.from_flag(next((f for f in flags if f.code is FlagCode.LOAD_SPIKE), None))
    if spike is not None:
        assert spike.acute_load == round(state.run.load.acute_minutes, 1)
    for flag in flags:
        weekly = read_evidence(flag)
        if not isinstance(weekly, WeeklySessionsEvidence):
            continue
        week = state.run.last_week
        assert week is not None and weekly.week == week.week
        digest = build_for_athlete(digest_repositories(store), record, week.week_start, settings, zone)
        shown = (
            (digest.low_impact, week.low_impact)
            if isinstance(weekly, CrossTrainingEvidence)
            else (
                digest.strength,
                week.strength,
            )
        )
        assert shown == (weekly.sessions, weekly.sessions), flag.code


def _check(
    store: Store, reopen: Callable[[], Store], sim: StravaSimulator, athlete_id: int, clock: FakeClock, synced: bool
) -> None:
    assert store.annotation_batches.marked_stale_ids(athlete_id) == []
    current = _snapshot(store, athlete_id)
    settings = Settings(state_dir=Path(tempfile.gettempdir()), config_path=None)
    # the surfaces this process shows (caches and all) equal those of a fresh process reading the same database
    shown = _surfaces(store, athlete_id, settings)
    _agree_with_states(store, athlete_id, settings)
    fresh = reopen()
    try:
        assert _surfaces(fresh, athlete_id, settings) == shown
    finally:
        fresh.close()
    if synced:  # what Strava holds is the platform note syncd stored (runs in the window)
        for activity_id, (note, platform_note, _) in current.items():
            stored = store.get_activity(activity_id, with_streams=False)
            text = sim.description(int(stored.activity.external_id)) or ""
            if note is not None and START_MARKER in text:
                assert (platform_note or note) in text, activity_id
    store.mark_annotations_stale(athlete_id)
    reannotate(batch_repositories(store), POLICY, now=clock.now())
    assert _snapshot(store, athlete_id) == current
    assert _surfaces(store, athlete_id, settings) == shown


@pytest.mark.hypothesis_heavy
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events=st.lists(EVENTS, min_size=1, max_size=5))
def test_after_each_change_every_surface_equals_a_recompute_from_scratch(events: list[tuple[Any, ...]]) -> None:
    clock = FakeClock(datetime(2026, 11, 23, 6, 0, tzinfo=UTC))
    with tempfile.TemporaryDirectory() as tmp, StravaSimulator(clock=clock.now) as sim:
        box = SecretBox(SecretBox.generate_key(), origin="the test key")
        url = f"sqlite:///{Path(tmp) / 'syncd.db'}"
        store = Store.open(url, secret_box=box, clock=clock)
        try:
            athlete = sim.add_athlete(firstname="Prop", lastname="Runner").id
            runs = [_add_run(sim, athlete, clock.now() - timedelta(days=d, hours=2), 35, d) for d in (9, 6, 4, 2)]
            linked = harness.link(store, sim, athlete, clock=clock)
            service = harness.service(store, sim, clock=clock)
            service.run_once("w1")
            for number, event in enumerate(events):
                clock.advance(harness.seconds_until_due(store, clock.now()) + 3600)
                synced = _apply(event, number, store, sim, athlete, linked.athlete_id, runs, clock)
                if synced:
                    service.run_once("w1")
                _check(
                    store, lambda: Store.open(url, secret_box=box, clock=clock), sim, linked.athlete_id, clock, synced
                )
        finally:
            store.close()


def _apply(
    event: tuple[Any, ...],
    number: int,
    store: Store,
    sim: StravaSimulator,
    athlete: int,
    athlete_id: int,
    runs: list[int],
    clock: FakeClock,
) -> bool:
    """Apply one event as a runner would; True when it reaches syncd through a sync (False: a CLI command, which
    redoes the notes itself, as `syncd pain` does)."""
    kind = event[0]
    if kind == "upload":
        runs.append(_add_run(sim, athlete, clock.now() - timedelta(hours=1), event[1], 100 + number))
        return True
    if kind == "late":
        runs.append(_add_run(sim, athlete, clock.now() - timedelta(days=event[1]), event[2], 200 + number))
        return True
    if kind == "tag":
        target = runs[event[1] % len(runs)]
        [detail] = [d for d in sim.athletes[athlete].activities.values() if d["id"] == target]
        sim.update_activity(target, name=f"{extract_athlete_text(detail['name']) or 'Run'} #back {event[2]}")
        return True
    if kind == "cli":
        day = (clock.now() - timedelta(days=event[1])).date()
        first = store.pain_diary.first_activity_day(athlete_id)
        if first is None or day < first:
            return False  # refused where typed: nothing stored changes (checked by the recompute)
        record_entry(store.pain_diary, store, athlete_id, day, event[2], source=PainSource.CLI, now=clock.now())
    else:
        set_athlete_mode(store.pain_diary, athlete_id, event[1])
    annotate_marked(batch_repositories(store), athlete_id, POLICY, now=clock.now(), **WRITE)
    return False
