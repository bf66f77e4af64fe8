"""The notes on the demo and the real fixtures are byte for byte those in tests/golden_notes.json.

A refactor keeps them; an intended change to the notes regenerates the file (`python -m tests.golden --update`) and
its diff is reviewed with the change.
"""

from __future__ import annotations

import json

from tests.golden import GOLDEN, build, render


def test_notes_match_the_golden_file() -> None:
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))
    actual = json.loads(render(build()))
    for part in ("files", "demo", "twins"):
        assert actual[part] == expected[part], (
            f"{part}: notes changed; if intended, run `python -m tests.golden --update`"
        )


def test_the_demo_shows_every_rule_a_newcomer_should_see() -> None:
    """Issue 28: the demo shows each rule at least once (a downhill, a missed warm-up, a long-run spike, a surface
    from the bundled OSM extract, ...). Only load_spike is absent: it is now only a return after a two-week break,
    which the demo's five continuous weeks do not hold."""
    from syncd.domain.flags import FlagCode
    from syncd.domain.notes import TITLES

    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))
    notes = "\n".join(note or "" for note in expected["demo"]["stored"].values())
    shown = {code for code, title in TITLES.items() if f" {title}:" in notes or f" {title} (" in notes}
    assert shown == set(FlagCode) - {FlagCode.LOAD_SPIKE}
