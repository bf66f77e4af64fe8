"""Description merge: the athlete's text is never changed, our block is found again after platform normalisation."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from syncd.domain.description import (
    END_MARKER,
    START_MARKER,
    MergeResult,
    extract_athlete_text,
    find_block,
    merge_description,
)
from syncd.domain.flags import Confidence, Flag, FlagCode, Severity
from syncd.domain.notes import CLOSING_LINE, SEVERITY_MARKS, render_note

# ---- helpers written independently of the module under test -------------------------------------------------------

_MARKER_CANON = {" ".join(m.split()).casefold() for m in (START_MARKER, END_MARKER)}


def has_marker_line(text: str) -> bool:
    lines = re.split(r"\r\n|\r|\n", unicodedata.normalize("NFC", text))
    return any(" ".join(line.split()).casefold() in _MARKER_CANON for line in lines)


def platform_normalise(text: str) -> str:
    """What Strava/Garmin may do to a stored description (the parser must survive all of it)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = "\n".join(line.rstrip(" \t") for line in text.split("\n"))
    text = re.sub(r"\n{3,}", "\n\n", text)
    return unicodedata.normalize("NFC", text.strip(" \t\n"))


NOTE = "\u26a0 Load spike: acute:chronic 1.62. Keep the next days easy.\n" + CLOSING_LINE
OTHER_NOTE = "\u25b2 Hard surface: 8.2 km (81%) on road or pavement. Try grass.\n" + CLOSING_LINE


def block_of(note: str) -> str:
    return f"{START_MARKER}\n{note}\n{END_MARKER}"


# ---- examples -----------------------------------------------------------------------------------------------------


def test_first_write_appends_after_one_blank_line_keeping_athlete_bytes() -> None:
    athlete = "  Tempo by the river \r\nlegs ok  "
    result = merge_description(athlete, NOTE)
    assert result == MergeResult(athlete + "\n\n" + block_of(NOTE), "inserted", False)
    assert merge_description(None, NOTE).text == block_of(NOTE)
    assert merge_description("", NOTE).status == "inserted"


def test_reannotation_replaces_in_place_and_keeps_text_after_the_block() -> None:
    before = "Morning run\n\n" + block_of(NOTE) + "\n\nPS: new PB on the hill!"
    result = merge_description(before, OTHER_NOTE, previously_written=True)
    assert result.status == "replaced"
    assert result.text == "Morning run\n\n" + block_of(OTHER_NOTE) + "\n\nPS: new PB on the hill!"
    assert merge_description(result.text, OTHER_NOTE, previously_written=True).status == "unchanged"


def test_duplicate_blocks_collapse_into_the_first_position() -> None:
    before = "A\n\n" + block_of(NOTE) + "\nB in the middle\n\n" + block_of(OTHER_NOTE) + "\nC"
    result = merge_description(before, OTHER_NOTE)
    assert result.status == "replaced"
    assert result.text == "A\n\n" + block_of(OTHER_NOTE) + "\nB in the middle\nC"
    assert extract_athlete_text(before) == "A\nB in the middle\nC"


def test_deleted_block_means_opted_out() -> None:
    result = merge_description("I deleted the note", NOTE, previously_written=True)
    assert result == MergeResult("I deleted the note", "opted_out", False)
    assert merge_description(None, NOTE, previously_written=True) == MergeResult("", "opted_out", False)


def test_note_none_removes_our_block_only() -> None:
    athlete = "Easy 8k\r\nwith Sam"
    written = merge_description(athlete, NOTE).text
    assert merge_description(written, None) == MergeResult(athlete, "removed", False)
    assert merge_description(athlete, None) == MergeResult(athlete, "unchanged", False)
    assert merge_description(written, "  \n \n") == MergeResult(athlete, "removed", False)  # empty note = none


def test_block_at_the_top_is_removed_with_its_break() -> None:
    assert extract_athlete_text(block_of(NOTE) + "\n\nwritten after") == "written after"


