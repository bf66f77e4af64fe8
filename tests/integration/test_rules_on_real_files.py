"""The four stream rules on hand-labelled real recordings (tests/fixtures/real, see MANIFEST.tsv there).

Each label says what a careful coach would conclude from the file and why (the reason comes from the MANIFEST
description). History, when given, is a plain athlete whose recent runs all averaged one easy pace.
"""

from __future__ import annotations

from datetime import timedelta
from functools import cache
from pathlib import Path

import pytest

from syncd.adapters.files import load_activities
from syncd.domain.flags import Flag, FlagCode, Severity
from syncd.domain.history import HistoryEntry
from syncd.domain.model import Activity, Sport
from syncd.domain.rules import downhill, hard_surface, no_warmup, speed_work
from syncd.domain.rules.context import RuleContext

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real"
RULES = {
    FlagCode.HARD_SURFACE: hard_surface,
    FlagCode.DOWNHILL: downhill,
    FlagCode.SPEED_WORK: speed_work,
    FlagCode.NO_WARMUP: no_warmup,
}


@cache
def activities(name: str) -> tuple[Activity, ...]:
    return tuple(parsed.activity for parsed in load_activities(REAL / name))


def only_run(name: str) -> Activity:
    runs = [a for a in activities(name) if a.sport.is_run]
    assert len(runs) == 1, f"{name}: expected one run, got {[a.sport for a in activities(name)]}"
    return runs[0]


def easy_at(activity: Activity, pace_s_per_km: float) -> tuple[HistoryEntry, ...]:
    speed = 1000.0 / pace_s_per_km
    return tuple(
        HistoryEntry(
            key=("file", f"easy{i}"),
            sport=Sport.RUN,
            start_utc=activity.start_utc - timedelta(days=2 * i + 1),
            utc_offset_s=0,
            duration_s=3000.0,
            distance_m=3000.0 * speed,
            average_speed_mps=speed,
        )
        for i in range(8)
    )


def flags(activity: Activity, history: tuple[HistoryEntry, ...] = ()) -> dict[FlagCode, Flag]:
    ctx = RuleContext(activity, history=history)
    return {code: flag for code, rule in RULES.items() if (flag := rule.evaluate(ctx)) is not None}


# --- downhill --------------------------------------------------------------------------------------------------


def test_run_fit_steep_downhill_finish_is_high() -> None:
    """run.fit: hilly 5.8 km run, climbs ~180 m then drops ~150 m, last km about -11 %."""
    found = flags(only_run("run.fit"))
    flag = found[FlagCode.DOWNHILL]
    assert flag.severity is Severity.HIGH
    assert flag.evidence["steepest_grade_pct"] <= -10.0
    assert flag.evidence["steep_distance_m"] >= 1000.0
    assert 150.0 <= flag.evidence["total_descent_m"] <= 260.0


def test_hill_run_with_walking_is_a_downhill_positive() -> None:
    """2013-02-06-12-11-14.fit: hill run, up ~150 m over 2 km, then down (Scottish Highlands)."""
    flag = flags(only_run("2013-02-06-12-11-14.fit"))[FlagCode.DOWNHILL]
    assert flag.evidence["descent_per_km_m"] >= 20.0
    assert flag.evidence["steep_distance_m"] >= 200.0
    assert 120.0 <= flag.evidence["total_descent_m"] <= 180.0


def test_flat_road_run_with_noisy_gps_altitude_is_not_downhill() -> None:
    """Morning_Run_with_H10.gpx: flat 0-10 m coastal course; GPS altitude noise fakes ~250 m of gain."""
    assert FlagCode.DOWNHILL not in flags(only_run("Morning_Run_with_H10.gpx"))


def test_interval_session_with_a_zero_altitude_first_point_is_not_downhill() -> None:
    """c2eb1b_6.tcx: flat interval session at ~1120 m whose first trackpoint has altitude 0."""
    assert FlagCode.DOWNHILL not in flags(only_run("c2eb1b_6.tcx"))


# --- speed work ------------------------------------------------------------------------------------------------


def test_eight_by_two_hundred_is_speed_work() -> None:
    """c2eb1b_6.tcx: 5 min warm-up, 8 x 200 m (~58-61 s, 4:47-5:04/km) with 200 m walks, cool-down."""
    run = only_run("c2eb1b_6.tcx")
    for history in ((), easy_at(run, 400.0)):
        flag = flags(run, history)[FlagCode.SPEED_WORK]
        assert flag.evidence["trigger"] == "laps"  # the runner pressed lap at every rep and walk (issue 28)
        assert flag.evidence["reps"] == 8
        assert flag.evidence["rep_distance_m"] == pytest.approx(200.0, abs=25.0)
        assert flag.evidence["rep_duration_s"] == pytest.approx(60.0, abs=10.0)
        assert 280.0 <= flag.evidence["rep_pace_s_per_km"] <= 320.0


def test_hill_run_with_walking_breaks_is_not_speed_work() -> None:
    """2013-02-06-12-11-14.fit: walking on the climbs and running the descents is terrain, not intervals."""
    run = only_run("2013-02-06-12-11-14.fit")
    for history in ((), easy_at(run, 330.0), easy_at(run, 420.0)):
        assert FlagCode.SPEED_WORK not in flags(run, history)


def test_steady_road_run_that_fades_is_not_speed_work() -> None:
    """Morning_Run_with_H10.gpx: starts fast (km1 4:32) then fades to 6:15-7:40/km; an ordinary run."""
    run = only_run("Morning_Run_with_H10.gpx")
    for history in ((), easy_at(run, 330.0)):
        assert FlagCode.SPEED_WORK not in flags(run, history)


