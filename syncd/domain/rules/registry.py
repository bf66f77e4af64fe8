"""One registry from a flag code to its rule's typed evidence: the notes, the feed and the pages read a flag's
finding through it, so a rule's evidence keys and its wording live in one module (`<rule>_evidence.py`).

Numpy-free on purpose (see the package docstring): it imports only the evidence modules, never the rules.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from syncd.domain.flags import Flag, FlagCode
from syncd.domain.rules import (
    downhill_evidence,
    hard_surface_evidence,
    load_spike_evidence,
    long_run_spike_evidence,
    low_cross_training_evidence,
    low_strength_evidence,
    monotony_evidence,
    no_warmup_evidence,
    speed_work_evidence,
    worn_shoes_evidence,
)
from syncd.domain.rules.evidence_base import Labels, RuleEvidence
from syncd.domain.units import Units

Reader = Callable[[Flag | None], RuleEvidence | None]

READERS: Mapping[FlagCode, Reader] = {
    FlagCode.HARD_SURFACE: hard_surface_evidence.HardSurfaceEvidence.from_flag,
    FlagCode.DOWNHILL: downhill_evidence.DownhillEvidence.from_flag,
    FlagCode.SPEED_WORK: speed_work_evidence.SpeedWorkEvidence.from_flag,
    FlagCode.NO_WARMUP: no_warmup_evidence.NoWarmupEvidence.from_flag,
    FlagCode.WORN_SHOES: worn_shoes_evidence.WornShoesEvidence.from_flag,
    FlagCode.LOAD_SPIKE: load_spike_evidence.LoadSpikeEvidence.from_flag,
    FlagCode.MONOTONY: monotony_evidence.MonotonyEvidence.from_flag,
    FlagCode.LOW_CROSS_TRAINING: low_cross_training_evidence.CrossTrainingEvidence.from_flag,
    FlagCode.LOW_STRENGTH: low_strength_evidence.StrengthEvidence.from_flag,
    FlagCode.LONG_RUN_SPIKE: long_run_spike_evidence.LongRunSpikeEvidence.from_flag,
}

# Each rule's evidence table (key -> label, kind), for the activity page's evidence list.
LABELS: Mapping[FlagCode, Labels] = {
    FlagCode.HARD_SURFACE: hard_surface_evidence.LABELS,
    FlagCode.DOWNHILL: downhill_evidence.LABELS,
    FlagCode.SPEED_WORK: speed_work_evidence.LABELS,
    FlagCode.NO_WARMUP: no_warmup_evidence.LABELS,
    FlagCode.WORN_SHOES: worn_shoes_evidence.LABELS,
    FlagCode.LOAD_SPIKE: load_spike_evidence.LABELS,
    FlagCode.MONOTONY: monotony_evidence.LABELS,
    FlagCode.LOW_CROSS_TRAINING: low_cross_training_evidence.LABELS,
    FlagCode.LOW_STRENGTH: low_strength_evidence.LABELS,
    FlagCode.LONG_RUN_SPIKE: long_run_spike_evidence.LABELS,
}


def read_evidence(flag: Flag) -> RuleEvidence | None:
    """The flag's typed evidence, or None for a code without a registered reader."""
    reader = READERS.get(flag.code)
    return reader(flag) if reader is not None else None


def finding(flag: Flag, units: Units) -> str:
    """The flag's finding as its note shows it; "" when no number is known (or, never in practice, no reader)."""
    evidence = read_evidence(flag)
    return evidence.note(units) if evidence is not None else ""
