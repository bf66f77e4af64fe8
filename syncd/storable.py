"""Text every database backend keeps: the characters a platform may send but a backend refuses, made storable.

PostgreSQL refuses NUL (U+0000) in text and in JSONB, and every backend's driver refuses lone surrogates (U+D800 to
U+DFFF, which `json.loads` makes from a `"\\ud800"` escape) because they cannot be encoded as UTF-8. One activity
name holding such a character stopped a whole account's sync on PostgreSQL (issue 31), so the store edge applies
these functions on every backend (the same data gives the same rows on SQLite and PostgreSQL):

- `storable_text`, for text columns (names, descriptions, notes): NUL is dropped, a lone surrogate becomes U+FFFD.
- `storable_json`, for JSON columns (the raw payload kept as the platform sent it): each such character becomes its
  JSON escape spelled out (`\\u0000`), so the original stays readable in the raw payload.

Both are idempotent and leave every other string as it was (the same object, no copy).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_REFUSED = re.compile("[\x00\ud800-\udfff]")


def refused(text: str) -> bool:
    """Whether `text` holds a character some backend refuses."""
    return _REFUSED.search(text) is not None


def storable_text(text: str) -> str:
    """`text` without NUL, a lone surrogate shown as U+FFFD."""
    if not refused(text):
        return text
    return _REFUSED.sub(lambda m: "" if m.group() == "\x00" else "\ufffd", text)


def _escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def storable_json(value: object) -> object:
    """`value` (plain JSON data) with every refused character in its strings and keys written as its escape."""
    if isinstance(value, str):
        return _REFUSED.sub(_escape, value) if refused(value) else value
    if isinstance(value, Mapping):
        if not any(_has_refused(k) or _has_refused(v) for k, v in value.items()):
            return value
        return {storable_json(k): storable_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        if not any(_has_refused(v) for v in value):
            return value
        return [storable_json(v) for v in value]
    return value


def _has_refused(value: object) -> bool:
    if isinstance(value, str):
        return refused(value)
    if isinstance(value, Mapping):
        return any(_has_refused(k) or _has_refused(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_refused(v) for v in value)
    return False


def refused_fields(fields: Mapping[str, object]) -> list[str]:
    """The names of the text fields that hold a refused character (for a report naming what was changed)."""
    return [name for name, value in fields.items() if isinstance(value, str) and refused(value)]
