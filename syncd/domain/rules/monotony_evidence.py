"""The monotony rule's evidence (rules/monotony.py writes it) and its note line; read by numpy-free surfaces."""

from __future__ import annotations

from dataclasses import dataclass

from syncd.domain.flags import EvidenceValue, Flag, FlagCode
from syncd.domain.rules.evidence_base import LOAD_UNITS, Labels, clean, nonneg, number, ratio_text, text
from syncd.domain.units import Units

CODE = FlagCode.MONOTONY


# The evidence table on the activity page: key -> (label, kind of quantity).
LABELS: Labels = {
    "monotony": ("Monotony", "ratio"),
    "week_load": ("Week's load", "load"),
    "mean_daily_load": ("Mean daily load", "load"),
    "sd_daily_load": ("Daily load spread (SD)", "load"),
    "load_unit": ("Load measured in", "text"),
}


@dataclass(frozen=True, slots=True)
class MonotonyEvidence:
    """Foster's monotony of the 7 days ending on this run (TRIMP), with the load behind it."""

    monotony: float | None = None  # mean / SD of the daily load
    strain: float | None = None  # week load x monotony
    week_load: float | None = None
    mean_daily_load: float | None = None
    sd_daily_load: float | None = None
    load_unit: str | None = None  # "trimp"
    days: float | None = None  # the window, 7 (an int)
    rest_days: float | None = None  # days of the window without load (an int)

    def to_evidence(self) -> dict[str, EvidenceValue]:
        return {
            "monotony": self.monotony,
            "strain": self.strain,
            "week_load": self.week_load,
            "mean_daily_load": self.mean_daily_load,
            "sd_daily_load": self.sd_daily_load,
            "load_unit": self.load_unit,
            "days": self.days,
            "rest_days": self.rest_days,
        }

    @classmethod
    def from_flag(cls, flag: Flag | None) -> MonotonyEvidence | None:
        """The evidence of a monotony flag (None for no flag or another code); missing keys read as None."""
        if flag is None or flag.code is not CODE:
            return None
        ev = flag.evidence
        return cls(
            monotony=number(ev, "monotony"),
            strain=number(ev, "strain"),
            week_load=number(ev, "week_load"),
            mean_daily_load=number(ev, "mean_daily_load"),
            sd_daily_load=number(ev, "sd_daily_load"),
            load_unit=text(ev, "load_unit"),
            days=number(ev, "days"),
            rest_days=number(ev, "rest_days"),
        )

    def note(self, units: Units) -> str:
        value = nonneg(self.monotony)
        if value is None:
            return ""
        load = nonneg(self.week_load)
        unit = LOAD_UNITS.get((clean(self.load_unit) or "").lower())
        amount = f", {round(load)} {unit}" if load is not None and unit is not None else ""
        rest = nonneg(self.rest_days)
        # "alike" misread a week of a long run, reps and hills as the same run daily: the figure is about rest and
        # the spread of daily load, so the note says that
        if rest is None:
            what = "little change in load from day to day over these 7 days"
        elif rest == 0:
            what = "no rest day in these 7 days, and little change in load from day to day"
        else:
            days = "1 rest day" if round(rest) == 1 else f"{round(rest)} rest days"
            what = f"only {days} in these 7 days, and little change in load on the others"
        return f"{what} (monotony {ratio_text(value)}{amount})"
