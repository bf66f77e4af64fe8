"""The notes on the demo and the real fixtures are byte for byte those in tests/golden_notes.json.

A refactor keeps them; an intended change to the notes regenerates the file (`python -m tests.golden --update`) and
its diff is reviewed with the change.
"""

from __future__ import annotations

import json

from tests.golden import GOLDEN, build, render, rules_shown


def test_notes_match_the_golden_file() -> None:
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))
    actual = json.loads(render(build()))
    for part in ("files", "demo", "twins"):
        assert actual[part] == expected[part], (
            f"{part}: notes changed; if intended, run `python -m tests.golden --update`"
        )


def test_the_demo_shows_every_rule_a_newcomer_should_see() -> None:
    """Issue 28: the demo shows each rule at least once (a downhill, a missed warm-up, a long-run spike, a surface
    from the bundled OSM extract, ...), load_spike too: it is only a return after a two-week break, so the demo's
    five weeks follow a lighter block and 16 days without a run (syncd.testing.seed.seed_before_break), and their
    first week back comes back too big. Its line names the break; the first run back alone stays clean."""
    from syncd.domain.flags import FlagCode
    from syncd.domain.notes import TITLES
    from syncd.testing.seed import BREAK_DAYS

    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))
    stored = expected["demo"]["stored"]
    notes = "\n".join(note or "" for note in stored.values())
    assert rules_shown(stored) == set(FlagCode)
    spike = f" {TITLES[FlagCode.LOAD_SPIKE]}: back after {BREAK_DAYS} days without running: "
    lines = [line for line in notes.splitlines() if spike in line]
    assert lines, f"no load_spike line names the {BREAK_DAYS}-day break"
    assert all("a week before the break" in line for line in lines)
    # the five weeks' first run (the simulator's first id: seed_demo adds the earlier block after them), 24 min alone
    assert spike not in stored["strava:10000000001"]
    assert len(lines) < sum(1 for note in stored.values() if note), "load_spike on every run is no signal"
