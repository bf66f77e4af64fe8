"""The low_cross_training rule's evidence and note line: the weekly sessions shape of low_strength_evidence."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from syncd.domain.flags import FlagCode
from syncd.domain.rules.low_strength_evidence import LABELS, WeeklySessionsEvidence

__all__ = ["LABELS", "CrossTrainingEvidence"]  # the weekly evidence table, shared with low_strength


@dataclass(frozen=True, slots=True)
class CrossTrainingEvidence(WeeklySessionsEvidence):
    CODE: ClassVar[FlagCode] = FlagCode.LOW_CROSS_TRAINING
    KIND: ClassVar[str] = "low-impact"
