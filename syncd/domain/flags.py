"""Flags: what a rule found, how sure it is, the numbers behind it and what to do instead.

Codes, severities and confidences are a public contract (DESIGN.md; `syncd annotate --json`): never rename them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

EvidenceValue = float | int | str | bool | None


class FlagCode(StrEnum):
    HARD_SURFACE = "hard_surface"
    DOWNHILL = "downhill"
    SPEED_WORK = "speed_work"
    NO_WARMUP = "no_warmup"
    WORN_SHOES = "worn_shoes"
    LOAD_SPIKE = "load_spike"
    MONOTONY = "monotony"
    LOW_CROSS_TRAINING = "low_cross_training"
    LOW_STRENGTH = "low_strength"
    LONG_RUN_SPIKE = "long_run_spike"


class Severity(StrEnum):
    INFO = "info"
    CAUTION = "caution"
    HIGH = "high"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {Severity.INFO: 0, Severity.CAUTION: 1, Severity.HIGH: 2}


class Confidence(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


@dataclass(frozen=True, slots=True)
class Flag:
    """One finding. `evidence` holds SI numbers (metres, seconds, m/s, ratios) so notes can render any unit system."""

    code: FlagCode
    severity: Severity
    confidence: Confidence
    evidence: Mapping[str, EvidenceValue] = field(default_factory=dict)
    advice: str = ""

    def to_json(self) -> dict[str, object]:
        return {
            "code": self.code.value,
            "severity": self.severity.value,
            "confidence": self.confidence.value,
            "evidence": dict(self.evidence),
            "advice": self.advice,
        }
