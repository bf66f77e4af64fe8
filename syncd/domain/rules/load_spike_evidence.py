"""The load_spike rule's evidence (rules/load_spike.py writes it) and its note line; read by numpy-free surfaces.

The rule now flags only a too-big return after a break. Flags stored before issue 28 carry the acute:chronic
ratio instead (`acwr`, `chronic_load`, `method`, no `finding`): still read and rendered, never written now.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from syncd.domain.flags import EvidenceValue, Flag, FlagCode
from syncd.domain.rules.evidence_base import LOAD_UNITS, Labels, clean, nonneg, number, ratio_text, text
from syncd.domain.units import Units

CODE = FlagCode.LOAD_SPIKE
RETURN_AFTER_BREAK = "return_after_break"


# The evidence table on the activity page: key -> (label, kind of quantity).
LABELS: Labels = {
    "method": ("Method", "text"),
    "acute_load": ("Last 7 days", "load"),
    "chronic_load": ("Weekly average before", "load"),
    "acwr": ("Acute:chronic ratio", "ratio"),
    "load_unit": ("Load measured in", "text"),
}


@dataclass(frozen=True, slots=True)
class LoadSpikeEvidence:
    """The week back after a break against the usual week before it (running minutes)."""

    # read from flags stored before issue 28 (the acute:chronic ratio), never written now
    LEGACY_KEYS: ClassVar[frozenset[str]] = frozenset({"acwr", "chronic_load", "method"})

    finding: str | None = None  # "return_after_break"; None on a legacy ACWR flag
    break_days: float | None = None  # days without a run before this week's first run (an int)
    acute_load: float | None = None  # running minutes in the 7 days ending on this run's date
    before_break_load: float | None = None  # mean weekly running minutes before the break (covered weeks only)
    load_unit: str | None = None  # "min" ("trimp" on some legacy flags)
    acwr: float | None = None  # legacy
    chronic_load: float | None = None  # legacy
    method: str | None = None  # legacy: "ewma" or "rolling"

    def to_evidence(self) -> dict[str, EvidenceValue]:
        current = self.finding == RETURN_AFTER_BREAK
        fields: tuple[tuple[str, EvidenceValue, bool], ...] = (
            ("finding", self.finding, current),
            ("break_days", self.break_days, current),
            ("acute_load", self.acute_load, current),
            ("before_break_load", self.before_break_load, current),
            ("load_unit", self.load_unit, current),
            ("acwr", self.acwr, False),
            ("chronic_load", self.chronic_load, False),
            ("method", self.method, False),
        )
        return {key: value for key, value, always in fields if always or value is not None}

    @classmethod
    def from_flag(cls, flag: Flag | None) -> LoadSpikeEvidence | None:
        """The evidence of a load_spike flag (None for no flag or another code); missing keys read as None."""
        if flag is None or flag.code is not CODE:
            return None
        ev = flag.evidence
        return cls(
            finding=text(ev, "finding"),
            break_days=number(ev, "break_days"),
            acute_load=number(ev, "acute_load"),
            before_break_load=number(ev, "before_break_load"),
            load_unit=text(ev, "load_unit"),
            acwr=number(ev, "acwr"),
            chronic_load=number(ev, "chronic_load"),
            method=text(ev, "method"),
        )

    def note(self, units: Units) -> str:
        if clean(self.finding) == RETURN_AFTER_BREAK:
            days, now, before = nonneg(self.break_days), nonneg(self.acute_load), nonneg(self.before_break_load)
            after = f"back after {round(days)} days without running" if days is not None else "back after a break"
            if now is None or before is None:
                return after
            return f"{after}: {round(now)} min in 7 days vs {round(before)} min a week before the break"
        acwr, acute, chronic = nonneg(self.acwr), nonneg(self.acute_load), nonneg(self.chronic_load)
        unit = LOAD_UNITS.get((clean(self.load_unit) or "").lower())
        method = clean(self.method)
        label = "EWMA " if method is not None and method.lower() == "ewma" else ""
        loads = ""
        if acute is not None and chronic is not None and unit is not None:
            loads = f"{round(acute)} {unit} in 7 days vs {round(chronic)}/week before"
        if acwr is None:
            return loads
        ratio = f"acute:chronic {label}{ratio_text(acwr)}"
        return f"{ratio} ({loads}; aim 0.8\u20131.3)" if loads else f"{ratio} (aim 0.8\u20131.3)"