def test_half_block_is_never_eaten() -> None:
    half = "Felt stiff\n" + START_MARKER + "\n\u26a0 Load spike: 1.6\nmy own words after I cut the end off"
    assert find_block(half) is None
    assert extract_athlete_text(half) == half
    assert merge_description(half, NOTE, previously_written=True) == MergeResult(half, "opted_out", False)
    fresh = merge_description(half, NOTE)
    assert fresh.status == "inserted"
    assert fresh.text == half + "\n\n" + block_of(NOTE)
    span = find_block(fresh.text)
    assert span is not None and fresh.text[span[0] : span[1]] == block_of(NOTE)
    assert extract_athlete_text(fresh.text) == half
    assert merge_description(fresh.text, None).text == half


def test_stray_end_marker_is_ignored() -> None:
    stray = "top\n" + END_MARKER + "\nbottom"
    assert find_block(stray) is None
    assert extract_athlete_text(merge_description(stray, NOTE).text) == stray


def test_markers_are_found_after_platform_mangling() -> None:
    mangled = (
        "run\r\n\r\n  \u2500\u2500 SYNCD\u00a0back-care   note \u2500\u2500  \r\n"
        + "x\r\n"
        + "\u2500\u2500 end syncd note \u2500\u2500\t"
    )
    span = find_block(mangled)
    assert span is not None
    assert span == (len("run\r\n\r\n"), len(mangled))  # whole marker lines, their stray whitespace included
    assert merge_description(mangled, NOTE).text == "run\r\n\r\n" + block_of(NOTE)


def test_marker_words_inside_a_sentence_are_not_a_block() -> None:
    text = f"I read {START_MARKER} once\nand {END_MARKER} too"
    assert find_block(text) is None
    assert merge_description(text, NOTE).status == "inserted"


def test_markers_and_whitespace_in_the_note_are_sanitised() -> None:
    note = "line one   \r\n\r\n\r\n" + START_MARKER + "\n" + END_MARKER + "\nline two\n\n"
    written = merge_description("t", note).text
    assert written == "t\n\n" + block_of("line one\n\nline two")
    assert platform_normalise(written) == written


def test_max_length_drops_least_severe_lines_first_then_truncates() -> None:
    flags = [
        Flag(FlagCode.LOW_STRENGTH, Severity.INFO, Confidence.HIGH, {"sessions": 1, "target": 3}),
        Flag(FlagCode.LOAD_SPIKE, Severity.HIGH, Confidence.HIGH, {"acwr": 1.62}),
        Flag(FlagCode.HARD_SURFACE, Severity.CAUTION, Confidence.HIGH, {"hard_m": 8000.0, "share_pct": 80.0}),
    ]
    note = render_note(flags)
    assert note is not None
    athlete = "Long run with the club"
    full = merge_description(athlete, note)
    info_line = note.split("\n")[2]
    assert info_line.startswith(SEVERITY_MARKS[Severity.INFO])

    limited = merge_description(athlete, note, max_length=len(full.text) - 1)
    assert limited.truncated and limited.status == "inserted"
    assert len(limited.text) <= len(full.text) - 1
    assert info_line not in limited.text
    assert SEVERITY_MARKS[Severity.HIGH] in limited.text and SEVERITY_MARKS[Severity.CAUTION] in limited.text
    assert CLOSING_LINE in limited.text
    assert merge_description(limited.text, note, max_length=len(full.text) - 1).status == "unchanged"

    tight_len = len(athlete) + 2 + len(START_MARKER) + len(END_MARKER) + 2 + 30
    tight = merge_description(athlete, note, max_length=tight_len)
    assert tight.truncated and len(tight.text) == tight_len
    assert tight.text.startswith(athlete + "\n\n" + START_MARKER + "\n" + SEVERITY_MARKS[Severity.HIGH])
    assert tight.text.endswith("\u2026\n" + END_MARKER)
    assert extract_athlete_text(tight.text) == athlete

    bare_len = len(athlete) + 2 + len(START_MARKER) + 1 + len(END_MARKER)
    bare = merge_description(athlete, note, max_length=bare_len)
    assert bare.text == athlete + "\n\n" + START_MARKER + "\n" + END_MARKER and bare.truncated

    assert merge_description(athlete, note, max_length=bare_len - 1) == MergeResult(athlete, "unchanged", True)


