"""The #back tag parser: what counts, what never triggers by accident, and the verdict over several tags."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from syncd.domain.description import merge_description
from syncd.domain.pain_tags import CONFLICT_MESSAGE, INVALID_MESSAGE, read_activity_tag, read_pain_tag


@pytest.mark.parametrize(
    ("text", "score"),
    [
        ("#back 3", 3),
        ("Easy 8k with Anna #back 4 felt stiff", 4),
        ("#back:3", 3),
        ("#back: 3", 3),
        ("#back=7", 7),
        ("#back 3/10", 3),
        ("#back 3 / 10", 3),
        ("#BACK 2", 2),
        ("#backpain 5", 5),
        ("#back-pain 6", 6),
        ("#back_pain 1", 1),
        ("#back 0", 0),
        ("#back 10", 10),
        ("(#back 2)", 2),
        ("#back 3, tired legs", 3),
        ("#back 3.", 3),
        ("\U0001f3c3#back 3\U0001f642", 3),
        ("title\r\n#back 4\r\nmore", 4),
        ("#back\t3", 3),
        ("#back 3 and again #back 3", 3),
        ("#run #back 2 #happy", 2),
    ],
)
def test_tags_that_count(text: str, score: int) -> None:
    reading = read_pain_tag(text)
    assert (reading.status, reading.score) == ("ok", score)


@pytest.mark.parametrize(
    "text",
    [
        "back 4 km",
        "back to 3 runs a week",
        "#back 4:30",
        "#back 4:30/km",
        "#back 4 km",
        "#back 4km",
        "#back 4.5 km",
        "#back 3x400",
        "#back 3 x 400",
        "#back 5 min",
        "#back 3rd time",
        "#back 3/5",
        "#back",
        "#back #3",
        "#backpack 3",
        "#backroads 5",
        "https://example.com/#back 3",
        "example.com#back 3",
        "see x.com/?t=#back 3",
        "foo#back 3",
        "##back 3",
        "#back\n3",
        "#back -3",
        "#back 6 days",
        "4:30/km pace, back 4 km, #back2back",
    ],
)
def test_never_a_tag(text: str) -> None:
    assert read_pain_tag(text).status == "none"


@pytest.mark.parametrize("text", ["#back 11", "#back 45", "#back 3.5", "#back 100", "#back 2,5"])
def test_out_of_range_or_fraction_is_invalid_and_names_no_value(text: str) -> None:
    reading = read_pain_tag(text)
    assert (reading.status, reading.score, reading.problem) == ("invalid", None, INVALID_MESSAGE)


def test_two_different_tags_are_a_conflict_nothing_is_chosen() -> None:
    reading = read_pain_tag("#back 3 then later #back 6")
    assert (reading.status, reading.score, reading.problem) == ("conflict", None, CONFLICT_MESSAGE)
    assert "3" not in CONFLICT_MESSAGE and "6" not in CONFLICT_MESSAGE


def test_title_and_description_are_read_together() -> None:
    assert read_pain_tag("Morning run #back 2", "notes #back 2").score == 2
    assert read_pain_tag("Morning run #back 2", "notes #back 5").status == "conflict"
    assert read_pain_tag("Morning run", None, "").status == "none"
    assert read_pain_tag("#back 2", "#back 12").status == "invalid"


# ---- properties ------------------------------------------------------------------------------------------------

_filler = st.lists(
    st.characters(codec="utf-8", exclude_categories=("Cs",)).map(str)
    | st.sampled_from(["\r\n", "\n", "#", " ", "\U0001f642", "#run", "#4", "km"]),
    max_size=30,
).map("".join)


def _clean(text: str) -> bool:
    return "back" not in text.lower()


@pytest.mark.hypothesis_heavy  # many examples, tenths of a second: the full suite runs it, the quick unit run does not
@settings(max_examples=300, deadline=None)
@given(
    before=_filler,
    after=_filler,
    score=st.integers(0, 10),
    lead=st.sampled_from([" ", "\n", "\r\n", " \t", "(", " \U0001f3c3"]),
    # after the score: a line break or punctuation (a unit right after the number would make it a distance)
    trail=st.sampled_from(["", "\n", "\r\n", ". ", ", ", "! ", " \U0001f642 ", "/10 ", ")"]),
)
def test_a_tag_is_found_in_any_surrounding_text(before: str, after: str, score: int, lead: str, trail: str) -> None:
    assume(_clean(before) and _clean(after))
    reading = read_pain_tag(f"{before}{lead}#back {score}{trail}{after if trail else ''}")
    assert (reading.status, reading.score) == ("ok", score)


@pytest.mark.hypothesis_heavy  # many examples, tenths of a second: the full suite runs it, the quick unit run does not
@settings(max_examples=300, deadline=None)
@given(
    minutes=st.integers(0, 59),
    seconds=st.integers(0, 59),
    distance=st.decimals(0, 200, places=1, allow_nan=False, allow_infinity=False),
    unit=st.sampled_from(["km", "k", "mi", "miles", "m", "min", "x"]),
    hashed=st.booleans(),
    space=st.sampled_from(["", " "]),
)
def test_paces_and_distances_never_match(
    minutes: int, seconds: int, distance: object, unit: str, hashed: bool, space: str
) -> None:
    word = "#back" if hashed else "back"
    for text in (
        f"{word} {minutes}:{seconds:02d}",
        f"{word} {minutes}:{seconds:02d}/km",
        f"{word} {distance}{space}{unit}",
        f"ran {distance} {unit} out and {word} {distance}{space}{unit}",
    ):
        assert read_pain_tag(text).status == "none", text


@pytest.mark.hypothesis_heavy  # many examples, tenths of a second: the full suite runs it, the quick unit run does not
@settings(max_examples=200, deadline=None)
@given(text=_filler)
def test_text_without_the_tag_word_never_matches(text: str) -> None:
    assume(_clean(text))
    assert read_pain_tag(text).status == "none"


@pytest.mark.hypothesis_heavy  # many examples, tenths of a second: the full suite runs it, the quick unit run does not
@settings(max_examples=200, deadline=None)
@given(first=st.integers(0, 10), second=st.integers(0, 10), middle=_filler)
def test_two_tags_agree_or_conflict(first: int, second: int, middle: str) -> None:
    assume(_clean(middle))
    reading = read_pain_tag(f"#back {first}. {middle} #back {second}")
    if first == second:
        assert reading.score == first
    else:
        assert (reading.status, reading.score) == ("conflict", None)


def test_the_activity_reader_reads_the_title_and_the_runners_text_never_our_note() -> None:
    """One reader for every path (listed title, detail, a description read before a write-back or at the re-scan):
    a tag quoted inside syncd's own note block is never the runner's."""
    ours = merge_description("Felt fine", "Mode: sore (your #back tag 6 in the last 7 days)\n#back 6").text
    assert read_activity_tag("Morning Run", ours).status == "none"
    assert read_activity_tag("Morning Run #back 4", ours) == read_pain_tag("#back 4")
    theirs = merge_description("Stiff after #back 5", "Mode: staying well").text
    assert read_activity_tag("Morning Run", theirs).score == 5
    assert read_activity_tag("Run #back 3", None).score == 3  # a listed title alone
