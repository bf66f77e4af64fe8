"""Issue 27, one truth: what a rule says about a run's load and last week's sessions is what the digest and the
feed's strip show for that day and week (the as-of state as the day or the week ended), for random histories of
runs, rides, walks, swims and strength sessions, timed, short or without a duration, with breaks; and a note built
by the services reads its run's figures from the run's state instead of computing its own."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import example, given, settings
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


# Around the edge of the history window: a block of sessions, a long break, then a return about six weeks later,
# at any hour, so that sessions fall just inside and just outside the window before a run's start and before its
# day's end (the hours and minutes are drawn so both sides of the edge come up). The first block may be recorded in
# another zone (a trip: any offset from UTC-12 to UTC+14), which moves the instants its local days begin at.
EDGE_SESSION = st.tuples(
    st.one_of(st.integers(0, 8), st.integers(36, 50)),  # day: a block, then a return around six weeks later
    st.integers(0, 23),  # hour (local)
    st.integers(0, 59),  # minute
    st.sampled_from((Sport.RUN, Sport.RUN, Sport.RUN, Sport.RIDE, Sport.WALK)),
    st.sampled_from([10.0, 30.0, 53.0, 75.0]),
)
TRIP_DAYS = 9  # the first block's days


@settings(max_examples=300, deadline=None)
# the run's cut (42 days before its start) held day 0's runs, the day's (before its end) did not
@example(
    sessions=[(0, 0, 0, Sport.RUN, 10.0), (0, 0, 1, Sport.RUN, 10.0), (42, 0, 0, Sport.RUN, 10.0)], offset_h=0, trip_h=0
)
# a run at UTC+14 41 local days before a run at UTC-12 starts 26 hours earlier than the same local time would there
@example(sessions=[(4, 0, 0, Sport.RUN, 30.0), (45, 0, 0, Sport.RUN, 30.0)], offset_h=-12, trip_h=14)
@given(
    sessions=st.lists(EDGE_SESSION, min_size=3, max_size=24, unique_by=lambda s: s[:3]),
    offset_h=st.integers(-12, 14),
    trip_h=st.integers(-12, 14),
)
def test_the_last_runs_load_is_the_day_states_at_the_window_edge(
    sessions: list[tuple[int, int, int, Sport, float]], offset_h: int, trip_h: int
) -> None:
    """A run's state holds what started in the window before the run's start, the day's state what started in the
    window before the day's end; the load (7/28-day load, the usual week before a break, the covered days) reads
    local days only, so for the day's last run the note's load is the digest's and the strip's, every field."""
    entries = []
    for n, (day, hour, minute, sport, minutes) in enumerate(sessions):
        zone_h = trip_h if day < TRIP_DAYS else offset_h
        start = FIRST_DAY + timedelta(days=day, hours=hour - zone_h, minutes=minute)
        distance = minutes * 180.0 if sport.is_run else None
        entries.append(HistoryEntry(("file", str(n)), sport, start, zone_h * 3600, minutes * 60.0, distance))
    zone = timezone(timedelta(hours=offset_h))
    rows = History(entries)
    for run in (e for e in entries if e.sport.is_run and e.local_date.toordinal() - FIRST_DAY.toordinal() >= TRIP_DAYS):
        if any(e.sport.is_run and e.local_date == run.local_date and e.start_utc > run.start_utc for e in entries):
            continue  # not the day's last run: later runs of the day are in the day's load
        subject = Subject(run.key, "file", True, entry=run)
        state = state_as_of(rows, run.start_utc, run.local_date, thresholds=T, subject=subject)
        day = state_as_of(rows, end_of_day(run.local_date, zone), run.local_date, thresholds=T)
        assert state.run is not None
        assert state.run.load == day.load  # the note's figures (load_spike evidence) are the day's
        # a rule run without a service (the whole history before the run, uncut) reads the same load
        ctx = RuleContext(activity=_activity(run), history=[e for e in entries if e.start_utc < run.start_utc])
        assert ctx.figures().load == day.load
