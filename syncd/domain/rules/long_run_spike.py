"""long_run_spike: one run clearly longer than the longest run of the previous 30 days (a single-session spike).

Source (RISK-FACTS.md, "Single-session spike"): Frandsen et al. 2025, Br J Sports Med 59(17):1203-1210 (5,205
runners, 588,071 Garmin-recorded sessions). Compared with runs up to 10 % longer than the longest run of the previous
30 days, the overuse-injury rate was higher for runs >10-30 % longer (HRR 1.64, 95 % CI 1.31-2.05), >30-100 %
(1.52, 1.16-2.00) and >100 % (2.28, 1.50-3.48); weekly ACWR and week-to-week change showed no such rise. So the
lever is the length of one run against the runner's recent longest, not a smoothed weekly load.

Length is distance when this run and an earlier run of the window have one, else time (a treadmill run without
distance against the longest earlier run by time). Only runs count, on both sides. The rule needs
`long_run_history_days` (30) of recording: the athlete's earliest known activity must have started at least that
long before this run, and at least one run in the window; otherwise a "spike" is only the start of the recording.

Evidence keys (LongRunSpikeEvidence in rules/long_run_spike_evidence.py, beside its note line):
    basis           str    "distance" or "time"
    run_m / run_s   float  this run's distance (m) or time (s), by basis
    longest_m / longest_s  float  the longest run of the window (m or s)
    longer_pct      float  how much longer this run was (%)
    band            str    "10-30", "30-100" or ">100" (the study's bands, from the thresholds)
    window_days     int    30
    next_m / next_s float  a next long run's length: the window's longest plus `long_run_spike_pct` (build from
                           the base you had, one step at a time)

Severity: caution above `long_run_spike_pct` (10 %), high above `long_run_spike_high_pct` (100 %: HRR 2.28).
Confidence medium: one large observational cohort, the first of its kind.
"""

from __future__ import annotations

from syncd.domain.flags import Confidence, Flag, FlagCode, Severity
from syncd.domain.rule_versions import RULE_VERSIONS
from syncd.domain.rules.context import RuleContext
from syncd.domain.rules.long_run_spike_evidence import LongRunSpikeEvidence

VERSION: int = RULE_VERSIONS["long_run_spike"]  # bumped in syncd/domain/rule_versions.py

ADVICE = (
    "This run was a big step up from your longest run of the past month, and one run much longer than your recent "
    "longest is linked to more overuse injuries (Frandsen et al. 2025). Keep the next few runs shorter and easy, "
    "and build your long run by about 10 % at a time from what you had been doing."
)


def evaluate(ctx: RuleContext) -> Flag | None:
    activity = ctx.activity
    if not activity.sport.is_run:
        return None
    t = ctx.thresholds
    found = ctx.figures().longest_before  # the run's state's (`domain.run_figures`)
    if found is None:
        return None  # less than 30 days of recording, or no run in them: no "longest run of the previous 30 days"
    longest_m, longest_s = found
    if activity.distance_m is not None and activity.distance_m > 0 and longest_m > 0:
        basis, length, longest = "distance", activity.distance_m, longest_m
    elif activity.duration_s is not None and activity.duration_s > 0 and longest_s > 0:
        basis, length, longest = "time", activity.duration_s, longest_s
    else:
        return None
    longer_pct = round((length / longest - 1.0) * 100.0, 6)  # 11 km vs 10 km is 10 %, not 10.000000000000009
    if longer_pct <= t.long_run_spike_pct:
        return None
    if longer_pct > t.long_run_spike_high_pct:
        band = f">{t.long_run_spike_high_pct:g}"
    elif longer_pct > t.long_run_spike_mid_pct:
        band = f"{t.long_run_spike_mid_pct:g}-{t.long_run_spike_high_pct:g}"
    else:
        band = f"{t.long_run_spike_pct:g}-{t.long_run_spike_mid_pct:g}"
    by_time = basis == "time"
    run, ref, nxt = round(length, 1), round(longest, 1), round(longest * (1 + t.long_run_spike_pct / 100.0), 1)
    return Flag(
        code=FlagCode.LONG_RUN_SPIKE,
        severity=Severity.HIGH if longer_pct > t.long_run_spike_high_pct else Severity.CAUTION,
        confidence=Confidence.MEDIUM,
        evidence=LongRunSpikeEvidence(
            basis=basis,
            run_m=None if by_time else run,
            run_s=run if by_time else None,
            longest_m=None if by_time else ref,
            longest_s=ref if by_time else None,
            longer_pct=round(longer_pct, 1),
            band=band,
            window_days=t.long_run_history_days,
            next_m=None if by_time else nxt,
            next_s=nxt if by_time else None,
        ).to_evidence(),
        advice=ADVICE,
    )
