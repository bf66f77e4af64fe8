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
