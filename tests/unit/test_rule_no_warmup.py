"""no_warmup: the opening window must be clearly easier than a main part that goes hard."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np
import pytest

from syncd.domain.flags import Confidence, Flag, FlagCode, Severity
from syncd.domain.history import HistoryEntry
from syncd.domain.model import MULTISPORT_AFTER, FloatArray, Sport, Streams
from syncd.domain.notes import render_flag
from syncd.domain.rules import no_warmup, speed_work
from syncd.domain.rules.context import RuleContext
from syncd.domain.thresholds import Thresholds
from tests.unit.test_streams_math import easy_history, run_activity, synthetic_streams

DEFAULTS = Thresholds()

REPS = [(60.0, 4.0), (90.0, 1.5)] * 6
COOL = [(600.0, 2.7)]


def flag_for(
    streams: Streams,
    *,
    history: Sequence[HistoryEntry] = (),
    workout_type: int | None = None,
    sport: Sport = Sport.RUN,
    thresholds: Thresholds = DEFAULTS,
) -> Flag | None:
    activity = run_activity(streams, sport=sport, workout_type=workout_type)
    return no_warmup.evaluate(RuleContext(activity, history=history, thresholds=thresholds))


def test_intervals_after_a_proper_warm_up_are_fine() -> None:
    assert flag_for(synthetic_streams([(720.0, 2.6), *REPS, *COOL])) is None


def test_five_minute_structured_warm_up_before_reps_passes() -> None:
    assert flag_for(synthetic_streams([(300.0, 2.6), *REPS, *COOL])) is None


def test_reps_after_a_two_minute_jog_are_flagged() -> None:
    flag = flag_for(synthetic_streams([(120.0, 2.6), *REPS, *COOL]))
    assert flag is not None
    assert flag.code is FlagCode.NO_WARMUP
    assert flag.severity is Severity.CAUTION
    assert flag.confidence is Confidence.HIGH
    ev = flag.evidence
    assert ev["window_s"] == pytest.approx(120, abs=15)
    assert ev["first_pace_s_per_km"] == pytest.approx(385, abs=15)
    assert ev["main_pace_s_per_km"] == pytest.approx(250, abs=15)
    assert flag.advice and not any(ch.isdigit() for ch in flag.advice)


def test_reps_from_the_first_step_are_flagged() -> None:
    flag = flag_for(synthetic_streams([*REPS, *COOL]))
    assert flag is not None
    assert flag.evidence["window_s"] < 20


def test_warm_up_as_fast_as_the_reps_is_flagged() -> None:
    # Ten minutes "warming up" at rep pace is not a warm-up (history says how easy the athlete's easy is).
    flag = flag_for(synthetic_streams([(600.0, 3.9), (90.0, 1.5), *REPS, *COOL]), history=easy_history(2.7))
    assert flag is not None
    assert flag.evidence["first_pace_s_per_km"] == pytest.approx(256, abs=10)


def test_a_multisport_leg_after_another_starts_warmed_up() -> None:
    """A triathlon's run follows the swim and the ride: reps from its first step are no missing warm-up there."""
    streams = synthetic_streams([*REPS, *COOL])
    leg = replace(run_activity(streams), extra={MULTISPORT_AFTER: ["swim", "ride"]})
    assert no_warmup.evaluate(RuleContext(leg)) is None
    assert flag_for(streams) is not None


def test_tempo_run_started_at_tempo_pace_is_flagged_with_history() -> None:
    streams = synthetic_streams([(3000.0, 3.3)])
    flag = flag_for(streams, history=easy_history(2.7))
    assert flag is not None
    assert flag.confidence is Confidence.MEDIUM
    # 1.5 km comes before 10 minutes at this pace: the window is the first 1.5 km.
    assert flag.evidence["window_m"] == pytest.approx(1500, abs=10)
    assert flag.evidence["first_pace_s_per_km"] == pytest.approx(303, abs=3)
    assert flag.evidence["main_pace_s_per_km"] == pytest.approx(303, abs=3)
    assert flag_for(streams) is None  # without history nothing says the run was hard


