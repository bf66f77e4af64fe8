"""The no_warmup rule's evidence (rules/no_warmup.py writes it) and its note line; numpy-free, unlike the rule."""

from __future__ import annotations

from dataclasses import dataclass

from syncd.domain.flags import EvidenceValue, Flag, FlagCode
from syncd.domain.rules.evidence_base import Labels, clean, number, positive, signed, text
from syncd.domain.units import Units, format_distance, format_duration, format_pace

CODE = FlagCode.NO_WARMUP
HARD_START = "hard_start"


# The evidence table on the activity page: key -> (label, kind of quantity).
LABELS: Labels = {
    "first_pace_s_per_km": ("Opening pace", "pace"),
    "main_pace_s_per_km": ("Pace of the hard part", "pace"),
    "window_s": ("Opening window", "duration"),
    "window_m": ("Opening distance", "distance"),
    "opening_hr_bpm": ("Heart rate in the opening", "count"),
    "main_hr_bpm": ("Heart rate of the hard part", "count"),
    "hard_from_bpm": ("Hard zone from", "count"),
}


@dataclass(frozen=True, slots=True)
class NoWarmupEvidence:
    """The opening window against the hard part that followed.

    `kind`: "too_short", "not_easier", "hr_not_easier" or "hard_start". A hard start (heart rate hard from the
    opening on) has no pace-found hard part: no `main_pace_s_per_km`, grade or flat pace, and `hard_from_bpm`.
    The heart rates are written only for "hr_not_easier" and "hard_start".
    """

    kind: str | None = None
    first_pace_s_per_km: float | None = None  # None when the hard part started at once
    main_pace_s_per_km: float | None = None
    window_s: float | None = None  # moving seconds judged
    window_m: float | None = None  # metres judged
    opening_grade_pct: float | None = None  # average grade of the window; None when flat or unknown
    first_flat_pace_s_per_km: float | None = None  # the opening pace adjusted to the flat; None when not adjusted
    opening_hr_bpm: float | None = None
    main_hr_bpm: float | None = None
    hard_from_bpm: float | None = None

    def to_evidence(self) -> dict[str, EvidenceValue]:
        paced = self.kind != HARD_START
        evidence: dict[str, EvidenceValue] = {"kind": self.kind, "first_pace_s_per_km": self.first_pace_s_per_km}
        if paced:
            evidence["main_pace_s_per_km"] = self.main_pace_s_per_km
        evidence |= {"window_s": self.window_s, "window_m": self.window_m}
        if paced:
            evidence["opening_grade_pct"] = self.opening_grade_pct
            evidence["first_flat_pace_s_per_km"] = self.first_flat_pace_s_per_km
        for key, value in (
            ("opening_hr_bpm", self.opening_hr_bpm),
            ("main_hr_bpm", self.main_hr_bpm),
            ("hard_from_bpm", self.hard_from_bpm),
        ):
            if value is not None:
                evidence[key] = value
        return evidence

    @classmethod
    def from_flag(cls, flag: Flag | None) -> NoWarmupEvidence | None:
        """The evidence of a no_warmup flag (None for no flag or another code); missing keys read as None."""
        if flag is None or flag.code is not CODE:
            return None
        ev = flag.evidence
        return cls(
            kind=text(ev, "kind"),
            first_pace_s_per_km=number(ev, "first_pace_s_per_km"),
            main_pace_s_per_km=number(ev, "main_pace_s_per_km"),
            window_s=number(ev, "window_s"),
            window_m=number(ev, "window_m"),
            opening_grade_pct=number(ev, "opening_grade_pct"),
            first_flat_pace_s_per_km=number(ev, "first_flat_pace_s_per_km"),
            opening_hr_bpm=number(ev, "opening_hr_bpm"),
            main_hr_bpm=number(ev, "main_hr_bpm"),
            hard_from_bpm=number(ev, "hard_from_bpm"),
        )

    def note(self, units: Units) -> str:
        """What happened at the start, in the runner's words: "started at 4:10 /km, the pace of the rest of the
        run"."""
        kind = clean(self.kind)
        first, main = positive(self.first_pace_s_per_km), positive(self.main_pace_s_per_km)
        window_s = positive(self.window_s)
        if kind == HARD_START:
            return self._hard_start(window_s)
        if kind == "too_short" and main is not None:
            if window_s is None or window_s < 30:
                return f"the fast efforts ({format_pace(main, units)}) began from the first step"
            jog = f" at {format_pace(first, units)}" if first is not None else ""
            return f"only {format_duration(window_s)}{jog} before the first fast effort ({format_pace(main, units)})"
        if first is None:
            return f"hard from the start ({format_pace(main, units)})" if main is not None else ""
        opening_hr, main_hr = positive(self.opening_hr_bpm), positive(self.main_hr_bpm)
        if kind == "hr_not_easier" and opening_hr is not None and main_hr is not None:
            span = f"the first {format_duration(window_s)}" if window_s is not None else "the opening minutes"
            return (
                f"heart rate already {opening_hr:.0f} bpm in {span}, close to the {main_hr:.0f} bpm of the hard part"
                f" (the watch's pace, {format_pace(first, units)}, looked easier)"
            )
        return self._paced(first, main, window_s, units)

    def _paced(self, first: float, main: float | None, window_s: float | None, units: Units) -> str:
        window_m = positive(self.window_m)
        if window_s is not None:
            opening = f"first {format_duration(window_s)}"
        elif window_m is not None:
            opening = f"first {format_distance(window_m, units)}"
        else:
            opening = "start"
        grade, flat = signed(self.opening_grade_pct), positive(self.first_flat_pace_s_per_km)
        if grade is not None and grade > 0 and flat is not None:
            hill = f"{opening} at {format_pace(first, units)} up a {grade:.0f}% climb"
            then = f" (then {format_pace(main, units)})" if main is not None else ""
            return f"{hill}, as hard as {format_pace(flat, units)} on the flat{then}"
        if main is None:
            return f"{opening} at {format_pace(first, units)}, not clearly easier"
        if abs(first - main) <= 0.03 * main:
            return f"started at {format_pace(first, units)}, the pace of the rest of the run"
        return (
            f"{opening} at {format_pace(first, units)}, barely slower than the {format_pace(main, units)} that followed"
        )

    def _hard_start(self, window_s: float | None) -> str:
        """ "heart rate already 176 bpm in the first 10 min (hard from 173 bpm), and it stayed hard"."""
        opening_hr, hard_from = positive(self.opening_hr_bpm), positive(self.hard_from_bpm)
        span = f"the first {format_duration(window_s)}" if window_s is not None else "the opening minutes"
        if opening_hr is None or hard_from is None:
            return f"hard from {span}"
        return f"heart rate already {opening_hr:.0f} bpm in {span} (hard from {hard_from:.0f} bpm), and it stayed hard"
