"""Speed work read from laps (issue 28): the sessions the issue saw missed, and what must stay silent."""

from __future__ import annotations

import numpy as np
import pytest

from syncd.domain.flags import FlagCode
from syncd.domain.model import FloatArray, Lap, Sport
from syncd.domain.rules import no_warmup, speed_work
from syncd.domain.rules.context import RuleContext
from syncd.domain.rules.lap_structure import lap_intervals, lap_tempo, usable_laps
from tests.unit.test_streams_math import easy_history, run_activity, synthetic_streams

MARGIN, FASTER = 1.1, 1.15


def laps(plan: list[tuple[float, float]], trigger: str | None = "manual") -> tuple[Lap, ...]:
    """(metres, seconds) per lap, back to back."""
    out, start = [], 0.0
    for metres, seconds in plan:
        out.append(Lap(start, seconds, metres, seconds, "active", trigger))
        start += seconds
    return tuple(out)


def pace(metres: float, s_per_km: float) -> tuple[float, float]:
    return metres, metres / 1000 * s_per_km


def six_by_800() -> tuple[Lap, ...]:
    """A 2-mile warm-up lap, 6 x 800 m at 3:40/km with 400 m jogs at 6:30/km, every rep and jog a lap, cool-down."""
    plan = [pace(3219, 330)]
    for i in range(6):
        plan.append(pace(800, 220))
        if i < 5:
            plan.append(pace(400, 390))
    plan.append(pace(1600, 340))
    return laps(plan)


def test_six_by_800_with_jogs_after_a_warm_up() -> None:
    found = lap_intervals(six_by_800(), easy_mps=None, margin=MARGIN, min_reps=3)
    assert found is not None and found.reps == 6 and found.rep_distance_m == 800
    assert found.rep_speed_mps == pytest.approx(1000 / 220) and found.start_s == pytest.approx(3219 * 0.33)
    with_history = lap_intervals(six_by_800(), easy_mps=1000 / 330, margin=MARGIN, min_reps=3)
    assert with_history is not None and with_history.from_history


def test_reps_with_standing_recoveries_and_no_warm_up() -> None:
    """~850 m at 3:57/km, one-minute standing recoveries, each a manual lap; nothing else."""
    plan: list[tuple[float, float]] = []
    for i in range(5):
        plan.append(pace(850 + 10 * (i % 2), 237))
        if i < 4:
            plan.append((3.0, 60.0))
    found = lap_intervals(laps(plan), easy_mps=None, margin=MARGIN, min_reps=3)
    assert found is not None and found.reps == 5


def test_four_by_six_minutes_with_jogged_recoveries() -> None:
    plan = [pace(1500, 360)]
    for i in range(4):
        plan.append((360 * 1000 / 250, 360.0))  # 6 min at 4:10/km
        if i < 3:
            plan.append((120 * 1000 / 400, 120.0))  # 2 min jog at 6:40/km
    found = lap_intervals(laps(plan), easy_mps=None, margin=MARGIN, min_reps=3)
    assert found is not None and found.reps == 4 and found.rep_duration_s == 360


def test_run_walk_is_not_speed_work() -> None:
    """A long run/walk: 5 min running at 6:30/km, 1 min walking at 11:00/km, every part a lap."""
    plan: list[tuple[float, float]] = []
    for _ in range(20):
        plan += [(300 * 1000 / 390, 300.0), (60 * 1000 / 660, 60.0)]
    assert lap_intervals(laps(plan), easy_mps=None, margin=MARGIN, min_reps=3) is None
    assert lap_intervals(laps(plan), easy_mps=1000 / 400, margin=MARGIN, min_reps=3) is None


def test_auto_laps_are_splits_not_reps() -> None:
    """Every km an auto lap, alternating fast and slow by chance of the route: no structure."""
    plan = [pace(1000, 240 if i % 2 else 330) for i in range(10)]
    assert lap_intervals(laps(plan, trigger="distance"), easy_mps=None, margin=MARGIN, min_reps=3) is None
    assert lap_intervals(laps(plan, trigger="manual"), easy_mps=None, margin=MARGIN, min_reps=3) is not None


def test_auto_laps_by_time_are_splits_not_reps() -> None:
    """A lap every 5 minutes, fast and slow by chance of the route (the last one short): no structure."""
    plan = [(300 * 1000 / (240 if i % 2 else 330), 300.0) for i in range(9)] + [(400.0, 120.0)]
    assert lap_intervals(laps(plan, trigger="time"), easy_mps=None, margin=MARGIN, min_reps=3) is None


def test_a_programmed_fartlek_ended_by_time_is_speed_work() -> None:
    """Watch-programmed steps end by time at several lengths (1:00 on / 1:45 float, 0:45 / 1:30, ...): the steps
    of a workout, not auto laps (a real one: corpus/cse_Tuesday_Fartlek.fit.gz)."""
    plan = [pace(1000, 303), (953.0, 296.0)]
    for on, off in ((60, 105), (45, 90), (60, 150), (120, 150), (90, 150), (75, 105)):
        plan += [(on * 1000 / 234, float(on)), (off * 1000 / 308, float(off))]
    plan += [pace(1000, 309), (942.0, 291.0)]
    steps = laps(plan, trigger="time")
    found = lap_intervals(steps, easy_mps=None, margin=MARGIN, min_reps=3)
    assert found is not None and found.reps == 6 and found.rep_speed_mps == pytest.approx(1000 / 234)


def test_a_programmed_session_ended_by_distance_is_speed_work() -> None:
    """6 x 800 m with 400 m jogs programmed on the watch: every lap ended by distance, at two lengths."""
    plan = [pace(3200, 330)]
    for i in range(6):
        plan.append(pace(800, 220))
        if i < 5:
            plan.append(pace(400, 390))
    found = lap_intervals(laps(plan, trigger="distance"), easy_mps=None, margin=MARGIN, min_reps=3)
    assert found is not None and found.reps == 6