def test_tempo_run_with_an_easy_start_is_fine() -> None:
    assert flag_for(synthetic_streams([(600.0, 2.7), (2400.0, 3.3)]), history=easy_history(2.7)) is None


def test_easier_by_threshold_is_honoured() -> None:
    # Opening 4 % slower than the main part: not clearly easier at 5 %, easy enough at 3 %.
    streams = synthetic_streams([(600.0, 3.3 / 1.04), (2400.0, 3.3)])
    assert flag_for(streams, history=easy_history(2.7)) is not None
    lenient = Thresholds(warmup_easier_by_pct=3.0)
    assert flag_for(streams, history=easy_history(2.7), thresholds=lenient) is None


def test_steady_easy_run_needs_no_warm_up() -> None:
    assert flag_for(synthetic_streams([(3000.0, 2.7)]), history=easy_history(2.7)) is None
    assert flag_for(synthetic_streams([(3000.0, 2.7)])) is None


def test_fast_start_that_fades_does_not_later_go_hard() -> None:
    # Opening fast, then the main part at the athlete's usual pace.
    streams = synthetic_streams([(300.0, 3.7), (4200.0, 2.85)])
    assert flag_for(streams, history=easy_history(2.85)) is None
    assert flag_for(streams) is None


def test_race_started_at_race_pace_is_flagged_without_history() -> None:
    flag = flag_for(synthetic_streams([(1800.0, 3.8)]), workout_type=1)
    assert flag is not None
    assert flag.evidence["main_pace_s_per_km"] == pytest.approx(263, abs=3)


def test_standing_at_the_start_is_not_a_warm_up() -> None:
    # Five minutes waiting for GPS, then straight into a race: the wait is not moving time.
    flag = flag_for(synthetic_streams([(300.0, 0.0), (1800.0, 3.8)]), workout_type=1)
    assert flag is not None
    assert flag.evidence["first_pace_s_per_km"] == pytest.approx(263, abs=5)


def test_pause_inside_the_window_does_not_count_as_easy_time() -> None:
    flag = flag_for(synthetic_streams([(200.0, 3.8), (400.0, None), (1800.0, 3.8)]), workout_type=1)
    assert flag is not None
    assert flag.evidence["window_s"] == pytest.approx(394, abs=20)  # 1.5 km of running, the pause left out


def test_short_runs_are_silent() -> None:
    # 3 minutes, and 15 minutes (a window but not a main part as long as it).
    assert flag_for(synthetic_streams([(180.0, 4.0)]), workout_type=1) is None
    assert flag_for(synthetic_streams([(900.0, 2.6)]), workout_type=1) is None


def test_speed_sensor_only_treadmill_tempo() -> None:
    """50 minutes at 20 % faster than the usual easy pace from the first step: the block is the run, so history
    decides and heart rate must confirm it (issue 28); confirmed, there was no warm-up."""

    def hard(time: FloatArray) -> FloatArray:
        return np.full(len(time), 176.0)

    streams = synthetic_streams([(3000.0, 3.6)], gps=False, distance=False, speed=True, heart_rate=hard)
    activity = run_activity(streams, sport=Sport.TREADMILL_RUN)
    confirmed = RuleContext(activity, history=easy_history(3.0), max_heart_rate=190.0)
    assert no_warmup.evaluate(confirmed) is not None
    assert flag_for(streams, history=easy_history(3.0), sport=Sport.TREADMILL_RUN) is None  # no max HR: unconfirmed


@pytest.mark.parametrize("sport", [Sport.RIDE, Sport.WALK])
def test_non_runs_are_ignored(sport: Sport) -> None:
    assert flag_for(synthetic_streams([(1800.0, 3.8)]), workout_type=1, sport=sport) is None


