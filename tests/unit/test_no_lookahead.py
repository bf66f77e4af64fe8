"""No look-ahead: a run's flags and evidence depend only on what happened before it (and the run itself).

Property: whatever is added to the history *after* a run started (later runs, rides, strength sessions, runs with
the same shoes, a hilly run, a race), annotating that run again gives exactly the same flags and evidence.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from syncd.domain.history import HISTORY_WINDOW, History, HistoryEntry, HistoryRow, history_before
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


@pytest.mark.hypothesis_heavy
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


@st.composite
def stored_rows(draw: st.DrawFn) -> list[HistoryRow]:
    """Stored activities around START with store ids, some sharing a twin group (the same run from two sources)."""
    rows = []
    for i, entry in enumerate(draw(entries(after=False, count=20)) + draw(entries(after=True, count=20))):
        group = draw(st.sampled_from([None, None, "g1", "g2"]))
        rows.append(HistoryRow(i + 1, group, entry))
    return rows


def _by_hand(rows: list[HistoryRow], start: datetime, activity_id: int, group: str | None) -> list[HistoryEntry]:
    """The cut spelled out: started in the 42 days before `start`, not the run nor its twin, each group once."""
    kept, seen = [], set()
    for row in sorted(rows, key=lambda r: r.entry.start_utc):
        if not start - HISTORY_WINDOW <= row.entry.start_utc < start or row.activity_id == activity_id:
            continue
        if row.logical_group is not None and (row.logical_group == group or row.logical_group in seen):
            continue
        seen.add(row.logical_group)
        kept.append(row.entry)
    return kept


@pytest.mark.hypothesis_heavy
@given(rows=stored_rows(), group=st.sampled_from([None, "g1"]), order=st.randoms(use_true_random=False))
def test_the_one_history_cut_never_looks_ahead_nor_counts_a_twin_twice(
    rows: list[HistoryRow], group: str | None, order: random.Random
) -> None:
    """Every path (one run, a batch, the digest, the diary) cuts through `History`: whatever the order the rows
    come in, a run sees only what started before it, never itself nor its twin, each other run once."""
    shuffled = list(rows)
    order.shuffle(shuffled)
    got = History(shuffled).before(START, activity_id=0, group=group)
    assert {e.key for e in got} == {e.key for e in _by_hand(rows, START, 0, group)}
    assert all(e.start_utc < START for e in got)
    assert len({row.logical_group for row in rows if row.entry in got and row.logical_group}) == sum(
        1 for row in rows if row.entry in got and row.logical_group
    )
    assert history_before([r.entry for r in rows], START) == History([r.entry for r in rows]).before(START)


def test_twins_starting_in_the_same_second_are_cut_the_same_whatever_the_order() -> None:
    """Found by CI: the watch's FIT and its GPX export start in the same second; which one stands for the group
    hung on the order the rows came in, so two surfaces reading the same rows could show different runs."""
    base = {"sport": Sport.RUN, "utc_offset_s": 3600, "duration_s": 60.0, "distance_m": 120.0, "average_speed_mps": 2.0}
    when = START - timedelta(days=3)
    first = HistoryRow(5, "g1", HistoryEntry(key=("file", "a.fit"), start_utc=when, **base))  # type: ignore[arg-type]
    second = HistoryRow(6, "g1", HistoryEntry(key=("file", "a.gpx"), start_utc=when, **base))  # type: ignore[arg-type]
    assert History([first, second]).before(START) == History([second, first]).before(START) == [first.entry]
