"""The version stored with each annotation: the rules version, the note's units and wording choices, the advice.

Apart from AnnotationPolicy (services/annotating.py, which loads the rule engine and numpy) so `syncd status`
can show it for the price of a hash (issue 32).
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from syncd.domain.mode_notes import VERSION as MODE_NOTES_VERSION
from syncd.domain.rule_versions import rules_version

if TYPE_CHECKING:
    from syncd.config import AdviceSettings
    from syncd.domain.thresholds import Thresholds


def annotation_version(
    thresholds: Thresholds,
    units: str,
    when_clean: str,
    advice: AdviceSettings,
    max_heart_rate: float | None,
    *,
    resting_heart_rate: float | None = None,
    threshold_heart_rate: float | None = None,
) -> str:
    """A change here is what makes `reannotate` redo an activity."""
    # the advice settings and the heart rates as 3 hex digits: the stored version is at most 40 characters
    # (imperial + spelled-out heart rates + the advice would not fit)
    hr = ":".join(f"{value:g}" if value else "" for value in (max_heart_rate, resting_heart_rate, threshold_heart_rate))
    advice_text = f"{advice.mode}:{advice.threshold}:{advice.window_days}:{MODE_NOTES_VERSION}:{hr}"
    digest = hashlib.sha256(advice_text.encode()).hexdigest()[:3]
    return f"{rules_version(thresholds)}-{units}-{when_clean}-{digest}"