def test_max_length_never_shortens_the_athlete() -> None:
    athlete = "x" * 50
    assert merge_description(athlete, NOTE, max_length=40) == MergeResult(athlete, "unchanged", True)


@pytest.mark.parametrize("bad", [0, -5, True, 3.5, "500"])
def test_bad_max_length_is_one_clear_error(bad: object) -> None:
    with pytest.raises(ValueError, match="max_length must be a positive whole number"):
        merge_description("t", NOTE, max_length=bad)  # type: ignore[arg-type]


# ---- properties ---------------------------------------------------------------------------------------------------

fragments = st.sampled_from(
    [
        "\n",
        "\r\n",
        "\r",
        " ",
        "\t",
        "\u00a0",
        "e\u0301",
        "\u00e9",
        "\u2500\u2500",
        "syncd",
        " back-care note ",
        "end syncd note",
        "Run",
        "\u26a0",
        "\u2026",
    ]
)
athlete_texts = st.lists(st.one_of(fragments, st.text(max_size=8)), max_size=12).map("".join)
free_notes = st.one_of(
    st.none(), st.lists(st.one_of(fragments, st.text(max_size=10)), max_size=10).map("".join), st.just(NOTE)
)


@st.composite
def rendered_notes(draw: st.DrawFn) -> str | None:
    codes = draw(st.lists(st.sampled_from(list(FlagCode)), max_size=5))
    severities = draw(st.lists(st.sampled_from(list(Severity)), min_size=len(codes), max_size=len(codes)))
    flags = [
        Flag(c, s, Confidence.HIGH, {"acwr": 1.4, "hard_m": 5000.0}) for c, s in zip(codes, severities, strict=True)
    ]
    return render_note(flags, when_clean=draw(st.sampled_from(["line", "none"])))


notes = st.one_of(free_notes, rendered_notes())


@pytest.mark.hypothesis_heavy
@settings(max_examples=1500)
@given(t=athlete_texts, a=notes, b=notes)
def test_merge_properties(t: str, a: str | None, b: str | None) -> None:
    assume(not has_marker_line(t))
    m = merge_description(t, a).text
    assert merge_description(m, b).text == merge_description(t, b).text
    assert extract_athlete_text(m) == t
    again = merge_description(m, a)
    assert again.text == m and again.status == "unchanged"


@pytest.mark.hypothesis_heavy
@settings(max_examples=1500)
@given(t=athlete_texts, a=notes, b=notes)
def test_merge_properties_after_platform_normalisation(t: str, a: str | None, b: str | None) -> None:
    assume(not has_marker_line(t))
    m = merge_description(t, a).text
    stored = platform_normalise(m)
    expected_block = find_block(m)
    span = find_block(stored)
    assert (span is None) == (expected_block is None)
    if span is not None and expected_block is not None:
        assert stored[span[0] : span[1]] == m[expected_block[0] : expected_block[1]]
    assert extract_athlete_text(stored) == platform_normalise(t)
    assert merge_description(stored, a, previously_written=True).text == stored
    assert merge_description(stored, b).text == merge_description(platform_normalise(t), b).text


@pytest.mark.hypothesis_heavy
@settings(max_examples=800)
@given(t=athlete_texts, tail=athlete_texts, a=notes, limit=st.integers(min_value=1, max_value=400))
def test_max_length_properties(t: str, tail: str, a: str | None, limit: int) -> None:
    assume(not has_marker_line(t + tail))
    with_stray_start = t + "\n" + START_MARKER + "\n" + tail  # a half block must survive too
    for athlete in (t, with_stray_start):
        result = merge_description(athlete, a, max_length=limit)
        if result.status == "inserted":
            assert len(result.text) <= limit
            assert find_block(result.text) is not None
        else:
            assert result.text == athlete
        assert extract_athlete_text(result.text) == athlete
        assert merge_description(result.text, a, max_length=limit).text == result.text
