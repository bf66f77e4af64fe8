"""One registry from a flag code to its rule's typed evidence: the notes, the feed and the pages read a flag's
finding through it, so a rule's evidence keys and its wording live in one module (`<rule>_evidence.py`).

Numpy-free on purpose (see the package docstring): it imports only the evidence modules, never the rules.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from syncd.domain.flags import Flag, FlagCode
from syncd.domain.rules.downhill_evidence import DownhillEvidence
from syncd.domain.rules.evidence_base import RuleEvidence
from syncd.domain.rules.hard_surface_evidence import HardSurfaceEvidence
from syncd.domain.rules.load_spike_evidence import LoadSpikeEvidence
from syncd.domain.rules.long_run_spike_evidence import LongRunSpikeEvidence
from syncd.domain.rules.low_cross_training_evidence import CrossTrainingEvidence
from syncd.domain.rules.low_strength_evidence import StrengthEvidence
from syncd.domain.rules.monotony_evidence import MonotonyEvidence
from syncd.domain.rules.no_warmup_evidence import NoWarmupEvidence
from syncd.domain.rules.speed_work_evidence import SpeedWorkEvidence
from syncd.domain.rules.worn_shoes_evidence import WornShoesEvidence
from syncd.domain.units import Units

Reader = Callable[[Flag | None], RuleEvidence | None]

READERS: Mapping[FlagCode, Reader] = {
    FlagCode.HARD_SURFACE: HardSurfaceEvidence.from_flag,
    FlagCode.DOWNHILL: DownhillEvidence.from_flag,
    FlagCode.SPEED_WORK: SpeedWorkEvidence.from_flag,
    FlagCode.NO_WARMUP: NoWarmupEvidence.from_flag,
    FlagCode.WORN_SHOES: WornShoesEvidence.from_flag,
    FlagCode.LOAD_SPIKE: LoadSpikeEvidence.from_flag,
    FlagCode.MONOTONY: MonotonyEvidence.from_flag,
    FlagCode.LOW_CROSS_TRAINING: CrossTrainingEvidence.from_flag,
    FlagCode.LOW_STRENGTH: StrengthEvidence.from_flag,
    FlagCode.LONG_RUN_SPIKE: LongRunSpikeEvidence.from_flag,
}


def read_evidence(flag: Flag) -> RuleEvidence | None:
    """The flag's typed evidence, or None for a code without a registered reader."""
    reader = READERS.get(flag.code)
    return reader(flag) if reader is not None else None


def finding(flag: Flag, units: Units) -> str:
    """The flag's finding as its note shows it; "" when no number is known (or, never in practice, no reader)."""
    evidence = read_evidence(flag)
    return evidence.note(units) if evidence is not None else ""
