"""Speed work read from the laps the device or platform recorded: the runner's own structure, before the stream.

Source: RISK-FACTS.md, "Speed work: repeated efforts clearly faster than the athlete's own easy pace ..., interval
laps". A runner who presses the lap button at each rep (or a structured workout whose steps end the laps) records
the session's shape exactly, where a GPS speed trace blurs short reps and standing recoveries.

Two readings, both judged against an easy reference (the easy pace from history, else the run's own other running
laps), never against a fixed pace:
- `lap_intervals`: at least `min_reps` alike laps (speed within 10 % of their median; duration within a factor of
  two or distance within -35 %/+50 %), 25 s to 15 min each, every one but the last followed by recovery laps (no
  faster than 80 % of the rep, lasting at least a tenth of it: jogged, walked or standing). The reps must be
  `margin` faster than the easy reference and than the run's other running laps. Without any other running and
  without history, the recoveries must be standing (at most 30 % of the rep's speed) and regular: walk breaks at
  walking pace between steady running (run/walk) are not speed work.
- `lap_tempo`: consecutive laps of at least 10 minutes, each `faster` faster than the median of the run's other
  running laps (at least 5 minutes of them: warm-up, cool-down, steady running), than the running laps before the
  block (at least 2 minutes: a tempo follows easy running; a run that starts fast and fades is no tempo, its
  start is the warm-up rule's business) and than the history's easy pace when known. Auto laps (every km) count
  here: a block of fast kilometres is one.

Auto laps (ended by distance, time or position at one fixed split) carry no structure for intervals; laps ended
by time or distance at several lengths are a programmed workout's steps, and do. Laps with zero or negative length
or duration are bad input and are left out (`usable_laps`).
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from syncd.domain.model import Lap

MIN_REP_S = 25.0
MAX_REP_S = 900.0
TEMPO_MIN_S = 600.0
RECOVERY_RATIO = 0.8
MIN_RECOVERY_SHARE = 0.1
SIMILAR_SPEED = 0.9
ALIKE_DISTANCE = (0.65, 1.5)
STANDING_RATIO = 0.3
REGULAR_REP_SPREAD = 0.3
REGULAR_RECOVERY_SPREAD = 0.5
# Slower than this (8:20 /km) is walking or standing, never "other running".
WALK_MAX_MPS = 2.0
MIN_OTHER_RUNNING_S = 120.0
MIN_EASY_PART_S = 300.0
AUTO_TRIGGERS = frozenset({"distance", "time", "position"})
# Auto laps split the run evenly (every 1000 m, every 300 s): lengths this close to one another.
AUTO_SPLIT_SPREAD = 0.03
# Laps beyond this many are not read (a pathological file): the block search is quadratic.
MAX_LAPS = 80


@dataclass(frozen=True, slots=True)
class LapFinding:
    """Reps (or one tempo block, `reps` = 1) read from laps, with the reference they were judged against."""

    reps: int
    rep_distance_m: float
    rep_duration_s: float
    rep_speed_mps: float
    reference_mps: float | None
    from_history: bool
    start_s: float


@dataclass(frozen=True, slots=True)
class _L:
    index: int
    start_s: float
    seconds: float
    metres: float

    @property
    def speed(self) -> float:
        return self.metres / self.seconds


def usable_laps(laps: Sequence[Lap]) -> list[Lap]:
    """The laps that say something: positive duration, a known, non-negative distance."""
    return [lap for lap in laps[:MAX_LAPS] if lap.usable and lap.distance_m is not None]


def _plain(laps: Sequence[Lap]) -> list[_L]:
    return [
        _L(i, lap.start_offset_s, float(lap.moving_s or lap.elapsed_s), float(lap.distance_m or 0.0))
        for i, lap in enumerate(usable_laps(laps))
    ]


def _auto_only(laps: Sequence[Lap]) -> bool:
    """Laps the device ended on its own at one fixed split (every km, every 5 minutes, at a marked spot): no
    structure. Laps ended by time or by distance at several different lengths (1 minute, then 1:45, then 45 s)
    are the steps of a programmed workout, which is structure (issue 28: workout steps are evidence of intervals)."""
    ended = [lap for lap in laps if lap.trigger != "session_end"]
    triggers = {lap.trigger for lap in ended}
    if not triggers or not triggers <= AUTO_TRIGGERS:
        return False
    split_by_distance = [lap.distance_m or 0.0 for lap in ended if lap.trigger == "distance"]
    split_by_time = [lap.moving_s or lap.elapsed_s for lap in ended if lap.trigger == "time"]
    return _one_split(split_by_distance) and _one_split(split_by_time)


def _one_split(lengths: list[float]) -> bool:
    """All the laps one length (within AUTO_SPLIT_SPREAD), the run's last full lap aside (it may end short)."""
    whole = lengths[:-1] if len(lengths) > 2 else lengths
    if not whole:
        return True
    middle = statistics.median(whole)
    return all(abs(length - middle) <= AUTO_SPLIT_SPREAD * middle for length in whole)


