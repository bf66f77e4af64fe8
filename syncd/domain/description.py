"""Merge syncd's note block into an activity description without touching the athlete's own text.

The block is delimited by two marker lines a human can read in the Strava and Garmin apps:

    ── syncd back-care note ──
    <note lines>
    ── end syncd note ──

Why these rules (docs/notes.md has the user-facing version):
- Platforms normalise what they store (CRLF -> LF, trailing spaces stripped, blank-line runs collapsed, the whole
  text trimmed, Unicode NFC). A marker is therefore matched per line after NFC, trimming and collapsing whitespace,
  case-insensitively, and our own block is written already normalised, so normalisation never changes it.
- A block is a start-marker line followed by an end-marker line with no other start marker in between. A start
  marker without an end (the athlete deleted the bottom) or an end without a start is *not* a block: we never
  guess where our text stopped, so the athlete's text is never eaten. Such leftovers stay as they are.
- Text outside complete blocks is the athlete's and is never changed. A first write appends the block after one
  blank line ("\\n\\n", omitted when the description is empty); removing a block removes that separator again, so
  extract_athlete_text(merge(t, note)) == t byte for byte.
- Re-annotation replaces the first block in place and removes any further blocks (copy-paste, platform bugs).
- previously_written and no complete block: the athlete deleted it, which is an opt-out for that activity.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from syncd.domain.notes import line_severity

START_MARKER = "── syncd back-care note ──"
END_MARKER = "── end syncd note ──"
SEPARATOR = "\n\n"
ELLIPSIS = "…"

MergeStatus = Literal["inserted", "replaced", "unchanged", "opted_out", "removed"]

_BREAK = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class MergeResult:
    text: str  # the new full description
    status: MergeStatus
    truncated: bool  # our block was shortened (or left out) to respect max_length


def _canon(line: str) -> str:
    """How a line is compared with a marker: tolerant of everything platforms do to whitespace and Unicode form."""
    return " ".join(unicodedata.normalize("NFC", line).split()).casefold()


_START = _canon(START_MARKER)
_END = _canon(END_MARKER)


def _is_marker(line: str) -> bool:
    return _canon(line) in (_START, _END)


def _line_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every line, end excluding the line break; only CR, LF and CRLF break lines."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for match in _BREAK.finditer(text):
        spans.append((pos, match.start()))
        pos = match.end()
    spans.append((pos, len(text)))
    return spans


def _blocks(text: str) -> list[tuple[int, int]]:
    """Spans of every complete block, from the start of its start-marker line to the end of its end-marker line."""
    found: list[tuple[int, int]] = []
    open_at: int | None = None
    for start, end in _line_spans(text):
        canon = _canon(text[start:end])
        if canon == _START:
            open_at = start  # a second start before any end: the earlier one was a leftover half block
        elif canon == _END and open_at is not None:
            found.append((open_at, end))
            open_at = None
    return found


def find_block(description: str | None) -> tuple[int, int] | None:
    """(start, end) of the first complete block, so that description[start:end] is our block; None if there is none."""
    blocks = _blocks(description or "")
    return blocks[0] if blocks else None


def _removal_span(text: str, start: int, end: int) -> tuple[int, int]:
    """The block plus the separator we wrote before it (or, for a block at the very top, the break after it)."""
    before = text[:start]
    if before.endswith(SEPARATOR) or before.endswith("\r\n"):
        return start - 2, end
    if before.endswith(("\n", "\r")):
        return start - 1, end
    if start == 0:
        after = _BREAK.match(text, end)
        if after is not None:
            following = _BREAK.match(text, after.end())
            return start, (following.end() if following is not None else after.end())
    return start, end


def _without(text: str, blocks: list[tuple[int, int]]) -> str:
    """Cut blocks (with their separators) from the end backwards so earlier offsets stay valid."""
    for start, end in reversed(blocks):
        cut_start, cut_end = _removal_span(text, start, end)
        text = text[:cut_start] + text[cut_end:]
    return text


def extract_athlete_text(description: str | None) -> str:
    """The description with every complete syncd block (and the separator we added) removed."""
    text = description or ""
    return _without(text, _blocks(text))


def _note_lines(note: str) -> list[str]:
    """The note, already in the form platforms store (so a stored block never changes), without marker lines."""
    lines: list[str] = []
    for raw in _BREAK.split(unicodedata.normalize("NFC", note)):
        line = raw.rstrip()
        if _is_marker(line):
            continue  # a marker inside the note would split our block on the next read
        if not line and (not lines or not lines[-1]):
            continue  # no leading blank lines, no runs of blank lines
        lines.append(line)
    while lines and not lines[-1]:
        lines.pop()
    return lines


def _assemble(lines: list[str]) -> str:
    return "\n".join([START_MARKER, *lines, END_MARKER])


def _fit(lines: list[str], budget: int | None) -> tuple[str | None, bool]:
    """Our block within `budget` characters: drop the least severe flag lines, then cut with an ellipsis.

    Returns (None, True) when not even the two markers fit.
    """
    block = _assemble(lines)
    if budget is None or len(block) <= budget:
        return block, False
    kept = list(lines)
    while len(_assemble(kept)) > budget:
        ranked = [(severity.rank, index) for index, line in enumerate(kept) if (severity := line_severity(line))]
        if len(ranked) <= 1:
            break
        _, drop = min(ranked, key=lambda item: (item[0], -item[1]))  # least severe, the later one first
        del kept[drop]
    block = _assemble(kept)
    if len(block) <= budget:
        return block, True
    room = budget - len(START_MARKER) - len(END_MARKER) - 2  # two line breaks around the body
    body = "\n".join(kept)[: max(room - len(ELLIPSIS), 0)].rstrip()
    if body and room > len(ELLIPSIS):
        return _assemble([body + ELLIPSIS]), True
    bare = _assemble([])
    return (bare if len(bare) <= budget else None), True


def _check_max_length(max_length: int | None) -> None:
    if max_length is None:
        return
    if isinstance(max_length, bool) or not isinstance(max_length, int) or max_length < 1:
        raise ValueError(f"max_length must be a positive whole number of characters or None, got {max_length!r}")


def merge_description(
    existing: str | None,
    note: str | None,
    *,
    previously_written: bool = False,
    max_length: int | None = None,
) -> MergeResult:
    """Insert, replace or remove our block in `existing`; the athlete's text outside the block never changes.

    A note that is empty after normalisation counts as None (remove our block).
    """
    _check_max_length(max_length)
    text = existing or ""
    blocks = _blocks(text)
    lines = _note_lines(note) if note is not None else []
    if not lines:
        if not blocks:
            return MergeResult(text, "unchanged", False)
        return MergeResult(_without(text, blocks), "removed", False)
    if not blocks:
        if previously_written:
            return MergeResult(text, "opted_out", False)
        prefix, suffix = (text + SEPARATOR if text else ""), ""
        status: MergeStatus = "inserted"
    else:
        first_start, first_end = blocks[0]
        rest = _without(text, blocks[1:])  # later blocks only; offsets of the first are unaffected
        prefix, suffix = rest[:first_start], rest[first_end:]
        status = "replaced"
    budget = None if max_length is None else max_length - len(prefix) - len(suffix)
    block, truncated = _fit(lines, budget)
    if block is None:
        return MergeResult(text, "unchanged", True)
    merged = prefix + block + suffix
    return MergeResult(merged, "unchanged" if merged == text else status, truncated)
