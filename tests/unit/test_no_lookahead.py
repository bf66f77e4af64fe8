"""No look-ahead: a run's flags and evidence depend only on what happened before it (and the run itself).

Property: whatever is added to the history *after* a run started (later runs, rides, strength sessions, runs with
the same shoes, a hilly run, a race), annotating that run again gives exactly the same flags and evidence.
"""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from syncd.domain.history import HistoryEntry, OrderedHistory, history_before
from syncd.domain.model import Activity, Gear, Sport
from syncd.services.annotating import AnnotationPolicy, annotate_one
from tests.unit.test_streams_math import START, run_activity, synthetic_streams

SPORTS = [Sport.RUN, Sport.RUN, Sport.RUN, Sport.TRAIL_RUN, Sport.RIDE, Sport.WALK, Sport.STRENGTH, Sport.YOGA]
RUNS = {
    "steady": [(2700.0, 2.9)],
    "intervals": [(600.0, 2.7)] + [(90.0, 4.2), (90.0, 1.2)] * 6 + [(600.0, 2.7)],
    "tempo": [(600.0, 2.7), (1500.0, 3.4), (600.0, 2.7)],
}


@st.composite
def entries(draw: st.DrawFn, *, after: bool, count: int) -> list[HistoryEntry]:
    """Activities before START (the past) or after it (what happens later)."""
    out = []
    for i in range(draw(st.integers(0, count))):
        hours = draw(st.floats(0.5, 40 * 24))
        start = START + timedelta(hours=hours) if after else START - timedelta(hours=hours)
        sport = draw(st.sampled_from(SPORTS))
        minutes = draw(st.floats(1.0, 120.0))
        speed = draw(st.floats(1.5, 4.5)) if sport.is_run else None
        out.append(
            HistoryEntry(
                key=("strava", f"{'later' if after else 'past'}{i}"),
                sport=sport,
                start_utc=start,
                utc_offset_s=3600,
                duration_s=minutes * 60,
                distance_m=speed * minutes * 60 if speed else None,
                average_heart_rate=draw(st.one_of(st.none(), st.floats(110, 180))),
                average_speed_mps=speed,
                workout_type=draw(st.sampled_from([None, 0, 1, 2, 3])),
                elevation_gain_m=draw(st.one_of(st.none(), st.floats(0, 600))),
                gear_id=draw(st.sampled_from([None, "g1"])) if sport.is_run else None,
            )
        )
    return out


def the_run(kind: str, *, workout_type: int | None) -> Activity:
    activity = run_activity(synthetic_streams(RUNS[kind], dt=2.0), workout_type=workout_type)
    return Activity(
        activity.source,
        activity.external_id,
        activity.sport,
        activity.sport_original,
        activity.start_utc,
        utc_offset_s=3600,
        distance_m=activity.distance_m,
        elapsed_s=activity.elapsed_s,
        gear_id="g1",
        workout_type=workout_type,
        streams=activity.streams,
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    past=entries(after=False, count=40),
    later=entries(after=True, count=25),
    kind=st.sampled_from(sorted(RUNS)),
    workout_type=st.sampled_from([None, 0, 1, 3]),
    shoe_km=st.floats(400.0, 900.0),
    max_hr=st.sampled_from([None, 190.0]),
)
def test_later_activities_never_change_a_runs_flags(
    past: list[HistoryEntry],
    later: list[HistoryEntry],
    kind: str,
    workout_type: int | None,
    shoe_km: float,
    max_hr: float | None,
) -> None:
    run = the_run(kind, workout_type=workout_type)
    gear = Gear("g1", "Daily trainer", shoe_km * 1000.0)  # the shoe as of this run (services.gear_as_of)
    policy = AnnotationPolicy(max_heart_rate=max_hr)
    then = annotate_one(run, past, policy, gear=gear)
    now = annotate_one(run, past + later, policy, gear=gear)
    assert [f.to_json() for f in now.annotation.flags] == [f.to_json() for f in then.annotation.flags]
    assert now.note == then.note


@given(past=entries(after=False, count=30), later=entries(after=True, count=30))
def test_ordered_history_cuts_like_history_before(past: list[HistoryEntry], later: list[HistoryEntry]) -> None:
    everything = OrderedHistory(past + later)
    expected = sorted(history_before(past + later, START), key=lambda e: e.start_utc)
    assert sorted(everything.before(START), key=lambda e: e.start_utc) == expected
    assert all(e.start_utc < START for e in expected)
