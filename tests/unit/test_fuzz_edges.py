"""Hypothesis fuzzing of the edges (issue 17): the file parsers' wrapper, the URL number and week parsers, the
webhook event parser and the note merge. Whatever comes in: a result or the one documented error, never another
exception; and the athlete's text is never changed by a merge."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from syncd.adapters.files import FileImportError, parse_bytes
from syncd.domain.description import START_MARKER, extract_athlete_text, merge_description
from syncd.domain.digest import parse_week
from syncd.entrypoints.web.params import MAX_DB_ID, ascii_int
from syncd.entrypoints.webhook import EventError, parse_event

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real"
GPX_HEAD = b'<?xml version="1.0"?><gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>'
FIT = (REAL / "2013-02-06-12-11-14.fit").read_bytes()
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(st.binary(max_size=2000), st.sampled_from(["x.fit", "x.gpx", "x.tcx", "x.fit.gz", "x"]))
def test_parse_bytes_refuses_with_its_own_error_only(data: bytes, name: str) -> None:
    try:
        parse_bytes(data, name)
    except FileImportError as exc:
        assert "\n" not in str(exc)


@pytest.mark.hypothesis_heavy  # seconds each (150 parses): the full suite runs it, the quick unit run does not
@FAST
@given(st.lists(st.tuples(st.text(max_size=12), st.text(max_size=12), st.text(max_size=30)), max_size=6))
def test_gpx_trackpoints_with_any_attribute_text(points: list[tuple[str, str, str]]) -> None:
    from xml.sax.saxutils import escape, quoteattr

    body = "".join(
        f"<trkpt lat={quoteattr(a)} lon={quoteattr(b)}><time>{escape(t)}</time></trkpt>" for a, b, t in points
    )
    data = GPX_HEAD + body.encode("utf-8", "replace") + b"</trkseg></trk></gpx>"
    try:
        (parsed,) = parse_bytes(data, "x.gpx")
    except FileImportError as exc:
        assert "\n" not in str(exc)
        return
    json.dumps(parsed.raw, allow_nan=False)  # what is stored is finite


@pytest.mark.hypothesis_heavy  # seconds each (150 parses): the full suite runs it, the quick unit run does not
@FAST
@given(st.integers(min_value=0, max_value=len(FIT) - 1), st.integers(min_value=0, max_value=7))
def test_fit_with_any_one_bit_flipped(position: int, bit: int) -> None:
    flipped = bytearray(FIT)
    flipped[position] ^= 1 << bit
    try:
        parse_bytes(bytes(flipped), "x.fit")
    except FileImportError as exc:
        assert "\n" not in str(exc)


@pytest.mark.hypothesis_heavy  # many examples, tenths of a second: the full suite runs it, the quick unit run does not
@settings(max_examples=500, deadline=None)
@given(st.text(max_size=30))
def test_ascii_int_accepts_only_plain_bounded_digits(text: str) -> None:
    value = ascii_int(text, minimum=1)
    if value is not None:
        assert text.isascii() and text.isdigit() and 1 <= value <= MAX_DB_ID and str(value) == text.lstrip("0")


@pytest.mark.hypothesis_heavy  # many examples, tenths of a second: the full suite runs it, the quick unit run does not
@settings(max_examples=500, deadline=None)
@given(st.text(max_size=20))
def test_parse_week_is_a_monday_or_a_value_error(text: str) -> None:
    try:
        monday = parse_week(text)
    except ValueError as exc:
        assert "2026-W47" in str(exc)
        return
    assert monday.isoweekday() == 1


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=10,
)


@pytest.mark.hypothesis_heavy  # many examples, tenths of a second: the full suite runs it, the quick unit run does not
@settings(max_examples=300, deadline=None)
@given(
    st.fixed_dictionaries(
        {},
        optional={
            "object_type": st.sampled_from(["activity", "athlete", "club"]) | json_values,
            "aspect_type": st.sampled_from(["create", "update", "delete"]) | json_values,
            "object_id": st.integers() | json_values,
            "owner_id": st.integers() | json_values,
            "subscription_id": st.integers() | json_values,
            "updates": json_values,
        },
    )
)
def test_webhook_event_parser_never_raises_anything_else(event: dict[str, object]) -> None:
    try:
        parsed = parse_event(json.dumps(event).encode())
    except EventError:
        return
    assert 0 < parsed.object_id <= 2**63 - 1 and 0 < parsed.owner_id <= 2**63 - 1


athlete_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200).filter(
    lambda t: START_MARKER not in t and "end syncd note" not in t
)


@pytest.mark.hypothesis_heavy  # many examples, tenths of a second: the full suite runs it, the quick unit run does not
@settings(max_examples=300, deadline=None)
@given(
    athlete_text, st.text(max_size=300), st.text(max_size=300), st.none() | st.integers(min_value=200, max_value=3000)
)
def test_note_merge_keeps_the_athletes_text_and_one_block(
    athlete: str, note: str, newer: str, max_length: int | None
) -> None:
    first = merge_description(athlete, note, max_length=max_length)
    assert extract_athlete_text(first.text) == extract_athlete_text(athlete)
    assert first.text.count(START_MARKER) <= 1
    second = merge_description(first.text, newer, previously_written=True, max_length=max_length)
    assert extract_athlete_text(second.text) == extract_athlete_text(athlete)
    assert second.text.count(START_MARKER) <= 1
    again = merge_description(second.text, newer, previously_written=True, max_length=max_length)
    assert again.text == second.text  # writing the same note twice changes nothing