def test_no_streams_is_silent() -> None:
    assert no_warmup.evaluate(RuleContext(run_activity(None, workout_type=1))) is None


def test_a_steady_run_is_never_no_warm_up() -> None:
    # Brisk but steady (12 % quicker than usual): no hard part, nothing to warm up for.
    assert flag_for(synthetic_streams([(3000.0, 3.0)]), history=easy_history(2.68)) is None


def test_a_10k_race_from_the_gun_says_it_started_at_race_pace() -> None:
    streams = synthetic_streams([(9500.0 / 3.9, 3.9), (500.0 / 4.5, 4.5)])
    flag = flag_for(streams, history=easy_history(3.0))
    assert flag is not None and flag.evidence["kind"] == "not_easier"
    assert flag.evidence["first_pace_s_per_km"] == pytest.approx(256, abs=3)


def hill_start(first_speed: float) -> Streams:
    """Intervals after a 1.5 km opening climb at 8 % (altitude follows distance)."""

    def altitude(dist: np.ndarray) -> np.ndarray:  # type: ignore[type-arg]
        return 100.0 + np.minimum(dist, 1500.0) * 0.08

    return synthetic_streams([(1500.0 / first_speed, first_speed), *REPS, *COOL], altitude=altitude)


def test_a_slow_start_up_a_steep_hill_is_not_an_easy_start() -> None:
    # 2.9 m/s up 8 % is about 3.7 m/s of effort on the flat: as hard as the reps' 4.0, not a warm-up.
    flag = flag_for(hill_start(3.3))
    assert flag is not None and flag.evidence["opening_grade_pct"] == pytest.approx(8.0, abs=0.5)
    assert flag.evidence["first_flat_pace_s_per_km"] is not None
    # A genuinely easy jog up the same hill is a warm-up.
    assert flag_for(hill_start(2.2)) is None


def ramp(levels: Sequence[tuple[float, float]]) -> Callable[[np.ndarray], np.ndarray]:  # type: ignore[type-arg]
    """Heart rate over time, linear between (seconds, bpm) points, flat after the last."""
    points_t = np.array([p[0] for p in levels])
    points_hr = np.array([p[1] for p in levels])
    return lambda time: np.interp(time, points_t, points_hr)


# An easy-paced opening (12 min at 2.6 m/s), then the reps: only heart rate tells the two stories apart.
EASY_PACE_OPENING = [(720.0, 2.6), *REPS, *COOL]


def test_heart_rate_at_the_hard_part_level_from_the_start_is_no_warm_up() -> None:
    # The pace reads easy (a phone's GPS, a jumpy trace) but the heart is at 178 from minute 1, the reps' level.
    flag = flag_for(synthetic_streams(EASY_PACE_OPENING, heart_rate=ramp([(0, 150), (60, 178), (720, 182)])))
    assert flag is not None and flag.evidence["kind"] == "hr_not_easier"
    assert flag.evidence["opening_hr_bpm"] == pytest.approx(181, abs=1)
    assert flag.evidence["main_hr_bpm"] == pytest.approx(182, abs=1)


def test_heart_rate_that_falls_as_the_pace_rises_was_a_sensor_settling() -> None:
    """Issue 28 (a marathon, csm_155155867): 167-172 bpm over the first 10 minutes at 6:30/km, then 140-151 at
    6:05. A heart does not slow by 20 beats while the runner speeds up: a dry strap settling. Pace decides, and the
    pace says the opening was easy."""
    plan = [(720.0, 2.6), *[(120.0, 4.0), (60.0, 2.2)] * 6, *COOL]
    settling = ramp([(0, 165), (60, 172), (720, 172), (780, 148), (1800, 165)])
    assert flag_for(synthetic_streams(plan, heart_rate=settling)) is None
    # The same opening heart rate held on through the reps is a hard start the pace hid.
    held = ramp([(0, 165), (60, 172), (720, 172), (1800, 176)])
    flag = flag_for(synthetic_streams(plan, heart_rate=held))
    assert flag is not None and flag.evidence["kind"] == "hr_not_easier"