def test_hilly_run_is_not_speed_work() -> None:
    """run.fit: fast start on the flat, then 8-11 min/km uphill and a steep descent: no session structure."""
    run = only_run("run.fit")
    for history in ((), easy_at(run, 360.0)):
        assert FlagCode.SPEED_WORK not in flags(run, history)


def test_steady_treadmill_run_holds_no_tempo_block() -> None:
    """0137001239.fit: treadmill 13 km steady at 4:16-4:29/km, heart rate 135-148 (max 151).

    Issue 28: a block is faster than the run's own steady running; this run is all steady running, so it holds no
    block, whatever the easy pace from history, unless heart rate confirms a hard effort (it stays far below any
    hard zone here)."""
    run = only_run("0137001239.fit")
    for history in ((), easy_at(run, 315.0), easy_at(run, 270.0)):
        assert FlagCode.SPEED_WORK not in flags(run, history)


def test_foot_pod_progression_run_is_tempo_against_history_and_its_own_easy_parts() -> None:
    """compressed-speed-distance.fit: slow 2 km with a stop, km3-6 at 5:06-6:21, then km7-10 at 4:17-4:51: the
    hard finish is a sustained block about 20 % quicker than the run's own middle kilometres, a quality session."""
    run = only_run("compressed-speed-distance.fit")
    own = flags(run)[FlagCode.SPEED_WORK]
    assert own.evidence["trigger"] == "tempo" and own.evidence["easy_source"] == "this_run"
    assert flags(run, easy_at(run, 345.0))[FlagCode.SPEED_WORK].evidence["trigger"] == "tempo"


# --- warm-up ---------------------------------------------------------------------------------------------------


def test_interval_session_had_its_warm_up() -> None:
    """c2eb1b_6.tcx: a 5-minute warm-up at 6:22/km before 200 m reps at ~5:00/km counts as a warm-up."""
    run = only_run("c2eb1b_6.tcx")
    for history in ((), easy_at(run, 400.0)):
        assert FlagCode.NO_WARMUP not in flags(run, history)


def test_fast_start_that_fades_does_not_later_go_hard() -> None:
    """Morning_Run_with_H10.gpx: the opening is the fastest part; the main part is the athlete's usual pace."""
    run = only_run("Morning_Run_with_H10.gpx")
    for history in ((), easy_at(run, 330.0)):
        assert FlagCode.NO_WARMUP not in flags(run, history)


def test_steady_treadmill_run_needs_no_warm_up_flag() -> None:
    """0137001239.fit: km1 4:35 then 4:16-4:29/km at a heart rate of 135-148: no hard part (see above), so nothing
    to warm up for, with or without an easier history (issue 28: it used to be a tempo against history alone)."""
    run = only_run("0137001239.fit")
    for history in ((), easy_at(run, 315.0)):
        assert FlagCode.NO_WARMUP not in flags(run, history)


def test_progression_run_started_slowly() -> None:
    """compressed-speed-distance.fit: ~2 km slow start at 9-11 min/km before the fast second half."""
    run = only_run("compressed-speed-distance.fit")
    assert FlagCode.NO_WARMUP not in flags(run, easy_at(run, 345.0))


# --- surface ---------------------------------------------------------------------------------------------------


def test_outdoor_gps_runs_without_a_map_have_an_unknown_surface() -> None:
    """GPS runs without map data: nobody measured the surface, so no per-run line guesses it."""
    for name in ("run.fit", "Morning_Run_with_H10.gpx", "c2eb1b_6.tcx", "2013-02-06-12-11-14.fit"):
        assert FlagCode.HARD_SURFACE not in flags(only_run(name)), name


def test_treadmill_and_no_gps_runs_are_not_hard() -> None:
    """0137001239.fit is indoor (treadmill); compressed-speed-distance.fit has no GPS and no indoor marker."""
    assert FlagCode.HARD_SURFACE not in flags(only_run("0137001239.fit"))
    assert FlagCode.HARD_SURFACE not in flags(only_run("compressed-speed-distance.fit"))


def test_treadmill_has_no_downhill() -> None:
    """0137001239.fit: no altitude on a treadmill."""
    assert FlagCode.DOWNHILL not in flags(only_run("0137001239.fit"))


# --- not runs --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("null_compressed_speed_dist.fit", "virtual ride (Zwift) with synthetic-world altitude"),
        ("sample-activity-indoor-trainer.fit", "indoor trainer ride, no GPS, no distance"),
        ("Afternoon_Walk_Polar_Watch.gpx", "a 2.2 km walk at ~10 min/km"),
        ("korita-zbevnica.gpx", "a hike with a 250 m descent at ~-7 %: downhill, but not running"),
        ("20170518-191602-1740899583.fit", "indoor rowing with 8 laps"),
    ],
)
def test_non_runs_get_no_stream_flags(name: str, reason: str) -> None:
    for activity in activities(name):
        assert not activity.sport.is_run, reason
        assert flags(activity, easy_at(activity, 330.0)) == {}, reason


def test_triathlon_only_the_run_leg_is_judged() -> None:
    """sample_mulitple_header.fit: swim 1.6 km, bike 40.9 km, run 9.8 km on the flat; only the run leg counts.

    The run off the bike of a triathlon, even over 10 km, is its race (issue 28: speed work, trigger "race"); it
    starts warmed up by the swim and the ride (no no_warmup); the surface is unknown without a map."""
    legs = activities("sample_mulitple_header.fit")
    for leg in legs:
        if not leg.sport.is_run:
            assert flags(leg) == {}, leg.sport
    found = flags(only_run("sample_mulitple_header.fit"))
    assert set(found) == {FlagCode.SPEED_WORK}
    assert found[FlagCode.SPEED_WORK].evidence["trigger"] == "race"
