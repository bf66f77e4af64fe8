"""Rule thresholds, with defaults taken from RISK-FACTS.md; every field is a config key under `[rules]`."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, fields
from typing import Any


@dataclass(frozen=True, slots=True)
class Thresholds:
    # downhill (Bontemps et al. 2020: damage studies use -10..-15 %; defaults flag > 5 % over >= 200 m)
    downhill_grade_pct: float = 5.0
    downhill_min_stretch_m: float = 200.0
    downhill_descent_per_km_m: float = 20.0
    # high severity from -10 % sustained (the gentlest slope Bontemps et al. 2020 found damaging) or 1 km of steep
    downhill_high_grade_pct: float = 10.0
    downhill_high_distance_m: float = 1000.0
    # hard surface: a mapped route is "hard" when at least this share of its classified distance is paved
    hard_surface_share_pct: float = 50.0
    # ... and only when the map classified at least this share of the route (a few mapped metres are no finding)
    hard_surface_min_known_pct: float = 50.0
    # speed work: effort is "fast" when this much quicker than the athlete's easy pace
    speed_work_faster_than_easy_pct: float = 10.0
    speed_work_min_reps: int = 3
    speed_work_top_zone_share_pct: float = 20.0
    # the hard heart-rate zone (it confirms fast running, never makes speed work alone): from the threshold heart
    # rate when known, else the heart-rate reserve (Karvonen), else max alone, where 80 % is within many runners'
    # easy running and a hard cut-off sits near 88-90 % (RISK-FACTS.md, "Heart-rate intensity")
    speed_work_top_zone_from_pct_max: float = 89.0
    speed_work_hard_from_pct_hrr: float = 80.0
    speed_work_hard_from_pct_threshold: float = 95.0
    # tempo: a sustained block this much quicker than easy pace (history) or than the run's own easy parts
    speed_work_tempo_faster_pct: float = 15.0
    # ... held for at least this long (s): five minutes at that margin over the run's steady running is a sustained
    # hard effort (a threshold block), where a faster minute or two is a surge (laps keep their 10-minute minimum)
    speed_work_tempo_min_s: float = 300.0
    # ... and, where heart rate covers it, with a median heart rate this much above the run's other running (a
    # brisk start that fades at the same heart rate is no tempo); heart rate confirms, it never creates one
    speed_work_tempo_hr_above_pct: float = 3.0
    # race without other evidence: an even run without a stop over a standard distance from this length (a half
    # or full marathon run unbroken is a race effort; an easy 5 or 10 km looks like a race, so it needs pace)
    speed_work_race_unbroken_from_m: float = 42000.0
    # ... and a recorded distance up to this much over the standard one still counts: GPS over-measures a course
    # (corners cut by no one, wobble on a track: a track 5 km reads 5.2-5.3 km), it rarely under-measures it
    speed_work_race_over_pct: float = 6.0
    # ... and such an even run is hard when heart rate sits in the athlete's hard zone (threshold, reserve or max
    # known: RuleContext.hard_heart_rate) for at least this share of it: a race is held near the top of the range
    # from the first kilometres on; an easy run dips in and out. It confirms the pace's shape, never replaces it
    speed_work_race_hard_hr_share_pct: float = 75.0
    # ... and with a median heart rate this much above the athlete's usual average on runs (history): a maximum set
    # too low puts easy running in the "hard zone"; without that history heart rate says nothing about a race
    speed_work_race_above_usual_hr_pct: float = 5.0
    # ... or when the watch's aerobic Training Effect (0-5, from heart rate against the runner's profile on the
    # device) is at least this: 4.0 starts Garmin/Firstbeat's "highly improving" band, a hard session for the runner
    speed_work_race_training_effect: float = 4.0
    # easy pace: median speed of earlier flat, non-trail, non-workout runs of this many days; needs a minimum count
    easy_pace_window_days: int = 42
    easy_pace_min_runs: int = 3
    easy_pace_max_climb_m_per_km: float = 15.0
    # ... and not run at an average heart rate this much above the runner's usual on runs (a race not marked as one)
    easy_pace_max_above_usual_hr_pct: float = 5.0
    # warm-up: first 10 minutes (or 1.5 km) clearly easier than the rest
    warmup_window_s: float = 600.0
    warmup_window_m: float = 1500.0
    warmup_easier_by_pct: float = 5.0
    # a hard start from heart rate (no pace-found hard part) needs the run's heart rate this much above the athlete's
    # usual average heart rate on runs (history), besides the hard zone: heart rate alone creates nothing
    warmup_hard_start_above_usual_hr_pct: float = 5.0
    # shoes (Cook, Kester & Brunet 1985: 480-800 km; weak evidence -> warn at 600 km)
    shoe_limit_km: float = 600.0
    shoe_nearly_worn_pct: float = 90.0
    shoe_far_over_pct: float = 125.0  # past this share of the limit the flag is "high"
    # training load (Gabbett 2016: sweet spot 0.8-1.3, risk > 1.3, sharply > 1.5)
    acwr_caution: float = 1.3
    acwr_high: float = 1.5
    acwr_min_history_days: int = 21
    # below this much running a week in the chronic window a ratio is noise (10 min after 5 min reads "2.0")
    acwr_min_chronic_min: float = 60.0
    # this many days without a run make the next runs a return after a break, judged against the weeks before it;
    # the first week back should stay under this share of the running done per week before the break
    return_break_days: int = 14
    return_first_week_pct: float = 50.0
    # ... and above this many minutes (an absolute floor: a 30-minute week back after 12-minute weeks is no spike)
    return_min_week_min: float = 60.0
    # single-session spike (Frandsen et al. 2025): a run more than this much longer (%) than the longest run of the
    # previous `long_run_history_days`; the study's bands are 10-30, 30-100 and >100 % (high above the last)
    long_run_spike_pct: float = 10.0
    long_run_spike_mid_pct: float = 30.0
    long_run_spike_high_pct: float = 100.0
    long_run_history_days: int = 30
    # monotony (Foster 1998)
    monotony_caution: float = 1.5
    monotony_high: float = 2.0
    # ... only judged on a week with at least this much running (Foster's concern is monotony under load)
    monotony_min_week_load_min: float = 300.0  # unused since issue 28 (no monotony on minutes); configs stay valid
    monotony_min_week_load_trimp: float = 450.0
    # weekly targets; a session shorter than min_session_min counts toward none (a 2-minute walk is not a session)
    low_impact_sessions_per_week: int = 2
    strength_sessions_per_week: int = 3
    min_session_min: float = 15.0

    @classmethod
    def from_mapping(cls, values: dict[str, Any]) -> Thresholds:
        """Build from a config section; unknown keys are an error so a typo never silently keeps a default."""
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise ValueError(f"unknown [rules] key(s): {', '.join(unknown)}")
        converted: dict[str, Any] = {}
        for name, value in values.items():
            kind = int if known[name].type in ("int", int) else float
            if isinstance(value, bool) or not isinstance(value, (int, float, str)):
                raise ValueError(f"[rules] {name} must be a number, got {value!r}")
            try:
                converted[name] = kind(value)
            except ValueError as exc:
                raise ValueError(f"[rules] {name} must be a number, got {value!r}") from exc
            if converted[name] < 0:
                raise ValueError(f"[rules] {name} must not be negative, got {value!r}")
        return cls(**converted)

    def fingerprint(self) -> str:
        """Short stable digest of the values: part of the rules version stored with each annotation."""
        blob = json.dumps(asdict(self), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:12]
