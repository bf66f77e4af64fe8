"""`syncd status` shows the annotation version without loading the rules: it must be the policy's own."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from syncd.config import AdviceSettings, AthleteSettings, Settings
from syncd.domain.thresholds import Thresholds
from syncd.entrypoints.wiring import annotation_policy, annotation_version

BASE = Settings(state_dir=Path("/nonexistent"), config_path=None)


@pytest.mark.parametrize(
    "settings",
    [
        BASE,
        replace(BASE, notes=replace(BASE.notes, units="imperial", when_clean="silent")),
        replace(BASE, rules=Thresholds(acwr_caution=1.25)),
        replace(BASE, advice=AdviceSettings(mode="sore")),
        replace(BASE, athlete=AthleteSettings(max_heart_rate=188)),
    ],
)
def test_status_version_equals_the_policy_version(settings: Settings) -> None:
    assert annotation_version(settings) == annotation_policy(settings).version
