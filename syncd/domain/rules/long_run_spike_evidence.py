"""The long_run_spike rule's evidence (rules/long_run_spike.py writes it), its note line, and `can_judge` (when
the rule can judge a run at all), which the flare-up analysis shares; numpy-free, unlike the rule."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from syncd.domain.flags import EvidenceValue, Flag, FlagCode
from syncd.domain.rules.evidence_base import Labels, clean, number, positive, text
from syncd.domain.units import Units, format_distance, format_duration

CODE = FlagCode.LONG_RUN_SPIKE


# The evidence table on the activity page: key -> (label, kind of quantity).
LABELS: Labels = {
    "basis": ("Compared by", "text"),
    "run_m": ("This run", "distance"),
    "run_s": ("This run", "duration"),
    "longest_m": ("Longest run of the previous 30 days", "distance"),
    "longest_s": ("Longest run of the previous 30 days", "duration"),
    "longer_pct": ("Longer by", "percent"),
    "band": ("Band, % longer (Frandsen et al. 2025)", "text"),
    "window_days": ("Days looked back", "count"),
    "next_m": ("Suggested next long run", "distance"),
    "next_s": ("Suggested next long run", "duration"),
}


@dataclass(frozen=True, slots=True)
class LongRunSpikeEvidence:
    """This run against the longest run of the window, by distance (`*_m`) or, without one, by time (`*_s`)."""

    basis: str | None = None  # "distance" or "time"
    run_m: float | None = None
    run_s: float | None = None
    longest_m: float | None = None
    longest_s: float | None = None
    longer_pct: float | None = None
    band: str | None = None  # "10-30", "30-100" or ">100" (the study's bands)
    window_days: float | None = None  # 30 (an int)
    next_m: float | None = None  # a next long run: the window's longest plus long_run_spike_pct
    next_s: float | None = None

    @property
    def by_time(self) -> bool:
        return clean(self.basis) == "time"

    def to_evidence(self) -> dict[str, EvidenceValue]:
        """The keys of the basis (`run_m` or `run_s`, ...) always, as the rule writes them; the other unit's only
        when known."""
        unit, other = ("s", "m") if self.basis == "time" else ("m", "s")
        lengths = {
            "run": {"m": self.run_m, "s": self.run_s},
            "longest": {"m": self.longest_m, "s": self.longest_s},
            "next": {"m": self.next_m, "s": self.next_s},
        }
        evidence: dict[str, EvidenceValue] = {
            "basis": self.basis,
            f"run_{unit}": lengths["run"][unit],
            f"longest_{unit}": lengths["longest"][unit],
            "longer_pct": self.longer_pct,
            "band": self.band,
            "window_days": self.window_days,
            f"next_{unit}": lengths["next"][unit],
        }
        for key, by_unit in lengths.items():
            if (value := by_unit[other]) is not None:
                evidence[f"{key}_{other}"] = value
        return evidence

    @classmethod
    def from_flag(cls, flag: Flag | None) -> LongRunSpikeEvidence | None:
        """The evidence of a long_run_spike flag (None for no flag or another code); missing keys read as None."""
        if flag is None or flag.code is not CODE:
            return None
        ev = flag.evidence
        return cls(
            basis=text(ev, "basis"),
            run_m=number(ev, "run_m"),
            run_s=number(ev, "run_s"),
            longest_m=number(ev, "longest_m"),
            longest_s=number(ev, "longest_s"),
            longer_pct=number(ev, "longer_pct"),
            band=text(ev, "band"),
            window_days=number(ev, "window_days"),
            next_m=number(ev, "next_m"),
            next_s=number(ev, "next_s"),
        )

    def note(self, units: Units) -> str:
        """ "21.0 km, 68% longer than your longest run of the previous 30 days (12.5 km); next long run about
        13.8 km"."""
        pct, days = positive(self.longer_pct), positive(self.window_days)
        window = f"the previous {round(days)} days" if days is not None else "the previous month"
        by_time = self.by_time
        run, longest, nxt = (
            (positive(self.run_s), positive(self.longest_s), positive(self.next_s))
            if by_time
            else (positive(self.run_m), positive(self.longest_m), positive(self.next_m))
        )

        def show(value: float) -> str:
            return format_duration(value) if by_time else format_distance(value, units)

        if pct is None:
            return ""
        head = f"{show(run)}, " if run is not None else ""
        ref = f" ({show(longest)})" if longest is not None else ""
        line = f"{head}{round(pct)}% longer than your longest run of {window}{ref}"
        return f"{line}; next long run about {show(nxt)}" if nxt is not None else line


def can_judge(start: datetime, earliest: datetime, last_run_before: datetime | None, window: timedelta) -> bool:
    """Whether a run starting at `start` has a "longest run of the previous window" to be judged against: the
    recording began at least `window` before it (`earliest`: the athlete's earliest activity) and a run fell inside
    the window. The flare-up analysis asks the same to tell "not a spike" from "could not judge"."""
    first = start - window
    return earliest <= first and last_run_before is not None and first <= last_run_before < start
