"""Find the back-pain tag a runner types into an activity's title or description, e.g. "#back 3".

Accepted (case-insensitive, anywhere in the text): `#back 3`, `#back: 3`, `#back=3`, `#back 3/10`, and the same
with `#backpain`, `#back-pain` or `#back_pain`. The score is a whole number from 0 (no pain) to 10 (worst).

Never a tag, so nothing can trigger by accident:
- text without the `#` ("back 4 km", "back to 3 runs"), or a `#` inside a word or a URL ("site.com/#back 3");
- a pace or a clock time ("#back 4:30"), a distance or a duration ("#back 4 km", "#back 3x", "#back 5 min");
- a number glued to letters ("#back 3rd"), a fraction of anything but 10 ("#back 3/5"), `#back` with no number.

A tag-looking score that cannot be a pain score ("#back 45", "#back 3.5") is *invalid*: reported as a problem,
never stored. The same score written twice (title and description) is one tag; two different scores are a
*conflict*: nothing is stored or changed and the caller logs a warning (we never guess which one the runner meant).
Problem messages never contain the score: they go to logs, and pain scores are health data.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from syncd.domain.description import extract_athlete_text
from syncd.domain.pain import MAX_SCORE, MIN_SCORE

_TAG = re.compile(
    r"(?<![\w#/&=?%+@.:~\\-])"  # not inside a word, another hashtag or a URL
    r"#(?:back(?:[-_]?pain)?)(?![\w-])"
    r"(?:[ \t]*[:=][ \t]*|[ \t]+)"
    r"(?P<score>[0-9]+(?:[.,][0-9]+)?)"
    r"(?P<outof>[ \t]*/[ \t]*[0-9]+)?",
    re.IGNORECASE,
)
# What may follow a number that is not a pain score: a unit, a multiplier, a time of day, a count of days.
_UNIT_AFTER = re.compile(
    r"[ \t]*(?:km|kms|k|mi|miles?|m|meters?|metres?|mins?|minutes?|h|hrs?|hours?|s|secs?|seconds?|x|\u00d7|"
    r"reps?|sets?|laps?|%|kg|lbs?|ft|feet|yds?|yards?|days?|weeks?|times|am|pm|bpm|w|cal|kcal|spm)(?![\w])",
    re.IGNORECASE,
)
_OUT_OF_TEN = re.compile(r"[ \t]*/[ \t]*10")

TagStatus = Literal["none", "ok", "invalid", "conflict"]

INVALID_MESSAGE = f"a #back tag whose score is not a whole number from {MIN_SCORE} to {MAX_SCORE}"
CONFLICT_MESSAGE = "#back tags with different scores"


@dataclass(frozen=True, slots=True)
class TagReading:
    """What the texts say: `score` is set only when status is "ok" (exactly one score, nothing invalid)."""

    status: TagStatus
    score: int | None = None
    tags: int = 0  # tag-like occurrences seen (valid and invalid)
    problem: str | None = None  # value-free, safe to log


def _scores(text: str) -> tuple[list[int], int]:
    """Valid scores in order, and how many tag-like occurrences were invalid."""
    valid: list[int] = []
    invalid = 0
    for match in _TAG.finditer(text):
        end = match.end()
        tail = text[end:]
        outof = match.group("outof")
        if outof is not None and _OUT_OF_TEN.fullmatch(outof) is None:
            continue  # "3/5": a fraction of something else
        if tail[:1].isalnum() or tail[:1] == "_" or re.match(r"[.,:/][0-9]", tail):
            continue  # "3rd", "4:30", "4.5.1", "3/5" glued
        if outof is None and _UNIT_AFTER.match(tail):
            continue  # "4 km", "3x", "5 min"
        raw = match.group("score")
        if not raw.isdigit():
            invalid += 1  # "3.5"
            continue
        score = int(raw)
        if MIN_SCORE <= score <= MAX_SCORE:
            valid.append(score)
        else:
            invalid += 1  # "45"
    return valid, invalid


def read_activity_tag(title: str | None, description: str | None) -> TagReading:
    """The one reader of an activity's tag, for every path (a listed title, a fetched detail, a description read
    before a write-back or at the daily re-scan): the title and the athlete's part of the description (syncd's
    own note block is never read: it could quote a tag)."""
    return read_pain_tag(title, extract_athlete_text(description) if description is not None else None)


def read_pain_tag(*texts: str | None) -> TagReading:
    """The verdict over every text of one activity (title, the athlete's part of the description)."""
    valid: list[int] = []
    invalid = 0
    for text in texts:
        if not text:
            continue
        found, bad = _scores(unicodedata.normalize("NFC", text))
        valid.extend(found)
        invalid += bad
    count = len(valid) + invalid
    if invalid:
        return TagReading("invalid", None, count, INVALID_MESSAGE)
    if len(set(valid)) > 1:
        return TagReading("conflict", None, count, CONFLICT_MESSAGE)
    if valid:
        return TagReading("ok", valid[0], count)
    return TagReading("none")
