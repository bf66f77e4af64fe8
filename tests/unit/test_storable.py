"""syncd.storable: what the store edge does to characters a backend refuses (issue 31)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from syncd.storable import refused, refused_fields, storable_json, storable_text


def test_text_loses_nul_and_shows_a_lone_surrogate_as_replacement() -> None:
    assert storable_text("Run \x00 name") == "Run  name"
    assert storable_text("a\ud800b\udfffc") == "a\ufffdb\ufffdc"
    plain = "Morning Run 🏃"  # a real (paired) astral character is kept
    assert storable_text(plain) is plain


def test_json_keeps_the_original_spelled_out_in_strings_and_keys() -> None:
    value = {"name": "Run \x00", "k\x00": ["x\ud83d", 1, None, {"ok": True}], "n": 2.5}
    assert storable_json(value) == {"name": "Run \\u0000", "k\\u0000": ["x\\ud83d", 1, None, {"ok": True}], "n": 2.5}
    clean = {"a": ["b", {"c": "d"}]}
    assert storable_json(clean) is clean


def test_fields_named() -> None:
    assert refused_fields({"name": "a\x00", "description": None, "x": "ok"}) == ["name"]


@given(st.text())
def test_idempotent_and_never_refused(text: str) -> None:
    once = storable_text(text)
    assert storable_text(once) == once and not refused(once)
    escaped = storable_json({text: [text]})
    assert storable_json(escaped) == escaped
    assert isinstance(escaped, dict) and not any(refused(k) for k in escaped)
    once.encode("utf-8")  # every backend's driver can encode it
