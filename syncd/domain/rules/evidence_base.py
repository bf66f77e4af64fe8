"""What every rule's typed evidence shares: tolerant reading of a stored evidence mapping, and the note helpers.

A rule stores its evidence as a plain mapping (annotations in the store, `syncd annotate --json`); its sibling
`<rule>_evidence.py` reads that mapping back into a frozen dataclass with `from_flag`. Stored evidence may come
from an older version of the rule, so reading is tolerant: a missing, non-numeric or non-finite value reads as
None (the note leaves that number out; it never crashes and never prints "None"). Numbers keep their stored type
(an int stays an int) so `to_evidence()` of what was read gives back the same mapping.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Literal, Protocol

from syncd.domain.flags import EvidenceValue
from syncd.domain.units import Units

Evidence = Mapping[str, EvidenceValue]

# The kind of quantity of an evidence value, so a page formats it in the athlete's units (syncd.domain.evidence).
Kind = Literal[
    "distance", "elevation", "climb_rate", "pace", "duration", "percent", "grade", "ratio", "count", "load", "text"
]
# A rule's evidence keys as people read them: key -> (label, kind). Labels are short: they sit in a two-column
# table on a phone. Each `<rule>_evidence.py` owns its table (LABELS); a key missing from it is inferred.
Labels = Mapping[str, tuple[str, Kind]]


class RuleEvidence(Protocol):
    """A rule's typed evidence: the stored mapping it came from, and the finding of its note line."""

    def to_evidence(self) -> dict[str, EvidenceValue]: ...

    def note(self, units: Units) -> str: ...


def number(evidence: Evidence, key: str) -> float | None:
    """A finite number as stored (int or float), or None (missing, text, bool, NaN, inf)."""
    value = evidence.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value if math.isfinite(value) else None


def text(evidence: Evidence, key: str) -> str | None:
    """A text value as stored, or None when it is not text."""
    value = evidence.get(key)
    return value if isinstance(value, str) else None


def clean(value: str | None) -> str | None:
    """Text as a note shows it: whitespace collapsed, None when empty."""
    if value is None:
        return None
    cleaned = " ".join(value.split())
    return cleaned or None


def nonneg(value: float | None) -> float | None:
    """A non-negative number (distances, counts); descents may be signed, so callers pass abs() values."""
    return float(value) if value is not None and value >= 0 else None


def positive(value: float | None) -> float | None:
    return float(value) if value is not None and value > 0 else None


def signed(value: float | None) -> float | None:
    return float(value) if value is not None else None


def count_text(value: float) -> str:
    """Counts are whole numbers; a ratio-like count such as 2.5 keeps one decimal."""
    return str(round(value)) if value == round(value) else f"{value:.1f}"


def with_article(phrase: str) -> str:
    """ "a 12 min effort", "an 18 min effort", "an 800 m effort": the article a figure takes when read aloud (8,
    11, 18, 80-89, 800-899, ... start with a vowel sound)."""
    lead = phrase[: len(phrase) - len(phrase.lstrip("0123456789"))]
    spoken_vowel = lead.startswith("8") or (len(lead) in (2, 5) and lead[:2] in ("11", "18"))
    return f"{'an' if spoken_vowel else 'a'} {phrase}"


def ratio_text(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".") if value < 10 else f"{value:.1f}"


def join(parts: Sequence[str | None]) -> str:
    return ", ".join(part for part in parts if part)


# Load units in words, as the notes and the evidence table show them.
LOAD_UNITS: Mapping[str, str] = {"min": "min", "trimp": "TRIMP"}