def lap_intervals(laps: Sequence[Lap], *, easy_mps: float | None, margin: float, min_reps: int) -> LapFinding | None:
    """The largest set of alike fast laps with recovery laps between them, or None (see the module docstring)."""
    if _auto_only(laps):
        return None
    plain = _plain(laps)
    if len(plain) < 2 * min_reps - 1:
        return None
    best: list[_L] = []
    for line in sorted({lap.speed for lap in plain if lap.speed > WALK_MAX_MPS}):
        reps = _reps_at(plain, line, easy_mps=easy_mps, margin=margin, min_reps=min_reps)
        if len(reps) > len(best):
            best = reps
    if not best:
        return None
    return LapFinding(
        reps=len(best),
        rep_distance_m=statistics.median(r.metres for r in best),
        rep_duration_s=statistics.median(r.seconds for r in best),
        rep_speed_mps=statistics.median(r.speed for r in best),
        reference_mps=easy_mps if easy_mps is not None else _other_running(plain, {r.index for r in best}),
        from_history=easy_mps is not None,
        start_s=best[0].start_s,
    )


def _reps_at(plain: list[_L], line: float, *, easy_mps: float | None, margin: float, min_reps: int) -> list[_L]:
    """The laps at or above `line` when they form an interval session, else []."""
    fast = [lap for lap in plain if lap.speed >= line and MIN_REP_S <= lap.seconds <= MAX_REP_S]
    if len(fast) < min_reps:
        return []
    speed = statistics.median(r.speed for r in fast)
    seconds = statistics.median(r.seconds for r in fast)
    metres = statistics.median(r.metres for r in fast)
    alike = all(
        r.speed >= SIMILAR_SPEED * speed
        and (
            seconds / 2 <= r.seconds <= seconds * 2
            or ALIKE_DISTANCE[0] * metres <= r.metres <= ALIKE_DISTANCE[1] * metres
        )
        for r in fast
    )
    recoveries = [plain[a.index + 1 : b.index] for a, b in itertools.pairwise(fast)]
    if not alike or not all(_recovered(rep, gap) for rep, gap in zip(fast, recoveries, strict=False)):
        return []
    others = _other_running(plain, {r.index for r in fast})
    if others is not None and speed < others * margin:
        return []
    if easy_mps is not None:
        return fast if speed >= easy_mps * margin else []
    if others is not None:
        return fast
    return fast if _standing_and_regular(fast, recoveries) else []


def _recovered(rep: _L, gap: list[_L]) -> bool:
    seconds = sum(lap.seconds for lap in gap)
    return (
        bool(gap)
        and seconds >= MIN_RECOVERY_SHARE * rep.seconds
        and sum(lap.metres for lap in gap) / seconds <= RECOVERY_RATIO * rep.speed
    )


def _other_running(plain: list[_L], excluded: set[int]) -> float | None:
    """The median speed (by time) of the laps outside `excluded` run faster than walking, with 2+ minutes of them."""
    others = [lap for lap in plain if lap.index not in excluded and lap.speed >= WALK_MAX_MPS]
    if sum(lap.seconds for lap in others) < MIN_OTHER_RUNNING_S:
        return None
    return _time_median(others)


def _time_median(laps: list[_L]) -> float:
    ordered = sorted(laps, key=lambda lap: lap.speed)
    half, acc = sum(lap.seconds for lap in ordered) / 2, 0.0
    for lap in ordered:
        acc += lap.seconds
        if acc >= half:
            return lap.speed
    return ordered[-1].speed  # pragma: no cover - the loop always returns


def _standing_and_regular(reps: list[_L], gaps: list[list[_L]]) -> bool:
    rep_s = statistics.median(r.seconds for r in reps)
    rest = [sum(lap.seconds for lap in gap) for gap in gaps]
    rest_s = statistics.median(rest)
    return (
        all(abs(r.seconds - rep_s) <= REGULAR_REP_SPREAD * rep_s for r in reps)
        and all(abs(s - rest_s) <= REGULAR_RECOVERY_SPREAD * rest_s for s in rest)
        and all(
            sum(lap.metres for lap in gap) / sum(lap.seconds for lap in gap) <= STANDING_RATIO * rep.speed
            for rep, gap in zip(reps, gaps, strict=False)
        )
    )


def lap_tempo(laps: Sequence[Lap], *, easy_mps: float | None, faster: float) -> LapFinding | None:
    """The longest run of consecutive laps (10+ minutes) clearly faster than the run's other running laps."""
    plain = _plain(laps)
    if len(plain) < 3:
        return None
    best: tuple[int, int] | None = None
    best_s = 0.0
    for i in range(len(plain)):
        seconds = 0.0
        for j in range(i, len(plain)):
            seconds += plain[j].seconds
            if seconds >= TEMPO_MIN_S and seconds > best_s and _beats(plain, (i, j + 1), easy_mps, faster):
                best, best_s = (i, j + 1), seconds
    if best is None:
        return None
    block = plain[best[0] : best[1]]
    metres = sum(lap.metres for lap in block)
    outside = {lap.index for lap in block}
    return LapFinding(
        reps=1,
        rep_distance_m=metres,
        rep_duration_s=best_s,
        rep_speed_mps=metres / best_s,
        reference_mps=_other_running(plain, outside),
        from_history=False,
        start_s=block[0].start_s,
    )


def _beats(plain: list[_L], span: tuple[int, int], easy_mps: float | None, faster: float) -> bool:
    i, j = span
    block = plain[i:j]
    before = [lap for lap in plain[:i] if lap.speed >= WALK_MAX_MPS]
    others = before + [lap for lap in plain[j:] if lap.speed >= WALK_MAX_MPS]
    if sum(lap.seconds for lap in others) < MIN_EASY_PART_S or sum(lap.seconds for lap in before) < MIN_OTHER_RUNNING_S:
        return False
    easy = max(_time_median(others), _time_median(before), easy_mps or 0.0)
    return all(lap.speed >= easy * faster for lap in block)
