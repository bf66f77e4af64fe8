"""Issue 27, one truth: what a rule says about a run's load and last week's sessions is what the digest and the
feed's strip show for that day and week (the as-of state as the day or the week ended), for random histories of
runs, rides, walks, swims and strength sessions, timed, short or without a duration, with breaks; and a note built
by the services reads its run's figures from the run's state instead of computing its own."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from syncd.domain.as_of import Subject, end_of_day, state_as_of
from syncd.domain.history import History, HistoryEntry, summarize
from syncd.domain.load import week_start
from syncd.domain.model import Activity, Source, Sport
from syncd.domain.rules import load_spike, low_cross_training, low_strength
from syncd.domain.rules.context import RuleContext
from syncd.domain.rules.load_spike_evidence import LoadSpikeEvidence
from syncd.domain.rules.low_cross_training_evidence import CrossTrainingEvidence
from syncd.domain.rules.low_strength_evidence import StrengthEvidence
from syncd.domain.run_figures import run_figures
from syncd.domain.thresholds import Thresholds

T = Thresholds()
FIRST_DAY = datetime(2026, 10, 5, tzinfo=UTC)  # a Monday
SPORTS = (Sport.RUN, Sport.RUN, Sport.TRAIL_RUN, Sport.RIDE, Sport.WALK, Sport.SWIM, Sport.STRENGTH, Sport.YOGA)
SESSION = st.tuples(
    st.integers(0, 27),  # day (four calendar weeks)
    st.integers(5, 21),  # hour (local)
    st.sampled_from(SPORTS),
    st.sampled_from([0.0, 5.0, 14.9, 15.0, 30.0, 55.0, 90.0]),  # minutes; 0: logged without a duration
)


def _activity(entry: HistoryEntry) -> Activity:
    return Activity(
        Source.FILE,
        entry.key[1],
        entry.sport,
        entry.sport.value,
        entry.start_utc,
        utc_offset_s=entry.utc_offset_s,
        moving_s=entry.duration_s,
        distance_m=entry.distance_m,
    )


def _history(sessions: list[tuple[int, int, Sport, float]], offset_h: int) -> list[HistoryEntry]:
    out = []
    for n, (day, hour, sport, minutes) in enumerate(sessions):
        start = FIRST_DAY + timedelta(days=day, hours=hour - offset_h, minutes=n)  # distinct starts
        distance = minutes * 180.0 if sport.is_run else None
        out.append(HistoryEntry(("file", str(n)), sport, start, offset_h * 3600, minutes * 60.0, distance))
    return out


@settings(max_examples=200, deadline=None)
@given(sessions=st.lists(SESSION, min_size=4, max_size=30), offset_h=st.integers(-8, 10))
def test_the_rules_figures_are_the_day_and_week_states(
    sessions: list[tuple[int, int, Sport, float]], offset_h: int
) -> None:
    entries = _history(sessions, offset_h)
    zone = timezone(timedelta(hours=offset_h))
    rows = History(entries)
    for run in (e for e in entries if e.sport.is_run):
        ctx = RuleContext(activity=_activity(run), history=[e for e in entries if e.start_utc < run.start_utc])
        figures = ctx.figures()
        # the load with the run in it: the day's state once the day's last run is in
        later_same_day = [
            e for e in entries if e.sport.is_run and e.local_date == run.local_date and e.start_utc > run.start_utc
        ]
        day = state_as_of(rows, end_of_day(run.local_date, zone), run.local_date, thresholds=T)
        spike = load_spike.evaluate(ctx)
        if not later_same_day:
            assert figures.load.acute_minutes == day.load.acute_minutes
            if spike is not None:
                evidence = LoadSpikeEvidence.from_flag(spike)
                assert evidence is not None and evidence.acute_load == round(day.load.acute_minutes, 1)
        # last week's sessions: that week's state as it ended (the digest's counts, the strip's week)
        last_monday = week_start(run.local_date) - timedelta(days=7)
        week = state_as_of(
            rows, end_of_day(last_monday + timedelta(days=6), zone), last_monday + timedelta(days=6), thresholds=T
        ).week
        if figures.last_week is not None:
            assert figures.last_week == week
        cross = CrossTrainingEvidence.from_flag(low_cross_training.evaluate(ctx))
        strength = StrengthEvidence.from_flag(low_strength.evaluate(ctx))
        if cross is not None:
            assert (cross.week, cross.sessions) == (week.week, week.low_impact)
        if strength is not None:
            assert (strength.week, strength.sessions) == (week.week, week.strength)


def test_a_service_built_state_gives_the_rules_its_figures() -> None:
    """The note of a stored run reads the figures of its state (built once, by `run_figures`), not a recompute."""
    entries = _history(
        [(d, 7, Sport.RUN, 40.0) for d in range(12)] + [(d, 7, Sport.RUN, 90.0) for d in (28, 29, 30)], 1
    )
    run = entries[-1]
    activity = _activity(run)
    subject = Subject(run.key, "file", True, entry=summarize(activity))
    state = state_as_of(History(entries), run.start_utc, run.local_date, thresholds=T, subject=subject)
    assert state.run is not None
    assert state.run == run_figures(state.history, summarize(activity), T)  # the one function
    ctx = RuleContext(activity=activity, history=state.history, state=state)
    assert ctx.figures() is state.run
    day = state_as_of(History(entries), end_of_day(run.local_date, UTC), run.local_date, thresholds=T)
    assert day.run is None  # a day's state has no run to hold figures of
    flag = load_spike.evaluate(ctx)
    assert flag is not None  # back after 16 days with more than a usual week at once
    # the rule reads the state: a state whose figures say something else makes the rule say it too
    quiet = replace(state, run=replace(state.run, load=replace(state.run.load, status="ratio")))
    assert load_spike.evaluate(RuleContext(activity=activity, history=state.history, state=quiet)) is None
