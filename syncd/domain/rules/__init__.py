"""The rule set: each rule module holds one rule with `evaluate(ctx) -> Flag | None` and an integer `VERSION`;
its sibling `<rule>_evidence.py` holds the rule's typed evidence and the note line it renders.

The package itself imports nothing heavy: the evidence modules are read by numpy-free surfaces (`syncd status`,
`pain --list`, `athlete show`), while the rules and the engine (`engine.py`, numpy) load on first use of
`evaluate`, `RULE_MODULES`, `Annotation`, `RuleContext` or `rules_version` from here.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from syncd.domain.rule_versions import rules_version
    from syncd.domain.rules.context import RuleContext
    from syncd.domain.rules.engine import RULE_MODULES, Annotation, evaluate

__all__ = ["RULE_MODULES", "Annotation", "RuleContext", "evaluate", "rules_version"]

_LAZY = {
    "RULE_MODULES": "syncd.domain.rules.engine",
    "Annotation": "syncd.domain.rules.engine",
    "evaluate": "syncd.domain.rules.engine",
    "RuleContext": "syncd.domain.rules.context",
    "rules_version": "syncd.domain.rule_versions",
}


def __getattr__(name: str) -> Any:
    """PEP 562: the engine's names load the engine (and numpy) only when asked for."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
