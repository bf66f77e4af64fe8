"""The speed_work rule's evidence (rules/speed_work.py writes it) and its note line; numpy-free, unlike the rule."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from syncd.domain.flags import EvidenceValue, Flag, FlagCode
from syncd.domain.rules.evidence_base import Labels, clean, count_text, join, number, positive, text, with_article
from syncd.domain.units import Units, format_distance, format_duration, format_pace

CODE = FlagCode.SPEED_WORK

# How a speed-work flag was triggered, in words; unknown triggers are left out rather than shown raw. `hr_zones`
# is no longer written (issue 28) but stored flags still carry it.
TRIGGERS: Mapping[str, str] = {
    "laps": "interval laps",
    "intervals": "repeated fast efforts",
    "race": "a race effort",
    "workout": "marked as a workout",
    "tempo": "a sustained tempo effort",
    "hr_zones": "much time in top heart-rate zones",
}


# The evidence table on the activity page: key -> (label, kind of quantity).
LABELS: Labels = {
    "trigger": ("Found from", "text"),
    "reps": ("Fast efforts", "count"),
    "rep_distance_m": ("Effort length", "distance"),
    "rep_duration_s": ("Effort duration", "duration"),
    "rep_pace_s_per_km": ("Effort pace", "pace"),
    "easy_pace_s_per_km": ("Easy pace", "pace"),
    "easy_source": ("Easy pace from", "text"),
    "top_zone_share_pct": ("Time in top heart-rate zones", "percent"),
}


@dataclass(frozen=True, slots=True)
class SpeedWorkEvidence:
    """The fast running found (medians of the efforts) and the easy pace it was judged against."""

    trigger: str | None = None  # a key of TRIGGERS
    reps: float | None = None  # count (stored as an int)
    rep_distance_m: float | None = None
    rep_duration_s: float | None = None
    rep_pace_s_per_km: float | None = None
    easy_pace_s_per_km: float | None = None
    easy_source: str | None = None  # "history" or "this_run"; None when no pace reference was needed
    top_zone_share_pct: float | None = None  # None without heart rate and a hard zone

    def to_evidence(self) -> dict[str, EvidenceValue]:
        return {
            "trigger": self.trigger,
            "reps": self.reps,
            "rep_distance_m": self.rep_distance_m,
            "rep_duration_s": self.rep_duration_s,
            "rep_pace_s_per_km": self.rep_pace_s_per_km,
            "easy_pace_s_per_km": self.easy_pace_s_per_km,
            "easy_source": self.easy_source,
            "top_zone_share_pct": self.top_zone_share_pct,
        }

    @classmethod
    def from_flag(cls, flag: Flag | None) -> SpeedWorkEvidence | None:
        """The evidence of a speed_work flag (None for no flag or another code); missing keys read as None."""
        if flag is None or flag.code is not CODE:
            return None
        ev = flag.evidence
        return cls(
            trigger=text(ev, "trigger"),
            reps=number(ev, "reps"),
            rep_distance_m=number(ev, "rep_distance_m"),
            rep_duration_s=number(ev, "rep_duration_s"),
            rep_pace_s_per_km=number(ev, "rep_pace_s_per_km"),
            easy_pace_s_per_km=number(ev, "easy_pace_s_per_km"),
            easy_source=text(ev, "easy_source"),
            top_zone_share_pct=number(ev, "top_zone_share_pct"),
        )

    def note(self, units: Units) -> str:
        reps, rep_m, rep_s = positive(self.reps), positive(self.rep_distance_m), positive(self.rep_duration_s)
        pace, easy = positive(self.rep_pace_s_per_km), positive(self.easy_pace_s_per_km)
        zone_share = positive(self.top_zone_share_pct)
        if reps is not None and reps > 1:
            effort = (
                f"{count_text(reps)} \u00d7 {format_distance(rep_m, units)}"
                if rep_m
                else f"{count_text(reps)} fast efforts"
            )
        elif rep_s is not None:
            effort = with_article(f"{format_duration(rep_s)} effort")
        elif rep_m is not None:
            effort = with_article(f"{format_distance(rep_m, units)} effort")
        else:
            effort = ""
        if pace is not None:
            effort = f"{effort or 'fast running'} at {format_pace(pace, units)}"
            if easy is not None:
                own = clean(self.easy_source) == "this_run"
                effort += f" ({"this run's easy parts" if own else 'your easy pace'} {format_pace(easy, units)})"
        trigger = clean(self.trigger) or ""
        zones = f"{round(zone_share)}% of the time in top heart-rate zones" if zone_share is not None else None
        return join([effort, zones, None if zones and trigger == "hr_zones" else TRIGGERS.get(trigger)])
