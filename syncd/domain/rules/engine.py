"""The rule engine: runs every rule module (`evaluate(ctx) -> Flag | None`, an integer `VERSION`) in order.

A module's VERSION is bumped in syncd/domain/rule_versions.py whenever its logic changes; the rules version stored
with each annotation combines those with the thresholds, so `syncd reannotate` re-runs only what changed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

from syncd.domain.flags import Flag
from syncd.domain.rule_versions import rules_version
from syncd.domain.rules import (
    downhill,
    hard_surface,
    load_spike,
    long_run_spike,
    low_cross_training,
    low_strength,
    monotony,
    no_warmup,
    speed_work,
    worn_shoes,
)
from syncd.domain.rules.context import RuleContext
from syncd.domain.rules.data_gaps import data_gaps

RULE_MODULES: tuple[ModuleType, ...] = (
    hard_surface,
    downhill,
    speed_work,
    no_warmup,
    worn_shoes,
    long_run_spike,
    load_spike,
    monotony,
    low_cross_training,
    low_strength,
)


@dataclass(frozen=True, slots=True)
class Annotation:
    """The flags, and what the recording was too thin to judge (`data_gaps`, phrases for the note)."""

    flags: tuple[Flag, ...]
    rules_version: str
    data_gaps: tuple[str, ...] = ()


def evaluate(ctx: RuleContext) -> Annotation:
    """Run every rule; a rule that lacks the data it needs returns None and is simply absent."""
    flags: list[Flag] = []
    for module in RULE_MODULES:
        rule: Callable[[RuleContext], Flag | None] = module.evaluate
        flag = rule(ctx)
        if flag is not None:
            flags.append(flag)
    gaps = data_gaps(ctx, {flag.code for flag in flags})
    return Annotation(flags=tuple(flags), rules_version=rules_version(ctx.thresholds), data_gaps=gaps)
