"""Each rule's VERSION, in the engine's order, and the rules version they make: the one place a rule's version is
bumped (each rule module reads its own from here).

Bump a rule's number whenever its logic changes; the rules version stored with each annotation combines these with
the thresholds, so `syncd reannotate` re-runs only what changed. Kept apart from the rule modules so a command that
only shows the rules version (`syncd status`) imports neither the rule engine nor numpy (issue 32).
"""

from __future__ import annotations

import functools
import hashlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from syncd.domain.thresholds import Thresholds

RULE_VERSIONS: dict[str, int] = {
    "hard_surface": 4,  # 4: judged only when the map classified at least half the route
    # downhill 8: altitude with no position fix is the barometer's, trusted without the pace test (issue 28);
    # 7: only on altitude whose steep climbs slowed the runner (issue 28, GPS altitude noise on flat
    # courses); 6: no altitude change across a pause with no distance; 5: altitude sentinels, constant
    # altitude, start settling, noise-scaled hysteresis
    "downhill": 8,
    # speed_work 15: the easy pace from history leaves out runs at an average heart rate 5 % or more above the
    # runner's usual (unmarked races, issue 28); 14: a run that is one block (no easy parts to beat) is a tempo
    # when it is 15 % faster than easy pace from history and its heart rate sits above the runner's usual on runs
    # (history), no maximum needed (issue 28); 13: an even-paced standard distance run clearly faster than easy pace
    # from history is judged on
    # its middle km, as a named race is (a slow first km or a finishing kick no longer hide it); laps ended by time
    # or distance at several lengths are a programmed workout's steps, not auto laps (issue 28);
    # 12: a triathlon/duathlon run leg (off the bike in one multisport recording), an even run rated hard by
    # the watch (Training Effect 4+), or an even run over a standard distance held in the athlete's hard heart-rate zone
    # above their usual heart rate, is a race; tempo blocks from 5 minutes, also looked for at the tempo margin over the
    # run's typical running, never the fade of a faster start (issue 28); 11: a race up to 6 % long by GPS and from the
    # end of a pre-start stop; a tempo block must beat steady running after the opening ramp; walked breaks in reps
    # filling a run whose name states their distance (issue 28); 10: a tempo block needs heart rate above the run's
    # other running where heart rate covers both (an easy run's brisk start that fades at the same heart rate is no
    # tempo, issue 28); 9: race words in CJK names, a run named a race may start in a crowd, a named session's reps need
    # not beat its other running; 8: a workout name lifts the run/walk doubt from walked-recovery reps; 7: an unbroken
    # even marathon is a race (crowded start, late fade, issue 28); 6: laps, run/walk, tempo against its own running; 5:
    # heart rate confirms, never creates
    "speed_work": 15,
    # no_warmup 11: follows speed_work 15 (the easy pace from history); 10: follows speed_work 14 (a whole-run
    # effort that pace and heart rate against history call hard);
    # 9: heart rate that falls 10 bpm after the opening at a held pace was a sensor settling, not a hard
    # start (issue 28); 8: follows speed_work 12; never on a multisport leg after another (warmed up by the earlier
    # legs);
    # the opening's heart rate runs on to where later reps start (all the running before them is the warm-up);
    # 7: follows speed_work 11 (races from a track or after a wait at the line, named walked reps);
    # 6: follows speed_work 10 (no tempo on a fade, so no warm-up verdict); 5: a hard start from heart rate
    # (races, hard starts); 4: drills, not static stretching
    "no_warmup": 11,
    "worn_shoes": 5,  # 5: whose limit, no "thin evidence" marker; 4: the usual range in the advice; 3: "nearly due"
    # long_run_spike 2: the history window is 44 days (issue 27), so "the recording began 30 days before" sees
    # activities 42-44 days back; 1: new in issue 28, one run against the longest of the previous 30 days
    "long_run_spike": 2,
    # load_spike 4: the load reads the 42 local days ending on the run's day, never the instant history was cut
    # at, so the usual week before a break is the day's (issue 27); 3: no ratio flag on a run; the usual week from
    # covered weeks; an absolute floor
    "load_spike": 4,
    "monotony": 4,  # 3: from TRIMP only, never from minutes; 4: the note says rest days, not "alike"
    # low_cross_training, low_strength 3: the history window is 44 days (issue 27), so "the history covers last
    # week" also sees activities 42-44 days back
    "low_cross_training": 3,
    "low_strength": 3,
}
DATA_GAPS_VERSION = 4  # 4: "no streams yet" for a platform summary whose samples are not fetched yet; 3: downhill on
# altitude the pace does not confirm


def rules_version(thresholds: Thresholds) -> str:
    """`<code digest>-<thresholds digest>`: changes when any rule's version or any threshold changes.

    Asked once per annotated run: both digests are cached (the code's on the versions as they are now, the
    thresholds' on the very object a run's context holds), a notable share of a run's rules otherwise.
    """
    return f"{_code_digest(tuple(RULE_VERSIONS.items()), DATA_GAPS_VERSION)}-{_fingerprint_of(thresholds)}"


@functools.lru_cache(maxsize=8)
def _code_digest(versions: tuple[tuple[str, int], ...], data_gaps_version: int) -> str:
    code = ",".join(f"{name}={version}" for name, version in versions)
    code += f",data_gaps={data_gaps_version}"
    return hashlib.sha256(code.encode()).hexdigest()[:8]


# id -> (the thresholds, their digest): hashing a frozen Thresholds (every field) for the lru_cache below costs
# about as much as a small rule, so the object a run hands in is recognised by identity first (kept alive here, so
# its id is not reused while it is cached).
_BY_IDENTITY: dict[int, tuple[Thresholds, str]] = {}


def _fingerprint_of(thresholds: Thresholds) -> str:
    hit = _BY_IDENTITY.get(id(thresholds))
    if hit is not None and hit[0] is thresholds:
        return hit[1]
    value = _fingerprint(thresholds)
    if len(_BY_IDENTITY) >= 64:
        _BY_IDENTITY.clear()
    _BY_IDENTITY[id(thresholds)] = (thresholds, value)
    return value


@functools.lru_cache(maxsize=64)
def _fingerprint(thresholds: Thresholds) -> str:
    """Thresholds are frozen: their digest (JSON + SHA-256, ~30 µs) is computed once per distinct set."""
    return thresholds.fingerprint()
