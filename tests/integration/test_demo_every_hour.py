"""`syncd demo` shows every rule whatever the hour and weekday it is run (issue 28).

The demo seeds its weeks back from the real clock (`syncd demo` runs now), so the golden file's one fixed clock
(tests/golden.py, NOW) is not enough: monotony once showed only when the demo ran at some hours of the day, as the
synthetic weeks' days moved with the hour. Here the demo is built as the golden file builds it (its seed, map and
maximum heart rate, synced and annotated) with the clock moved on every 7 hours over one week: every hour of the
day once and every weekday. Each run of the demo shows every rule, and its one monotonous week one monotony line.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from syncd.domain.flags import FlagCode
from syncd.domain.notes import TITLES
from tests.golden import NOW, demo_notes, rules_shown

pytestmark = pytest.mark.slow  # a demo sync per shift (~2 s each)

SHIFTS_H = range(0, 7 * 24, 7)  # 24 shifts: each hour of the day once, each weekday three or four times


@pytest.mark.parametrize("shift_h", SHIFTS_H, ids=lambda h: (NOW + timedelta(hours=h)).strftime("%a%H"))
def test_the_demo_shows_every_rule_at_any_hour(tmp_path: Path, shift_h: int) -> None:
    stored = demo_notes(tmp_path, NOW + timedelta(hours=shift_h))["stored"]
    assert rules_shown(stored) == set(FlagCode), f"missing {sorted(set(FlagCode) - rules_shown(stored))}"
    monotony = [key for key, note in stored.items() if f" {TITLES[FlagCode.MONOTONY]}:" in (note or "")]
    assert len(monotony) == 1, f"one monotonous week, one monotony line: {monotony}"
