"""A back-pain diary entry and the checks a typed-in entry must pass.

Pain scores are health data: this module never formats a score into an error message, so an error can be shown
or logged without leaking how the runner's back felt.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

MIN_SCORE = 0
MAX_SCORE = 10
MAX_NOTE_CHARS = 500


class PainSource(StrEnum):
    """Where an entry came from: a tag the runner wrote on the platform, the feed's form, `syncd pain`, or the
    check-in link."""

    TAG = "tag"
    WEB = "web"
    CLI = "cli"
    CHECKIN = "checkin"  # the one-tap daily check-in link (syncd.services.checkin)


class PainInputError(ValueError):
    """A diary entry a person typed that cannot be stored; str() is one line naming the problem and the fix."""


@dataclass(frozen=True, slots=True)
class PainEntry:
    """One diary entry: how the back felt on `day` (the athlete's local date), 0 = no pain, 10 = worst.

    `activity_id` links an entry to the run it was written on (tag or the run's feed page); `activity_start_utc`
    places it in time so a run's note only counts entries recorded before that run; `activity_source` is that
    run's platform.
    """

    athlete_id: int
    day: date
    score: int
    source: PainSource
    activity_id: int | None = None
    note: str = ""
    recorded_at: datetime | None = None
    activity_start_utc: datetime | None = None
    id: int | None = None
    # the platform of the run the entry was written on ("strava", "garmin", "file"): a platform's note may only
    # reason from tags the athlete wrote on that platform
    activity_source: str | None = None


_SCORE = re.compile(r"^\s*(\d{1,2})\s*(?:/\s*10\s*)?$")


def parse_score(text: str) -> int:
    """A whole number 0-10 ("3" or "3/10")."""
    match = _SCORE.match(text)
    if match is None or not MIN_SCORE <= int(match.group(1)) <= MAX_SCORE:
        raise PainInputError(
            f"the pain score must be a whole number from {MIN_SCORE} (no pain) to {MAX_SCORE} (worst), e.g. 3"
        )
    return int(match.group(1))


def check_score(score: int) -> int:
    if isinstance(score, bool) or not isinstance(score, int) or not MIN_SCORE <= score <= MAX_SCORE:
        raise PainInputError(
            f"the pain score must be a whole number from {MIN_SCORE} (no pain) to {MAX_SCORE} (worst), e.g. 3"
        )
    return score


def parse_day(text: str) -> date:
    """An ISO date (2026-11-28)."""
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise PainInputError(f"{text.strip()[:20]!r} is not a date: write it as YYYY-MM-DD, e.g. 2026-11-28") from None
    if not 1970 <= day.year <= 2200:  # date arithmetic near year 1 or 9999 overflows (week starts, windows)
        raise PainInputError(f"{day.isoformat()} is out of range: pick a day of your running, e.g. 2026-11-28")
    return day


def check_day(day: date, *, today: date, first_activity_day: date | None) -> date:
    """A diary day may not be in the future, nor before the athlete's first recorded activity."""
    if day > today:
        raise PainInputError(f"{day.isoformat()} is in the future: record pain for today ({today}) or earlier")
    if first_activity_day is not None and day < first_activity_day:
        raise PainInputError(
            f"{day.isoformat()} is before this athlete's first activity ({first_activity_day}): pick a day from then on"
        )
    return day


def clean_note(note: str | None) -> str:
    """The athlete's own words, trimmed; refused when too long rather than cut."""
    text = (note or "").strip()
    if len(text) > MAX_NOTE_CHARS:
        raise PainInputError(f"the note is longer than {MAX_NOTE_CHARS} characters: shorten it")
    if any(ord(c) < 32 and c not in "\t\n" for c in text):
        raise PainInputError("the note contains control characters: use plain text")
    return text


def daily_scores(entries: list[PainEntry] | tuple[PainEntry, ...]) -> dict[date, int]:
    """The worst score per day (several entries on a day: the back was at least that sore)."""
    days: dict[date, int] = {}
    for entry in entries:
        days[entry.day] = max(entry.score, days.get(entry.day, MIN_SCORE))
    return days
