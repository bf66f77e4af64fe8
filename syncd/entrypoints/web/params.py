"""Strict parsing of the numbers in URLs: ASCII digits only, within bounds.

Why not `str.isdigit()` + `int()`: isdigit accepts "²" and other Unicode digits that int() then refuses (a 500),
int() accepts Arabic-Indic digits, and an unbounded id overflows the database's 64-bit columns (another 500).
"""

from __future__ import annotations

import re

_ASCII_DIGITS = re.compile(r"[0-9]{1,19}")
MAX_DB_ID = 2**63 - 1  # BIGINT: ids above cannot exist
MAX_PAGE = 1_000_000


def ascii_int(text: str, *, minimum: int = 0, maximum: int = MAX_DB_ID) -> int | None:
    """`text` as an int when it is plain ASCII digits within [minimum, maximum], else None."""
    if _ASCII_DIGITS.fullmatch(text) is None:
        return None
    value = int(text)
    return value if minimum <= value <= maximum else None