def test_heart_rate_rising_gently_through_the_opening_is_a_warm_up() -> None:
    heart = ramp([(0, 110), (720, 150), (760, 175)])
    assert flag_for(synthetic_streams(EASY_PACE_OPENING, heart_rate=heart)) is None


def test_heart_rate_near_the_threshold_decides() -> None:
    # Opening at 94 % of the hard part's median heart rate passes; at 96 % it does not.
    def session(opening_bpm: float) -> Flag | None:
        heart = ramp([(0, opening_bpm), (720, opening_bpm), (721, 180)])
        return flag_for(synthetic_streams(EASY_PACE_OPENING, heart_rate=heart))

    assert session(0.94 * 180) is None
    assert session(0.96 * 180) is not None


def test_a_hill_start_lifting_the_heart_rate_is_not_judged_by_heart_rate() -> None:
    # An easy jog up 8 % raises the heart rate to the reps' level: the climb, not a missing warm-up.
    flag = flag_for(
        synthetic_streams(
            [(1500.0 / 2.2, 2.2), *REPS, *COOL],
            altitude=lambda dist: 100.0 + np.minimum(dist, 1500.0) * 0.08,
            heart_rate=ramp([(0, 150), (60, 178)]),
        )
    )
    assert flag is None


def test_patchy_heart_rate_gives_no_verdict() -> None:
    streams = synthetic_streams(EASY_PACE_OPENING, heart_rate=ramp([(0, 178)]))
    assert streams.heart_rate is not None
    patchy = streams.heart_rate.copy()
    patchy[(streams.time_s > 400) & (streams.time_s < 720)] = np.nan  # the strap lost contact mid-opening
    assert flag_for(replace(streams, heart_rate=patchy)) is None
    # Heart rate on every fourth sample only (common in GPX exports) still counts as covered.
    sparse = np.full_like(streams.heart_rate, np.nan)
    sparse[::4] = streams.heart_rate[::4]
    assert flag_for(replace(streams, heart_rate=sparse)) is not None


# ---- issue 28: a race or hard start judged from the first minutes' effort -------------------------------------


def _hr_rising_to(level: float, after_s: float = 120.0) -> Callable[[FloatArray], FloatArray]:
    def hr(time: FloatArray) -> FloatArray:
        return np.where(time < after_s, 120.0 + (level - 120.0) * time / after_s, level)

    return hr


def usual_hr(bpm: float, speed_mps: float = 2.8) -> list[HistoryEntry]:
    """Eight recent easy runs at an average heart rate of `bpm`, at `speed_mps`."""
    return [replace(e, average_heart_rate=bpm) for e in easy_history(speed_mps)]


def test_a_hill_race_hard_from_the_first_minute() -> None:
    """Slow pace up a long climb (no pace-found hard part), heart rate at 176 of 190 from minute two on, well
    above this runner's usual 150 bpm."""
    streams = synthetic_streams([(3000.0, 2.2)], altitude=lambda d: 200.0 + 0.12 * d, heart_rate=_hr_rising_to(176.0))
    ctx = RuleContext(run_activity(streams), history=usual_hr(150.0), max_heart_rate=190.0)
    assert speed_work.evaluate(ctx) is None  # heart rate never makes speed work
    flag = no_warmup.evaluate(ctx)
    assert flag is not None and flag.evidence["kind"] == "hard_start"
    assert flag.evidence["opening_hr_bpm"] == 176 and flag.evidence["hard_from_bpm"] == 169
    line = render_flag(flag)
    assert "heart rate already 176 bpm in the first 10 min (hard from 169 bpm), and it stayed hard" in line


