"""Plain-text tables and times for the terminal (`status`, `accounts`, `athlete list`), and ISO 8601 for `--json`."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any


def print_table(headers: Sequence[str], rows: Iterable[Sequence[object]], *, indent: str = "") -> None:
    """Left-aligned columns two spaces apart; None shows as "-"; the last column is never padded."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    for row in [list(headers), *cells]:
        padded = [text.ljust(width) for text, width in zip(row[:-1], widths[:-1], strict=True)]
        print(indent + "  ".join([*padded, row[-1]]).rstrip())


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, datetime):
        return when(value)
    return str(value)


def when(value: datetime | None, now: datetime | None = None) -> str:
    """A stored UTC time as a person reads it: local time to the minute, with how long ago or from now."""
    if value is None:
        return "-"
    now = now or datetime.now(UTC)
    local = value.astimezone()
    return f"{local:%Y-%m-%d %H:%M} ({_relative(value - now)})"


def _relative(delta: Any) -> str:
    seconds = delta.total_seconds()
    size = abs(seconds)
    if size < 60:
        return "now"
    for unit, span in (("d", 86_400), ("h", 3_600), ("min", 60)):
        if size >= span:
            amount = f"{int(size // span)} {unit}"
            break
    return f"in {amount}" if seconds > 0 else f"{amount} ago"


def iso(value: object) -> Any:
    """json.dumps default: datetimes as ISO 8601 with the `T` and an explicit offset (UTC: Z), dates as ISO."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def printable(text: str) -> str:
    """`text` with control characters (and lone surrogates from undecodable file names) shown as escapes: a file
    named "a<newline>syncd: imported b.fit" must not forge a second output line, nor an ESC sequence restyle the
    terminal."""
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)