def test_a_tempo_block_in_a_long_run_from_its_laps() -> None:
    """19 km: a 20-minute block at 3:42/km, the other laps 4:10-5:16/km (the issue's miss)."""
    plan = [pace(1000, p) for p in (316, 300, 290, 280, 270, 262, 255)]
    plan.append((1200 / 222 * 1000, 1200.0))  # 20 min at 3:42/km, one lap
    plan += [pace(1000, p) for p in (265, 280, 300, 316, 310)]
    found = lap_tempo(laps(plan, trigger=None), easy_mps=None, faster=FASTER)
    assert found is not None and found.rep_duration_s == 1200.0
    assert found.rep_speed_mps == pytest.approx(1000 / 222)


def test_a_run_that_starts_fast_and_fades_holds_no_tempo() -> None:
    plan = [pace(1000, p) for p in (300, 302, 305, 308, 330, 360, 370, 380)]
    assert lap_tempo(laps(plan, trigger="distance"), easy_mps=None, faster=FASTER) is None


@pytest.mark.parametrize(
    "bad",
    [
        Lap(0.0, 0.0, 400.0),
        Lap(0.0, -60.0, 400.0),
        Lap(0.0, 60.0, -400.0),
        Lap(0.0, float("nan"), 400.0),
        Lap(0.0, 60.0, None),
    ],
)
def test_bad_laps_are_left_out(bad: Lap) -> None:
    assert usable_laps([bad]) == []
    mixed = (*six_by_800(), bad)
    found = lap_intervals(mixed, easy_mps=None, margin=MARGIN, min_reps=3)
    assert found is not None and found.reps == 6


def test_the_rule_reads_laps_before_the_stream_and_never_a_run_walk_stream() -> None:
    steady = synthetic_streams([(3600.0, 2.8)])
    flag = speed_work.evaluate(RuleContext(run_activity(steady, laps=six_by_800())))
    assert flag is not None and flag.code is FlagCode.SPEED_WORK and flag.evidence["trigger"] == "laps"
    assert flag.evidence["reps"] == 6
    # run/walk in the stream: 4 min running at 6:00/km, 1 min walking at 10:00/km, for 80 minutes
    run_walk = synthetic_streams([(240.0, 2.78), (60.0, 1.67)] * 16)
    assert speed_work.evaluate(RuleContext(run_activity(run_walk))) is None
    assert speed_work.evaluate(RuleContext(run_activity(run_walk), history=easy_history(2.7))) is None


def test_a_noisy_run_walk_long_run_is_neither_speed_work_nor_a_missed_warm_up() -> None:
    """The issue's 23 km run/walk: ~2.5 min running (GPS pace 5:00-7:15/km in 20 s pieces), a 1-minute walk, 29
    times. It used to read '29 x 420 m ... repeated fast efforts' and 'No warm-up'."""
    rng = np.random.default_rng(1)
    plan: list[tuple[float, float | None]] = []
    for _ in range(29):
        plan += [(20.0, float(rng.uniform(2.3, 3.3))) for _ in range(8)]
        plan.append((60.0, float(rng.uniform(1.2, 1.5))))
    activity = run_activity(synthetic_streams(plan))
    assert speed_work.evaluate(RuleContext(activity)) is None
    assert no_warmup.evaluate(RuleContext(activity)) is None


def test_a_treadmill_ramp_then_steady_is_no_tempo() -> None:
    """The first 6 minutes ramp up from 10:47/km, then 20 minutes steady at 6:12/km (the issue's false tempo)."""
    ramp = [(60.0, 1000 / s) for s in np.linspace(647, 380, 6)]
    streams = synthetic_streams([*ramp, (1200.0, 1000 / 372)], gps=False, distance=False, speed=True)
    activity = run_activity(streams, sport=Sport.TREADMILL_RUN)
    assert speed_work.evaluate(RuleContext(activity)) is None
    assert speed_work.evaluate(RuleContext(activity, history=easy_history(1000 / 440))) is None

    def hr(time: FloatArray) -> FloatArray:
        return np.where(time < 720, 130.0, 170.0)

    # 12 minutes at 6:00/km, then 20 minutes at 4:00/km, heart rate 170: a tempo block
    block = synthetic_streams(
        [(720.0, 1000 / 360), (1200.0, 1000 / 240)], gps=False, distance=False, speed=True, heart_rate=hr
    )
    found = speed_work.evaluate(RuleContext(run_activity(block, sport=Sport.TREADMILL_RUN)))
    assert found is not None and found.evidence["trigger"] == "tempo"


def test_parsers_say_what_ended_each_lap() -> None:
    """FIT lap_trigger and TCX TriggerMethod reach the model: manual laps are structure, auto laps are splits."""
    from pathlib import Path

    from syncd.adapters.files import load_activities

    real = Path(__file__).resolve().parents[1] / "fixtures" / "real"
    (fit,) = load_activities(real / "0137001239.fit")
    assert [lap.trigger for lap in fit.activity.laps] == ["distance"] * 13 + ["session_end"]
    (tcx,) = load_activities(real / "c2eb1b_6.tcx")
    assert {lap.trigger for lap in tcx.activity.laps} == {"manual"}
    found = lap_intervals(tcx.activity.laps, easy_mps=None, margin=MARGIN, min_reps=3)
    assert found is not None and found.reps == 8  # 8 x 200 m with 200 m walks, after a 5-minute warm-up
    assert lap_intervals(fit.activity.laps, easy_mps=None, margin=MARGIN, min_reps=3) is None