def test_a_road_race_from_the_gun_without_a_race_name_or_kick() -> None:
    """Even from the gun, no name, no kick: with the usual easy pace it is a block of hard running that pace finds
    (heart rate confirming it); with a usual pace of the same speed heart rate still says it was hard."""
    streams = synthetic_streams([(2500.0, 4.0)], heart_rate=_hr_rising_to(178.0, 90.0))
    faster = no_warmup.evaluate(RuleContext(run_activity(streams), history=usual_hr(152.0), max_heart_rate=192.0))
    assert faster is not None and faster.evidence["kind"] == "not_easier"
    same = RuleContext(run_activity(streams), history=usual_hr(152.0, 4.0), max_heart_rate=192.0)
    race = no_warmup.evaluate(same)  # 10 km held in the hard zone, above the usual heart rate: speed_work's race
    assert race is not None and race.evidence["kind"] == "not_easier"
    off_distance = synthetic_streams([(2300.0, 4.0)], heart_rate=_hr_rising_to(178.0, 90.0))  # 9.2 km: no race
    ctx = RuleContext(run_activity(off_distance), history=usual_hr(152.0, 4.0), max_heart_rate=192.0)
    flag = no_warmup.evaluate(ctx)
    assert flag is not None and flag.evidence["kind"] == "hard_start"


def test_heart_rate_alone_never_makes_a_hard_start() -> None:
    """The corpus runner whose easy runs all sit at 155-185 bpm, with max_heart_rate = 195: an even easy run at
    180 bpm is in the "hard zone" of a wrong maximum, but not above this runner's usual heart rate."""
    streams = synthetic_streams([(2500.0, 2.8)], heart_rate=_hr_rising_to(180.0, 90.0))
    ctx = RuleContext(run_activity(streams), history=usual_hr(178.0), max_heart_rate=195.0)
    assert no_warmup.evaluate(ctx) is None
    assert no_warmup.evaluate(RuleContext(run_activity(streams), max_heart_rate=195.0)) is None  # no history


def test_an_easy_run_with_a_warm_up_and_no_hard_heart_rate_is_not_a_hard_start() -> None:
    history = usual_hr(145.0)
    easy = synthetic_streams([(3000.0, 2.8)], heart_rate=_hr_rising_to(150.0, 300.0))
    assert no_warmup.evaluate(RuleContext(run_activity(easy), history=history, max_heart_rate=190.0)) is None
    # a hard heart rate only late in the run: it warmed up first
    late = synthetic_streams([(3000.0, 2.8)], heart_rate=lambda t: np.where(t < 1200, 140.0, 178.0))
    assert no_warmup.evaluate(RuleContext(run_activity(late), history=history, max_heart_rate=190.0)) is None
    # without the athlete's heart-rate figures there is no hard zone to judge by
    hard = synthetic_streams([(3000.0, 2.8)], heart_rate=_hr_rising_to(178.0))
    assert no_warmup.evaluate(RuleContext(run_activity(hard), history=history)) is None


def test_reps_after_forty_easy_minutes_had_a_warm_up_whatever_the_first_minutes_heart_rate() -> None:
    """Issue 28: a wrist sensor reading high in the first minutes (150 bpm) before 30 more easy minutes at 125 bpm
    and reps at 145: all the running before the reps was their warm-up. Reps after ten such minutes were not."""

    def heart(easy_until: float) -> Callable[[FloatArray], FloatArray]:
        return lambda t: np.where(t < 600.0, 150.0, np.where(t < easy_until, 125.0, 145.0))

    long_run_up = synthetic_streams([(2400.0, 2.7), *REPS, *COOL], heart_rate=heart(2400.0))
    assert flag_for(long_run_up) is None
    short_run_up = synthetic_streams([(600.0, 2.7), *REPS, *COOL], heart_rate=heart(600.0))
    flag = flag_for(short_run_up)
    assert flag is not None and flag.evidence["kind"] == "hr_not_easier"
