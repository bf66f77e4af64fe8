"""Each rule's VERSION, in the engine's order, and the rules version they make: the one place a rule's version is
bumped (each rule module reads its own from here).

Bump a rule's number whenever its logic changes; the rules version stored with each annotation combines these with
the thresholds, so `syncd reannotate` re-runs only what changed. Kept apart from the rule modules so a command that
only shows the rules version (`syncd status`) imports neither the rule engine nor numpy (issue 32).
"""

from __future__ import annotations

import functools
import hashlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from syncd.domain.thresholds import Thresholds

RULE_VERSIONS: dict[str, int] = {
    "hard_surface": 3,
    "downhill": 4,
    "speed_work": 4,
    "no_warmup": 3,
    "worn_shoes": 3,  # 3: a nearly worn shoe says "nearly due", not "replace them" (redo those notes)
    "load_spike": 2,
    "monotony": 2,
    "low_cross_training": 2,
    "low_strength": 2,
}
DATA_GAPS_VERSION = 1


def rules_version(thresholds: Thresholds) -> str:
    """`<code digest>-<thresholds digest>`: changes when any rule's version or any threshold changes."""
    code = ",".join(f"{name}={version}" for name, version in RULE_VERSIONS.items())
    code += f",data_gaps={DATA_GAPS_VERSION}"
    return f"{hashlib.sha256(code.encode()).hexdigest()[:8]}-{_fingerprint(thresholds)}"


@functools.lru_cache(maxsize=64)
def _fingerprint(thresholds: Thresholds) -> str:
    """Thresholds are frozen: their digest (JSON + SHA-256, ~30 µs) is computed once per distinct set."""
    return thresholds.fingerprint()
