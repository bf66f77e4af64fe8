"""The weekly rules' evidence (rules/low_strength.py `weekly_shortfall` writes it for low_strength and
low_cross_training) and their note line; read by numpy-free surfaces (the digest places a weekly finding by its
`week`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Self

from syncd.domain.flags import EvidenceValue, Flag, FlagCode
from syncd.domain.rules.evidence_base import Labels, count_text, nonneg, number, positive, text
from syncd.domain.units import Units

# The evidence table on the activity page: key -> (label, kind of quantity).
LABELS: Labels = {
    "sessions": ("Sessions this week", "count"),
    "target": ("Weekly target", "count"),
    "week": ("Week", "text"),
    "sports_seen": ("Sessions seen", "text"),
}


@dataclass(frozen=True, slots=True)
class WeeklySessionsEvidence:
    """Last calendar week's sessions of one kind against the weekly target; a subclass per rule names the kind."""

    CODE: ClassVar[FlagCode]
    KIND: ClassVar[str]  # the sessions in words, "core/strength"

    sessions: float | None = None  # sessions in the week (an int)
    target: float | None = None  # the weekly target (an int)
    week: str | None = None  # ISO week, e.g. "2026-W47": the week counted, not the week of the run carrying it
    sports_seen: str | None = None  # comma-separated sorted sports of those sessions ("" when none)

    def to_evidence(self) -> dict[str, EvidenceValue]:
        return {"sessions": self.sessions, "target": self.target, "week": self.week, "sports_seen": self.sports_seen}

    @classmethod
    def from_flag(cls, flag: Flag | None) -> Self | None:
        """The evidence of this rule's flag (None for no flag or another code); missing keys read as None."""
        if flag is None or flag.code is not cls.CODE:
            return None
        ev = flag.evidence
        return cls(
            sessions=number(ev, "sessions"),
            target=number(ev, "target"),
            week=text(ev, "week"),
            sports_seen=text(ev, "sports_seen"),
        )

    def note(self, units: Units) -> str:
        sessions, target = nonneg(self.sessions), positive(self.target)
        kind = self.KIND
        when = "last week"  # the flag is shown on the first run of the following week; no ISO week codes
        if sessions is not None and target is not None:
            return f"{count_text(sessions)} of {count_text(target)} {kind} sessions {when}"
        if sessions is not None:
            return f"{count_text(sessions)} {kind} sessions {when}"
        if target is not None:
            return f"fewer than {count_text(target)} {kind} sessions {when}"
        return ""


@dataclass(frozen=True, slots=True)
class StrengthEvidence(WeeklySessionsEvidence):
    CODE: ClassVar[FlagCode] = FlagCode.LOW_STRENGTH
    KIND: ClassVar[str] = "core/strength"
