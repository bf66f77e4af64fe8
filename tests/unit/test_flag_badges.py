"""The feed's and the activity page's flag badge say a low-confidence flag in the note's own words."""

from __future__ import annotations

from types import SimpleNamespace

from syncd.domain.notes import UNCERTAIN
from syncd.entrypoints.web.app import _environment


def test_a_low_confidence_badge_reads_as_the_note_does() -> None:
    # the feed said "Worn shoes (possible: thin evidence)" beside the note's "Worn shoes (possible; thin evidence)"
    flag = SimpleNamespace(
        severity="caution", code="worn_shoes", title="Worn shoes", confidence="low", evidence_line="", evidence=()
    )
    html = _environment().from_string('{% from "_flags.html" import badges %}{{ badges(flags) }}').render(flags=[flag])
    assert UNCERTAIN.strip() == "(possible; thin evidence)"
    assert ">(possible; thin evidence)</span>" in html and "possible: thin" not in html
