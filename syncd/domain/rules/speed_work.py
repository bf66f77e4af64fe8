"""Speed work: intervals, tempo blocks, races and workouts, judged against the athlete's own easy pace.

Source: RISK-FACTS.md, "Intensity: drop speed work; do light jogging or easy medium-long and long runs instead" and
"Speed work: repeated efforts clearly faster than the athlete's own easy pace (from their recent history, not a
fixed number), interval laps, Strava workout_type 3 (workout) or 1 (race), or a large share of time in the top
heart-rate zones."

Two references for "easy": the athlete's easy pace from earlier flat runs (history.easy_speed_baseline) and, always,
the run's own easy parts (warm-up, jogged recoveries, cool-down: the 25th percentile of its running speed, so reps
that fill most of a session cannot hide themselves). A steady run is never speed work.

Triggers, strongest first:
- `laps`: the device recorded active laps separated by rest laps (at least `speed_work_min_reps`; a lap without
  its own intensity takes its FIT workout step's), or the laps the runner pressed show alike fast laps with
  recovery laps between them (lap_structure.lap_intervals; auto laps by distance, time or position are splits,
  not structure; laps of zero or negative length or duration are left out);
- `intervals`: `speed_work_min_reps` similar efforts (25 s to 15 min), each followed by a clearly slower recovery
  (jogged, walked or standing) lasting at least a tenth of the rep, `speed_work_faster_than_easy_pct` faster than
  the easy reference and than the run's other running. Without other running to compare with (reps with
  standing recoveries, no warm-up) and no history, the pattern must be regular (rep and recovery lengths alike)
  with standing recoveries of at least 40 s and a quarter of the rep: a steady run stopped by traffic lights is
  not. Without history, reps with walked recoveries must also be clearly faster than the run's typical running
  (reps included): run/walk, walk breaks between stretches of ordinary running, is not speed work, unless the
  runner named the session a workout (WORKOUT_WORDS: "15 x 200m", "fartlek", "intervals"; the name lifts that
  doubt, it never makes reps the recording does not show). Reps that fill the run, split by walks with no other
  running, need a name stating their distance ("800m间歇") and reps of it (within 30 %). Efforts on
  descents steeper than -3 % and slowdowns on grades steeper than 5 % are terrain (a hill run with walking
  breaks), not intervals;
- `race` / `workout`: Strava run workout_type 1 / 3 (0 is a default run, 2 a long run; 10-12 are ride types);
- `race` (from the recording, see below) before `tempo`, as the more specific finding;
- `tempo`: one unbroken block of at least `speed_work_tempo_min_s` (5 minutes; looked for at the easy line and at
  that margin over the run's typical running) `speed_work_tempo_faster_pct` faster than the run's own
  steady running around it (at least 5 minutes of it, both grade-adjusted outdoors: a slow climb before a flat
  stretch is not easy running; and 5 minutes of running after the opening ramp, the first 5 minutes, unless the
  runner named the session a workout: a run that ramps up and then holds its pace holds no block) and, with
  history, than the easy pace too; a run that is all one pace (a
  treadmill ramp, then steady) holds no block, unless history and heart rate together say the whole run was
  hard; a block on a descent (average grade -2 % or steeper) is terrain; where heart rate covers the block and
  the other running, the block's must be `speed_work_tempo_hr_above_pct` higher (a brisk start that fades at the
  same heart rate is no tempo); failing the stream, consecutive laps
  (lap_structure.lap_tempo) after easy running;
- `race` (from the recording): a standard distance (5 km, 10 km, half or full marathon, -2 % or up to
  `speed_work_race_over_pct` over it, for GPS), counted from the gun (the end of a stop in the first 3 minutes
  and 400 m: the jog to the line, the wait there), run evenly (km speeds within 6 %; a half or full marathon, a
  run named a race, or one clearly faster than easy pace from history, on its middle km after a first km the crowd
  may hold up) from the gun without stopping, with
  evidence from pace or the name that it was hard: faster than easy pace from history, or a race word in its name
  (RACE_WORDS, CJK too: "半程马拉松"), or a run off the bike in a multisport recording (a triathlon or duathlon
  leg, `MULTISPORT_AFTER`), or heart rate in the athlete's hard zone (from their threshold, reserve or max, never
  the run's own) for `speed_work_race_hard_hr_share_pct` of the run and above their usual heart rate on runs
  (history: a configured maximum may be wrong), or the watch's aerobic Training Effect of at least
  `speed_work_race_training_effect` (4.0, "highly improving": judged by the device against the runner's own
  profile, `TRAINING_EFFECT`), or a finishing kick (the last 5 % at least 10 % faster; low confidence
  alone, medium when heart rate confirms it). Never from heart rate alone: an easy 5 km run at a high heart rate
  is not a race.

Heart rate confirms, it never creates speed work (issue 28): a run with much time in the hard zone but no fast
running is not flagged. The hard zone starts at `RuleContext.hard_heart_rate` (threshold heart rate, else the
heart-rate reserve, else `speed_work_top_zone_from_pct_max`, 89 % of max); `top_zone_share_pct` reports the
share of time above it. Stored flags with trigger `hr_zones` (before issue 28) still render.

Evidence (SpeedWorkEvidence in rules/speed_work_evidence.py, beside its note line): `trigger`, `reps` (count),
`rep_distance_m`, `rep_duration_s`, `rep_pace_s_per_km` (medians),
`easy_pace_s_per_km` (the reference the run was judged against), `easy_source` ("history" or "this_run"; None
when no pace reference was needed), `top_zone_share_pct` (None without HR and max HR).
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from syncd.domain.flags import Confidence, Flag, FlagCode, Severity
from syncd.domain.history import STRAVA_RUN_RACE, STRAVA_RUN_WORKOUT
from syncd.domain.model import MULTISPORT_AFTER, TRAINING_EFFECT, Activity, BoolArray, FloatArray, Lap, Sport, Streams
from syncd.domain.rule_versions import RULE_VERSIONS
from syncd.domain.rules.context import RuleContext
from syncd.domain.rules.evidence_base import positive
from syncd.domain.rules.lap_structure import lap_intervals, lap_tempo
from syncd.domain.rules.speed_work_evidence import SpeedWorkEvidence
from syncd.domain.streams_math import (
    MAX_SAMPLE_GAP_S,
    STOPPED_MPS,
    AltitudeProfile,
    Effort,
    SpeedTrace,
    find_efforts,
    flat_speed,
    grade_pct,
    median_of,
    pace_s_per_km,
    segments,
)
from syncd.domain.thresholds import Thresholds

VERSION: int = RULE_VERSIONS["speed_work"]  # bumped in syncd/domain/rule_versions.py

ADVICE = (
    "Give the speed sessions a rest while your back settles: swap them for light jogging or easy medium-long runs "
    "at a pace where you can still chat."
)
# Structure is only read from runs at least this long; a few minutes cannot hold a session.
MIN_RUN_S = 600.0
MIN_REP_S = 25.0
MAX_REP_S = 900.0
# Faster than this (2:34 /km) is not running: a vehicle, a GPS jump, an app left recording. Such samples are noise.
MAX_RUNNING_MPS = 6.5
# Slower than this (8:20 /km) is walking: never the "easy running" a tempo block is compared with.
WALK_MAX_MPS = 2.0
# A gap counts as a recovery when its speed is at most this share of the effort's.
RECOVERY_RATIO = 0.8
# A recovery lasts at least this share of the rep before it: the shortest structured ones (cruise intervals, a
# minute after 5-6) are 15-20 %; 25 s at a crossing after 7 minutes of running does not end a rep.
MIN_RECOVERY_SHARE = 0.1
# Gravity, not effort: a fast stretch down a slope steeper than this; a slowdown on a grade steeper than that.
DOWNHILL_ASSIST_PCT = 3.0
STEEP_TERRAIN_PCT = 5.0
BLOCK_DOWNHILL_PCT = 2.0
# Reps are alike: each at least this share of the reps' median speed, and a distance within this range of theirs
# (a 40 s pick-up in the warm-up is not the first of eight 200 m reps).
SIMILAR_SPEED = 0.9
ALIKE_DISTANCE = (0.65, 1.5)
# The contrast with the run's other running is only judged when there is at least this much of it.
MIN_OTHER_RUNNING_S = 120.0
# A tempo block judged on the run alone needs this much easy running around it, after the opening ramp.
MIN_EASY_PART_S = 300.0
OPENING_RAMP_S = 300.0
# The run's own easy level: this quantile of its running speed.
OWN_EASY_QUANTILE = 0.25
# Standing recoveries (no other running, no history): each this long, this share of the rep, and this slow.
STANDING_MIN_S = 40.0
STANDING_SHARE_OF_REP = 0.25
STANDING_SPEED_RATIO = 0.3
REGULAR_REP_SPREAD = 0.3
# Walking: under this share of the run's 90th-percentile speed (the running cut of _running_samples).
WALKED_SPEED_RATIO = 0.6
REGULAR_RECOVERY_SPREAD = 0.5
# Plausible heart rates: 0 is a strap dropout and 255 the ANT+ "invalid" value.
MIN_HR_BPM, MAX_HR_BPM = 30.0, 250.0
# Heart rate confirms a tempo block only where it covers this share of the block (a reading within HR_MAX_GAP_S).
MIN_HR_COVERAGE = 0.6
HR_MAX_GAP_S = 15.0
# Heart rate stays up for a minute or two after an effort: that stretch after the block is not its easy running.
HR_LAG_S = 120.0
ACTIVE_LAPS = frozenset({"active", "interval"})
REST_LAPS = frozenset({"rest", "recovery"})
# Race from the recording: standard distances, the GPS tolerance around them, evenness and the finishing kick.
STANDARD_DISTANCES_M = (5000.0, 10000.0, 21097.5, 42195.0)
RACE_SHORT = 0.98
# A pre-start: a stop this long within this much moving time and distance of the start (to the line, then the gun).
PRE_START_STOP_S, PRE_START_S, PRE_START_M = 30.0, 180.0, 400.0
RACE_EVEN_CV = 0.06
RACE_FROM_GUN = 0.95
# A long race's first km may be this slow against its median km: the crowd at the start, not a warm-up.
RACE_CROWDED_START = 0.85
RACE_MAX_STOPPED_SHARE = 0.02
RACE_KICK = 1.10
# A finishing kick is confirmed as a race when at least this share of the time was in the hard heart-rate zone.
RACE_HR_SHARE_PCT = 50.0
# Race words in the runner's own name for the run, in the languages WORKOUT_WORDS reads too (马拉松/マラソン/마라톤
# "marathon", 半马/全马 "half/full marathon", 比赛/大会/レース "race, meet"): CJK words have no word boundary.
RACE_WORDS = re.compile(
    r"\b(race|parkrun|marathon|halbmarathon|wettkampf|course|carrera|gara|10k|5k)\b"
    r"|马拉松|半马|全马|比赛|マラソン|レース|大会|마라톤",
    re.I,
)
# A rep distance in metres in such a name ("6 x 800m", "800m间歇"), and how near the recorded reps must come to it.
STATED_REP = re.compile(r"(?<![\d.])(\d{3,5})\s*(?:m|米)(?![a-z])", re.I)
STATED_REP_TOLERANCE = 0.3
# A name the runner gave a structured session ("6 x 800m", "200m * 15", "fartlek", "Intervalle", "800m间歇"): it
# lifts the run/walk doubt from reps the recording shows (walked recoveries, no history), never makes reps alone.
WORKOUT_WORDS = re.compile(
    r"\b(intervals?|intervalle?|fartlek|tempo|tempolauf|reps|repeats|fractionn[ée]|series)\b"
    r"|\d\s*(m|k|km|min|')?\s*[x\u00d7*]\s*\d|间歇|变速|法特莱克|节奏跑",
    re.I,
)


@dataclass(frozen=True, slots=True)
class SpeedWork:
    """What made a run speed work; `main_start_s`/`main_speed_mps` locate its hard part for the warm-up rule."""

    trigger: str
    reps: int
    rep_distance_m: float | None
    rep_duration_s: float | None
    rep_speed_mps: float | None
    easy_speed_mps: float | None
    top_zone_share_pct: float | None
    main_start_s: float | None
    easy_source: str | None = None
    confidence: Confidence = Confidence.MEDIUM


@dataclass(frozen=True, slots=True)
class _Run:
    """What the interval and tempo passes both read: the trace, its profile and the two easy references."""

    ctx: RuleContext
    trace: SpeedTrace
    profile: AltitudeProfile | None
    history_easy: float | None
    own_easy: float
    hr_share: float | None
    own_typical: float = 0.0


def evaluate(ctx: RuleContext) -> Flag | None:
    found = analyze(ctx)
    if found is None:
        return None
    return Flag(
        code=FlagCode.SPEED_WORK,
        severity=Severity.INFO if found.trigger == "hr_zones" else Severity.CAUTION,
        confidence=found.confidence,
        evidence=SpeedWorkEvidence(
            trigger=found.trigger,
            reps=found.reps,
            rep_distance_m=_round(found.rep_distance_m, 1),
            rep_duration_s=_round(found.rep_duration_s, 1),
            rep_pace_s_per_km=pace_s_per_km(found.rep_speed_mps),
            easy_pace_s_per_km=pace_s_per_km(found.easy_speed_mps),
            easy_source=found.easy_source,
            top_zone_share_pct=_round(found.top_zone_share_pct, 1),
        ).to_evidence(),
        advice=ADVICE,
    )


def analyze(ctx: RuleContext) -> SpeedWork | None:
    """The strongest speed-work finding for this run, or None (also for non-runs and when data is lacking).

    The warm-up rule asks the same question of the same context, so the answer is derived once per context.
    """
    return ctx.derived("speed_work", lambda: _analyze(ctx))


def _analyze(ctx: RuleContext) -> SpeedWork | None:
    activity = ctx.activity
    if not activity.sport.is_run:
        return None
    t = ctx.thresholds
    history_easy = ctx.easy_speed()
    streams = activity.streams
    long_enough = (activity.duration_s or 0.0) >= MIN_RUN_S or (
        streams is not None and len(streams) > 1 and float(streams.time_s[-1] - streams.time_s[0]) >= MIN_RUN_S
    )
    hr_share = _top_zone_share(streams, ctx.hard_heart_rate())
    if long_enough and (laps := _lap_reps(activity.laps, t.speed_work_min_reps)):
        return SpeedWork(
            "laps",
            len(laps),
            _median([lap.distance_m for lap in laps]),
            _median([lap.moving_s or lap.elapsed_s for lap in laps]),
            _median([lap.speed_mps for lap in laps]),
            history_easy,
            hr_share,
            laps[0].start_offset_s,
            "history" if history_easy is not None else None,
            Confidence.HIGH,
        )
    if long_enough and (found := _from_laps(activity, history_easy, hr_share, t)) is not None:
        return found
    trace = ctx.speed_trace() if streams is not None and long_enough else None
    running = _running_samples(trace) if trace is not None else None  # also checks there is running to judge
    profile = None if _no_slope(activity) else ctx.altitude_profile()
    run = (
        _Run(ctx, trace, profile, history_easy, _quantile(running, OWN_EASY_QUANTILE), hr_share, median_of(running))
        if trace is not None and running is not None
        else None
    )
    if run is not None and (found := _intervals(run)) is not None:
        return found
    workout = {STRAVA_RUN_RACE: "race", STRAVA_RUN_WORKOUT: "workout"}.get(activity.workout_type or 0)
    if workout is not None:
        return SpeedWork(workout, 0, None, None, None, history_easy, hr_share, 0.0, None, Confidence.HIGH)
    if run is not None and (found := _race(ctx, run.trace, history_easy, hr_share) or _tempo(run)) is not None:
        return found
    if long_enough:
        return _tempo_from_laps(activity, history_easy, hr_share, t)
    return None  # heart rate alone never makes speed work


def _from_laps(
    activity: Activity, history_easy: float | None, hr_share: float | None, t: Thresholds
) -> SpeedWork | None:
    """Intervals from the laps the runner pressed (or a workout's steps ended): lap_structure.lap_intervals."""
    margin = 1 + t.speed_work_faster_than_easy_pct / 100
    found = lap_intervals(activity.laps, easy_mps=history_easy, margin=margin, min_reps=t.speed_work_min_reps)
    if found is None:
        return None
    return SpeedWork(
        "laps",
        found.reps,
        found.rep_distance_m,
        found.rep_duration_s,
        found.rep_speed_mps,
        found.reference_mps,
        hr_share,
        found.start_s,
        "history" if found.from_history else "this_run",
        Confidence.HIGH if found.from_history else Confidence.MEDIUM,
    )


def _tempo_from_laps(
    activity: Activity, history_easy: float | None, hr_share: float | None, t: Thresholds
) -> SpeedWork | None:
    """A block of consecutive fast laps when the stream found none (lap_structure.lap_tempo)."""
    found = lap_tempo(
        activity.laps,
        easy_mps=history_easy,
        faster=1 + t.speed_work_tempo_faster_pct / 100,
    )
    if found is None:
        return None
    return SpeedWork(
        "tempo", 1, found.rep_distance_m, found.rep_duration_s, found.rep_speed_mps, found.reference_mps,
        hr_share, found.start_s, "this_run",
    )  # fmt: skip


def _plausible(trace: SpeedTrace) -> BoolArray:
    """Grid points where the athlete moved at a speed a runner can reach (not stopped, not in a car); read-only,
    derived once per trace."""
    return trace.derived("plausible", lambda: _read_only(trace.moving & (trace.speed_mps <= MAX_RUNNING_MPS)))


def _read_only[A: np.ndarray[Any, Any]](array: A) -> A:
    array.flags.writeable = False
    return array


def _plausible_p90(trace: SpeedTrace) -> float:
    """The 90th percentile of the plausible running speeds (the run's fast end: walking sits below 60 % of it)."""
    return trace.derived("plausible_p90", lambda: _quantile(_plausible_speeds(trace), 0.9))


def _plausible_speeds(trace: SpeedTrace) -> FloatArray:
    """The speeds at the plausible grid points (`_plausible`), read-only and derived once: the 90th percentile and
    the running samples both start from them."""
    return trace.derived("plausible_speeds", lambda: _read_only(trace.speed_mps[_plausible(trace)]))


def _moving_p90(trace: SpeedTrace) -> float:
    """The 90th percentile of the moving speeds (impossible ones included)."""
    return trace.derived("moving_p90", lambda: _quantile(trace.speed_mps[trace.moving], 0.9))


def _running_samples(trace: SpeedTrace) -> FloatArray | None:
    """Speeds of the grid points where the athlete ran (not stood or walked): above 60 % of the 90th percentile."""
    moving = _plausible_speeds(trace)
    if len(moving) * trace.step_s < MIN_OTHER_RUNNING_S:
        return None
    cut = 0.6 * _plausible_p90(trace)
    running: FloatArray = moving[moving >= cut]
    return running if len(running) else None


def _intervals(run: _Run) -> SpeedWork | None:
    """Reps against the easy reference (history, else the run's own easy parts); then reps with standing breaks."""
    t = run.ctx.thresholds
    margin = 1 + t.speed_work_faster_than_easy_pct / 100
    reference = run.history_easy if run.history_easy is not None else run.own_easy
    source = "history" if run.history_easy is not None else "this_run"
    efforts = _plausible_efforts(find_efforts(run.trace, reference * margin, MIN_REP_S, recovery_ratio=RECOVERY_RATIO))
    # Without history and without other running, the efforts are the run's only running: run/walk (walk breaks at
    # walking pace) looks like that, so the pattern must then be a session with standing recoveries (issue 28).
    # A runner who named the session a workout has told us what the alternation is (issue 28: a fartlek of 1-minute
    # surges with shuffled floats); without history or such a name, the doubt stays.
    named = bool(WORKOUT_WORDS.search(run.ctx.activity.name or ""))
    standing = run.history_easy is None and not named
    reps = _interval_reps(
        efforts, run.trace, run.profile, fast=reference * margin, margin=margin, t=t, standing=standing, named=named
    )
    p90 = _plausible_p90(run.trace)
    # Reps filling the whole run (no warm-up, no jogs): any running is an effort and the breaks split them. The
    # breaks are standing ones; walked ones only when the runner's name for the session states the reps' distance
    # and the recording shows reps of it (issue 28: "800m间歇", four ~850 m reps with 2-minute walks). A bare
    # "fartlek" on run/walk, whose running is all one pace, states nothing the recording could confirm.
    stated_m = _stated_rep_m(run.ctx.activity.name or "")
    pause = WALKED_SPEED_RATIO if stated_m is not None else STANDING_SPEED_RATIO
    slow_s = float(np.count_nonzero(run.trace.speed_mps < pause * p90)) * run.trace.step_s
    if not reps and slow_s >= (t.speed_work_min_reps - 1) * STANDING_MIN_S:
        line = 0.6 * p90
        efforts = _plausible_efforts(find_efforts(run.trace, line, MIN_REP_S, recovery_ratio=pause))
        fast = run.history_easy * margin if run.history_easy is not None else 0.0
        reps = _interval_reps(
            efforts, run.trace, run.profile, fast=fast, margin=margin, t=t, standing=standing, named=named
        )
        if stated_m is not None and reps and _walked(reps) and not _as_stated(reps, stated_m):
            reps = []
    if not reps:
        return None
    return SpeedWork(
        "intervals",
        len(reps),
        statistics.median(e.distance_m for e in reps),
        statistics.median(e.duration_s for e in reps),
        statistics.median(e.speed_mps for e in reps),
        reference,
        run.hr_share,
        float(run.trace.time_s[reps[0].start]),
        source,
        Confidence.HIGH if run.history_easy is not None else Confidence.MEDIUM,
    )


def _tempo(run: _Run) -> SpeedWork | None:
    """The longest unbroken block of `speed_work_tempo_min_s` or more clearly faster than the run's own steady
    running (grade-adjusted), and than the easy pace from history when there is one.

    Candidate blocks are found as reps are (10 % above the run's easy level), 15 % above its typical (median) running
    and, with history, also above the history's easy pace + 15 %; a block must then be 15 % faster than the typical
    (median) running around it, so a steady run's better stretch is not one, nor is a treadmill run that ramps up for a
    few minutes and then holds its pace, nor the fade of a faster start (issue 28). Only when the run has no easy
    running to compare with (the block is the run) does the history's easy pace decide alone, and then heart rate must
    confirm the effort.
    """
    t = run.ctx.thresholds
    faster = 1 + t.speed_work_tempo_faster_pct / 100
    own_line = run.own_easy * (1 + t.speed_work_faster_than_easy_pct / 100)
    # a block clearly faster than the run's typical running is also looked for at that margin over it: from the
    # easy line alone, steady running just above it merges with the block into one long effort (issue 28: 6 minutes
    # at 4:16-4:38/km after 16 minutes at 5:08-5:41/km); at that line, running the tempo margin slower ends a block
    lines = [(own_line, RECOVERY_RATIO), (run.own_typical * faster, 1 / faster)]
    if run.history_easy is not None:
        lines.append((run.history_easy * faster, RECOVERY_RATIO))
    top = float(run.trace.speed_mps.max()) if len(run.trace.speed_mps) else 0.0
    lines = [(line, ratio) for line, ratio in lines if line <= top]  # no block can sit above the fastest point
    floor = 0.0 if run.history_easy is None else run.history_easy * faster

    def confirmed() -> bool:  # asked only of a block with no easy parts to beat (the run is one block)
        return run.history_easy is not None and (
            (run.hr_share or 0.0) >= t.speed_work_top_zone_share_pct or above_usual_heart_rate(run.ctx)
        )

    named = bool(WORKOUT_WORDS.search(run.ctx.activity.name or ""))
    blocks = [
        e
        for line, ratio in lines
        for e in _plausible_efforts(find_efforts(run.trace, line, t.speed_work_tempo_min_s, recovery_ratio=ratio))
        if e.speed_mps >= max(line, floor)
        and not _downhill_block(e, run.trace, run.profile)
        and not _after_a_faster_start(e, run.trace)
        and _beats_easy_parts(e, run.trace, faster, run.profile, no_easy_parts=confirmed, named=named)
        and _heart_confirms(e, run.trace, run.ctx.activity.streams, t.speed_work_tempo_hr_above_pct)
    ]
    block = max(blocks, key=lambda e: e.duration_s, default=None)
    if block is None:
        return None
    if run.history_easy is not None:
        reference, source = run.history_easy, "history"
    else:
        reference, source = _easy_parts_speed(block, run.trace) or run.own_easy, "this_run"  # as run, for the note
    return SpeedWork(
        "tempo",
        1,
        block.distance_m,
        block.duration_s,
        block.speed_mps,
        reference,
        run.hr_share,
        float(run.trace.time_s[block.start]),
        source,
    )


def _running_mask(trace: SpeedTrace) -> BoolArray:
    """Grid points of running: plausible speed, faster than walking and than 60 % of the 90th percentile."""
    plausible = _plausible(trace)
    if not plausible.any():
        return plausible.copy()  # callers modify their mask
    cut = max(WALK_MAX_MPS, 0.6 * _plausible_p90(trace))
    mask: BoolArray = plausible & (trace.speed_mps >= cut)
    return mask


def _after_a_faster_start(block: Effort, trace: SpeedTrace) -> bool:
    """The running before the block (MIN_OTHER_RUNNING_S or more of it) was typically faster than the block: a fast
    start fading through the block, not a tempo block (a block run from the start has no running before it)."""
    before = _running_mask(trace)
    before[block.start :] = False
    if np.count_nonzero(before) * trace.step_s < MIN_OTHER_RUNNING_S:
        return False
    return float(median_of(trace.speed_mps[before])) >= block.speed_mps


def _steady_outside(block: Effort, trace: SpeedTrace) -> bool:
    """At least MIN_EASY_PART_S of running (jogging included) outside the block after the opening ramp
    (OPENING_RAMP_S of moving time). The minutes in which pace rises to the run's level are its warm-up, not the
    steady running a tempo block must beat (issue 28: a treadmill run that ramps up for six minutes and then holds
    its pace holds no tempo block)."""
    outside = _plausible(trace) & (trace.speed_mps >= WALK_MAX_MPS) & (trace.moving_time_s >= OPENING_RAMP_S)
    outside[block.start : block.end] = False
    return bool(np.count_nonzero(outside) * trace.step_s >= MIN_EASY_PART_S)


def _heart_confirms(block: Effort, trace: SpeedTrace, streams: Streams | None, above_pct: float) -> bool:
    """Heart rate, where it covers both, is `above_pct` higher in the block than in the run's running outside it.

    A block clearly faster on pace but not on heart rate is no harder effort (an easy run's brisk start before it
    fades at the same heart rate, GPS pace that jumped, issue 28). The first HR_LAG_S after the block are left out
    of the other running. Without heart rate over most of the block and 5 minutes of the rest, pace alone decides.
    """
    on_grid = _heart_on_grid(trace, streams)
    if on_grid is None:
        return True
    grid_hr, covered = on_grid
    inside = np.zeros(len(trace.time_s), dtype=np.bool_)
    inside[block.start : block.end] = True
    outside = _running_mask(trace) & ~inside
    outside[block.end : block.end + round(HR_LAG_S / trace.step_s)] = False  # heart rate still high after the block
    if (
        np.count_nonzero(covered & inside) < MIN_HR_COVERAGE * np.count_nonzero(inside)
        or np.count_nonzero(covered & outside) * trace.step_s < MIN_EASY_PART_S
    ):
        return True
    block_hr = float(median_of(grid_hr[covered & inside]))
    easy_hr = float(median_of(grid_hr[covered & outside]))
    return block_hr >= easy_hr * (1 + above_pct / 100)


def _heart_on_grid(trace: SpeedTrace, streams: Streams | None) -> tuple[FloatArray, BoolArray] | None:
    """Heart rate on the trace's time grid and where a valid reading lies within HR_MAX_GAP_S; None without it.

    Readings of 0 and 255 (strap dropouts, the ANT+ "invalid" value) and outside 30-250 bpm are no readings."""
    if streams is None or streams.heart_rate is None or len(streams) < 2:
        return None
    hr = streams.heart_rate
    valid = heart_readings(hr) & np.isfinite(streams.time_s)
    if np.count_nonzero(valid) < 2:
        return None
    hr_t = streams.time_s[valid] - float(streams.time_s[np.isfinite(streams.time_s)][0])
    order = np.argsort(hr_t, kind="stable")
    hr_t, hr_v = hr_t[order], hr[valid][order]
    idx = np.clip(np.searchsorted(hr_t, trace.time_s), 1, len(hr_t) - 1)
    gap = np.minimum(np.abs(trace.time_s - hr_t[idx - 1]), np.abs(hr_t[idx] - trace.time_s))
    covered: BoolArray = gap <= HR_MAX_GAP_S
    return np.interp(trace.time_s, hr_t, hr_v), covered


def _easy_parts_speed(block: Effort, trace: SpeedTrace, profile: AltitudeProfile | None = None) -> float | None:
    """The typical (median) running speed outside `block` (warm-up, cool-down), or None with under 5 minutes.

    Walking (under 8:20 /km, or under 60 % of the run's 90th percentile) and impossible speeds are left out: a
    walk after the run is not its easy running.

    With a profile it is the flat-equivalent speed: a slow climb before a flat block is not "easy running".
    """
    outside = _running_mask(trace)
    outside[block.start : block.end] = False
    others = trace.speed_mps[outside]
    if len(others) * trace.step_s < MIN_EASY_PART_S:
        return None
    speed = float(median_of(others))
    if profile is None:
        return speed
    last = len(trace.distance_m) - 1
    d0, d1, end = (float(trace.distance_m[min(i, last)]) for i in (block.start, block.end, last))
    before, after = grade_pct(profile, 0.0, d0), grade_pct(profile, d1, end)
    climbs = [(g, length) for g, length in ((before, d0), (after, end - d1)) if g is not None]
    if not climbs:
        return speed
    grade = sum(g * length for g, length in climbs) / sum(length for _, length in climbs)
    return flat_speed(speed, grade)


def _beats_easy_parts(
    block: Effort,
    trace: SpeedTrace,
    faster: float,
    profile: AltitudeProfile | None,
    *,
    no_easy_parts: Callable[[], bool] = lambda: False,
    named: bool = False,
) -> bool:
    """The block, grade-adjusted, is `faster` times the run's own easy running, grade-adjusted; `no_easy_parts` is
    the answer when the run has too little easy running outside the block to compare with, or none but its opening
    ramp (`_steady_outside`), a doubt a session the runner named (WORKOUT_WORDS) lifts."""
    easy = _easy_parts_speed(block, trace, profile)
    if easy is None or not (named or _steady_outside(block, trace)):
        return no_easy_parts()
    last = len(trace.distance_m) - 1
    grade = grade_pct(profile, float(trace.distance_m[block.start]), float(trace.distance_m[min(block.end, last)]))
    speed = flat_speed(block.speed_mps, grade) if grade is not None else block.speed_mps
    return speed >= easy * faster


def _downhill_block(block: Effort, trace: SpeedTrace, profile: AltitudeProfile | None) -> bool:
    if profile is None:
        return False
    last = len(trace.distance_m) - 1
    d0, d1 = trace.distance_m[block.start], trace.distance_m[min(block.end, last)]
    if d1 - d0 <= 0:
        return False
    a0, a1 = np.interp([d0, d1], profile.distance_m, profile.altitude_m)
    return bool((a1 - a0) / (d1 - d0) * 100 <= -BLOCK_DOWNHILL_PCT)


def _race(ctx: RuleContext, trace: SpeedTrace, history_easy: float | None, hr_share: float | None) -> SpeedWork | None:
    """An even effort over a standard distance from the gun, with some evidence that it was run hard.

    The gun is the end of a pre-start stop (`_gun`): a watch started on the way to the line and a wait there are
    not part of the race. The recorded distance may be `speed_work_race_over_pct` over the standard one (GPS)."""
    t = ctx.thresholds
    gun = _gun(trace)
    d0, t0 = float(trace.distance_m[gun]), float(trace.time_s[gun])
    total = float(trace.distance_m[-1]) - d0
    over = 1 + t.speed_work_race_over_pct / 100
    if not any(d * RACE_SHORT <= total <= d * over for d in STANDARD_DISTANCES_M):
        return None
    moving_s = float(trace.moving[gun:].sum()) * trace.step_s
    elapsed = float(trace.time_s[-1]) - t0
    if moving_s <= 0 or (elapsed - moving_s) > RACE_MAX_STOPPED_SHARE * elapsed + 30.0:
        return None
    speed = total / moving_s
    edges = np.arange(0.0, total - 500.0, 1000.0)
    if len(edges) < 4:
        return None
    times = np.interp(np.append(edges, total) + d0, trace.distance_m, trace.time_s)
    km = (np.diff(np.append(edges, total)) / np.maximum(np.diff(times), 1e-9))[:-1]
    long_race = total >= t.speed_work_race_unbroken_from_m * RACE_SHORT
    named = bool(RACE_WORDS.search(ctx.activity.name or ""))
    fast = history_easy is not None and speed >= history_easy * (1 + t.speed_work_faster_than_easy_pct / 100)
    if not _even_from_gun(km, lenient=long_race or named or fast):
        return None
    kick_start = float(np.interp(d0 + total * 0.95, trace.distance_m, trace.time_s))
    kick = total * 0.05 / max(float(trace.time_s[-1]) - kick_start, 1e-9) >= RACE_KICK * float(median_of(km))
    hard = named or fast or _held_hard(ctx, hr_share) or _off_the_bike(ctx.activity) or _device_says_hard(ctx)
    if not (hard or kick or long_race):
        return None
    confirmed = hard or long_race or (hr_share is not None and hr_share >= RACE_HR_SHARE_PCT)
    return SpeedWork(
        "race",
        0,
        total,
        moving_s,
        speed,
        history_easy,
        hr_share,
        t0,
        "history" if history_easy is not None else None,
        Confidence.MEDIUM if confirmed else Confidence.LOW,
    )


def _held_hard(ctx: RuleContext, hr_share: float | None) -> bool:
    """Heart rate that says an even run was raced: in the athlete's hard zone (threshold, reserve or max:
    RuleContext.hard_heart_rate) for `speed_work_race_hard_hr_share_pct` of the run, and above their usual heart
    rate on runs (`above_usual_heart_rate`). A configured maximum can be wrong (easy runs at 155-185 bpm with
    "max 195"), so without that history heart rate says nothing: an easy 5 km at a high heart rate is not a race."""
    t = ctx.thresholds
    if hr_share is None or hr_share < t.speed_work_race_hard_hr_share_pct:
        return False
    return above_usual_heart_rate(ctx)


def above_usual_heart_rate(ctx: RuleContext) -> bool:
    """The run's median heart rate is `speed_work_race_above_usual_hr_pct` above the athlete's usual average on runs
    (history.usual_heart_rate); False without that history or without heart rate. The runner's own reference: it
    needs no maximum, and a maximum set too low cannot make easy running look hard."""
    return ctx.derived("above_usual_heart_rate", lambda: _above_usual_heart_rate(ctx))


def _above_usual_heart_rate(ctx: RuleContext) -> bool:
    t = ctx.thresholds
    streams = ctx.activity.streams
    hr = streams.heart_rate if streams is not None else None
    if hr is None:
        return False
    usual = ctx.usual_heart_rate()
    valid = hr[heart_readings(hr)]
    if usual is None or not len(valid):
        return False
    return float(median_of(valid)) >= usual * (1 + t.speed_work_race_above_usual_hr_pct / 100)


def _device_says_hard(ctx: RuleContext) -> bool:
    """The watch's aerobic Training Effect (`TRAINING_EFFECT`, judged from heart rate against the runner's own profile
    on the device) of at least `speed_work_race_training_effect`: "highly improving" or more on the 0-5 scale, a
    hard session for this runner. It confirms the even effort the recording shows; it never makes a race alone."""
    effect = ctx.activity.extra.get(TRAINING_EFFECT)
    return isinstance(effect, int | float) and effect >= ctx.thresholds.speed_work_race_training_effect


def _off_the_bike(activity: Activity) -> bool:
    """The run leg of a multisport recording that followed a ride (a triathlon or duathlon): a race format, whose
    run over a standard distance is raced, not jogged."""
    before = activity.extra.get(MULTISPORT_AFTER)
    return isinstance(before, list | tuple) and Sport.RIDE.value in before


def _gun(trace: SpeedTrace) -> int:
    """Where a race recording's race starts: after a stop of PRE_START_STOP_S or more that began within the first
    PRE_START_S of moving time and PRE_START_M (the jog to the start line, then the wait for the gun), else at the
    first point. A stop later on is the race's own and stays in it; standing before moving at all leaves no
    distance out."""
    starts, ends = segments(~trace.moving)
    for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
        early = trace.moving_time_s[start] <= PRE_START_S and trace.distance_m[start] <= PRE_START_M
        if not early:
            break
        if start > 0 and (end - start) * trace.step_s >= PRE_START_STOP_S and end < len(trace.time_s):
            return int(end)
    return 0


def _even_from_gun(km: FloatArray, *, lenient: bool) -> bool:
    """Km speeds even (spread within RACE_EVEN_CV) and the first km not a warm-up.

    `lenient`: a half or full marathon run without a stop, a run the runner named a race (RACE_WORDS), or one run
    as a whole clearly faster than their easy pace from history, is judged on the spread of its middle km (the
    middle 80 %: a crowded start, a late fade or a finishing kick are not uneven pacing), and its first km may be
    held up by the crowd (RACE_CROWDED_START). Other runs keep the strict test, since an easy 5 or 10 km run looks
    the same; a race word or the runner's own easy pace lifts that doubt, as WORKOUT_WORDS do for reps.
    """
    median = float(median_of(km))
    if not lenient:
        return float(np.std(km) / np.mean(km)) <= RACE_EVEN_CV and float(km[0]) >= RACE_FROM_GUN * median
    low, high = np.quantile(km, [0.1, 0.9])
    middle = km[(km >= low) & (km <= high)]
    return float(np.std(middle) / np.mean(middle)) <= RACE_EVEN_CV and float(km[0]) >= RACE_CROWDED_START * median


def _lap_reps(laps: Sequence[Lap], min_reps: int) -> list[Lap]:
    """Active laps of a structured session; every lap "active" (a device default) does not count without rests."""
    active = [lap for lap in laps if (lap.intensity or "").lower() in ACTIVE_LAPS]
    rests = sum(1 for lap in laps if (lap.intensity or "").lower() in REST_LAPS)
    if len(active) >= min_reps and rests >= min_reps - 1:
        return active
    return []


def _interval_reps(
    efforts: list[Effort],
    trace: SpeedTrace,
    profile: AltitudeProfile | None,
    *,
    fast: float,
    margin: float,
    t: Thresholds,
    standing: bool,
    named: bool = False,
) -> list[Effort]:
    """Similar fast efforts with real recoveries between them, or [] when the pattern is not an interval session.

    Reps must be alike (duration within a factor of two, distance within -35 %/+50 %, speed within 10 % of the
    median), faster than `fast`, and
    stand out from the run's other running (warm-up, cool-down, jogged recoveries) by `margin`: bursts between
    traffic lights on a steady run are as fast as the rest of it. A session the runner named (`named`,
    WORKOUT_WORDS) lifts that doubt: its other running may be more of the same session (issue 28: "800m间歇", three
    alike 780 m reps with 2-minute walks after 15 minutes of surges and jogs). With nothing else to compare
    (`standing`: no history, no name, no other running) the pattern itself must be a session: regular reps,
    standing recoveries.
    """
    candidates = [e for e in efforts if e.duration_s <= MAX_REP_S]
    if profile is not None and candidates:
        made = _terrain_made(candidates, trace, profile)
        candidates = [e for e, terrain in zip(candidates, made, strict=True) if not terrain]
    if not candidates:
        return []
    typical = statistics.median(e.duration_s for e in candidates)
    metres = statistics.median(e.distance_m for e in candidates)
    alike = [
        e
        for e in candidates
        if typical / 2 <= e.duration_s <= typical * 2
        and ALIKE_DISTANCE[0] * metres <= e.distance_m <= ALIKE_DISTANCE[1] * metres
    ]
    if not alike:
        return []
    speed = statistics.median(e.speed_mps for e in alike)
    reps = [e for e in alike if e.speed_mps >= SIMILAR_SPEED * speed]
    if len(reps) < t.speed_work_min_reps:
        return []
    rep_speed = statistics.median(e.speed_mps for e in reps)
    if rep_speed < fast:
        return []
    in_reps = np.zeros(len(trace.speed_mps), dtype=np.bool_)
    for e in reps:
        in_reps[e.start : e.end] = True
    running_cut = 0.6 * _moving_p90(trace) if trace.moving.any() else 0.0
    others = trace.speed_mps[trace.moving & ~in_reps & (trace.speed_mps >= running_cut)]
    has_others = len(others) * trace.step_s >= MIN_OTHER_RUNNING_S
    if has_others and not named and rep_speed < float(median_of(others)) * margin:
        return []
    return reps if _session_shape(reps, trace, margin, has_others=has_others, standing=standing) else []


def _session_shape(reps: list[Effort], trace: SpeedTrace, margin: float, *, has_others: bool, standing: bool) -> bool:
    """Real recoveries after every rep; without history (`standing`), standing ones when there is no other running,
    and walked ones only when the reps beat the run's typical running (run/walk is not speed work, issue 28)."""
    recovered = all(
        e.recovery_speed_mps is not None
        and e.recovery_speed_mps <= RECOVERY_RATIO * e.speed_mps
        and e.recovery_s >= MIN_RECOVERY_SHARE * e.duration_s
        for e in reps[:-1]
    )
    if not recovered:
        return False
    if standing and not has_others and not _regular_standing(reps):
        return False
    return not (standing and _walked(reps) and not _beats_the_running(reps, trace, margin))


def _stated_rep_m(name: str) -> float | None:
    """The rep distance a session's name states ("6 x 800m", "800m间歇", "400 m repeats"), or None."""
    found = STATED_REP.search(name) if WORKOUT_WORDS.search(name) else None
    return float(found.group(1)) if found else None


def _as_stated(reps: list[Effort], stated_m: float) -> bool:
    """The reps' median distance is the stated one, give or take STATED_REP_TOLERANCE (GPS, a rounded name)."""
    metres = statistics.median(e.distance_m for e in reps)
    return abs(metres - stated_m) <= STATED_REP_TOLERANCE * stated_m


def _walked(reps: list[Effort]) -> bool:
    """Recoveries at walking pace (typically): slower than WALK_MAX_MPS, faster than standing."""
    speeds = [e.recovery_speed_mps for e in reps[:-1] if e.recovery_speed_mps is not None]
    if not speeds:
        return False
    typical = statistics.median(speeds)
    return STANDING_SPEED_RATIO * statistics.median(e.speed_mps for e in reps) < typical < WALK_MAX_MPS


def _beats_the_running(reps: list[Effort], trace: SpeedTrace, margin: float) -> bool:
    """The reps are `margin` faster than the run's typical running (the median of every running sample, reps
    included): true when a warm-up, a cool-down or jogs make up much of the running, false for run/walk, whose
    running is all alike whatever the noise (a bout left out of the reps is not a warm-up)."""
    cut = max(WALK_MAX_MPS, 0.6 * _moving_p90(trace)) if trace.moving.any() else WALK_MAX_MPS
    running = trace.speed_mps[_plausible(trace) & (trace.speed_mps >= cut)]
    if not len(running):
        return False
    return statistics.median(e.speed_mps for e in reps) >= float(median_of(running)) * margin


def _plausible_efforts(efforts: list[Effort]) -> list[Effort]:
    return [e for e in efforts if e.speed_mps <= MAX_RUNNING_MPS]


def _regular_standing(reps: list[Effort]) -> bool:
    """A session's shape: alike reps, alike recoveries spent standing, each long enough to be a rest, not a light."""
    gaps = reps[:-1]
    if not gaps:
        return False
    rep_s = statistics.median(e.duration_s for e in reps)
    rest_s = statistics.median(e.recovery_s for e in gaps)
    return (
        all(abs(e.duration_s - rep_s) <= REGULAR_REP_SPREAD * rep_s for e in reps)
        and all(abs(e.recovery_s - rest_s) <= REGULAR_RECOVERY_SPREAD * rest_s for e in gaps)
        and all(e.recovery_s >= max(STANDING_MIN_S, STANDING_SHARE_OF_REP * e.duration_s) for e in gaps)
        and all(
            e.recovery_speed_mps is not None
            and e.recovery_speed_mps <= max(STOPPED_MPS, STANDING_SPEED_RATIO * e.speed_mps)
            for e in gaps
        )
    )


def _quantile(values: FloatArray, q: float) -> float:
    """Nearest-rank quantile: np.partition's own copy and partition, without its Python layer."""
    k = round(q * (len(values) - 1))
    part = values.copy()
    part.partition(k)
    return float(part[k])


def _no_slope(activity: Activity) -> bool:
    return activity.sport in (Sport.TREADMILL_RUN, Sport.VIRTUAL_RUN) or activity.indoor


def _terrain_made(efforts: list[Effort], trace: SpeedTrace, profile: AltitudeProfile) -> list[bool]:
    """For each effort, whether the slope explains the pattern: fast only because downhill, or slow after it because
    steep. Every effort's start, end and recovery end are looked up on the profile in one np.interp call."""
    last = len(trace.distance_m) - 1
    points = [
        i for e in efforts for i in (e.start, min(e.end, last), min(e.end + round(e.recovery_s / trace.step_s), last))
    ]
    distances = trace.distance_m[points]
    altitudes = np.interp(distances, profile.distance_m, profile.altitude_m).tolist()
    d = distances.tolist()
    return [_slope_explains(d[i : i + 3], altitudes[i : i + 3]) for i in range(0, len(d), 3)]


def _slope_explains(d: list[float], a: list[float]) -> bool:
    """`d`, `a`: distance and altitude at an effort's start, end and recovery end (see `_terrain_made`)."""
    if d[1] - d[0] > 0 and (a[1] - a[0]) / (d[1] - d[0]) * 100 <= -DOWNHILL_ASSIST_PCT:
        return True
    return d[2] - d[1] >= 20.0 and abs(a[2] - a[1]) / (d[2] - d[1]) * 100 >= STEEP_TERRAIN_PCT


def heart_readings(heart_rate: FloatArray) -> BoolArray:
    """The samples holding a heart-rate reading: finite and within MIN_HR_BPM..MAX_HR_BPM (0 and 255 are none)."""
    return np.isfinite(heart_rate) & (heart_rate >= MIN_HR_BPM) & (heart_rate <= MAX_HR_BPM)


def _top_zone_share(streams: Streams | None, hard_bpm: float | None) -> float | None:
    """Share (%) of time with a heart rate at or above `hard_bpm`, weighting by sample gaps; readings of 0 and 255
    (strap dropouts, the ANT+ "invalid" value) and anything outside 30-250 bpm are no readings."""
    if streams is None or streams.heart_rate is None or not hard_bpm or len(streams) < 2:
        return None
    hr = streams.heart_rate
    dt = np.diff(streams.time_s, append=streams.time_s[-1])
    dt = np.where((dt > 0) & (dt <= MAX_SAMPLE_GAP_S), dt, 0.0)
    known = heart_readings(hr)
    total = float(dt[known].sum())
    if total <= 0:
        return None
    top = float(dt[known & (hr >= hard_bpm)].sum())
    return top / total * 100


def _median(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


# ---- where the fast running was, for the charts (issue 14: the domain owns its maths, web/charts.py draws it) ----


def fast_line_mps(flag: Flag, thresholds: Thresholds) -> float | None:
    """The speed above which the chart calls a stretch fast, from the flag's own evidence: the rule's line over the
    easy pace when the evidence has one, else near the reps' pace; None when the evidence has neither."""
    evidence = SpeedWorkEvidence.from_flag(flag)
    if evidence is None:
        return None
    easy, rep = positive(evidence.easy_pace_s_per_km), positive(evidence.rep_pace_s_per_km)
    if easy is not None:
        return 1000.0 / easy * (1.0 + thresholds.speed_work_faster_than_easy_pct / 100.0)
    return 0.92 * 1000.0 / rep if rep is not None else None


def fast_stretches(streams: Streams, flag: Flag, thresholds: Thresholds) -> list[tuple[float, float]]:
    """(start, end) in metres of each effort above `fast_line_mps`, found with the rule's own effort finder."""
    from syncd.domain.streams_math import speed_trace

    fast = fast_line_mps(flag, thresholds)
    trace = speed_trace(streams) if fast is not None else None
    if fast is None or trace is None:
        return []
    last = len(trace.distance_m) - 1
    return [
        (float(trace.distance_m[e.start]), float(trace.distance_m[min(e.end, last)])) for e in find_efforts(trace, fast)
    ]
