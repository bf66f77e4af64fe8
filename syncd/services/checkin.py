"""The one-tap back check-in: a signed link for one athlete and one day, answered without logging in.

The token is the athlete's key, the day it asks about and an HMAC of both under a key derived from the store's
encryption key (like the unsubscribe link): nothing is stored per link and nobody can forge one for another athlete
or another day. It works on the day it is for and the day after (a late-evening link answered next morning), then
says it has expired; once the day has a check-in entry, the link is spent (one use per day).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import quote

from syncd.domain.pain import PainSource

if TYPE_CHECKING:
    from syncd.ports import PainDiary
    from syncd.records import AthleteRecord

PURPOSE = "checkin"
PATH = "/checkin"
VALID_FOR = timedelta(days=1)  # after the day itself
# The red flags of NICE NG59 and the cauda equina guidance (RISK-FACTS.md), as a runner would tick them; the first
# three need a clinician urgently.
RED_FLAGS: tuple[tuple[str, str], ...] = (
    ("saddle", "Numbness between the legs or around the bottom"),
    ("bladder", "New trouble with bladder or bowel control"),
    ("legs", "Leg weakness or numbness that is getting worse"),
    ("fever", "Back pain with a fever or feeling unwell"),
    ("night", "Severe pain at night"),
    ("cancer", "A history of cancer"),
    ("fall", "The pain started after a fall or accident"),
    ("weeks", "The pain has not settled for about six weeks"),
)
URGENT = frozenset({"saddle", "bladder", "legs"})


class CheckinError(Exception):
    """A link that cannot be used; str() is one line for the page."""


class CheckinExpiredError(CheckinError):
    pass


@dataclass(frozen=True, slots=True)
class CheckinLink:
    athlete_key: str
    day: date


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def make_token(secret: bytes, athlete_key: str, day: date) -> str:
    mac = hmac.new(secret, f"{PURPOSE}:{athlete_key}:{day.isoformat()}".encode(), hashlib.sha256).digest()[:18]
    return f"{_b64(athlete_key.encode())}.{day:%Y%m%d}.{_b64(mac)}"


def read_token(secret: bytes, token: str) -> CheckinLink:
    """The athlete and day a genuine token is for; CheckinError when it is forged or cut short."""
    encoded, _, rest = token.partition(".")
    day_text, _, _mac = rest.partition(".")
    try:
        athlete_key = _unb64(encoded).decode("utf-8")
        day = datetime.strptime(day_text, "%Y%m%d").replace(tzinfo=UTC).date()
    except (ValueError, UnicodeDecodeError):
        raise CheckinError("this check-in link is not valid (cut short, or from another syncd)") from None
    if not hmac.compare_digest(make_token(secret, athlete_key, day), token):
        raise CheckinError("this check-in link is not valid (cut short, or from another syncd)")
    return CheckinLink(athlete_key, day)


def check_fresh(link: CheckinLink, today: date) -> None:
    """CheckinExpiredError once the day after the link's day is over (`today` in the athlete's zone)."""
    if today > link.day + VALID_FOR:
        day = f"{link.day:%A} {link.day.day} {link.day:%B}"
        raise CheckinExpiredError(f"this check-in link was for {day} and has expired; wait for today's")


def checkin_url(secret: bytes, base_url: str, athlete: AthleteRecord, day: date) -> str:
    return f"{base_url.rstrip('/')}{PATH}?t={quote(make_token(secret, athlete.key, day), safe='.')}"


def answered(diary: PainDiary, athlete_id: int, day: date) -> bool:
    """Whether the day already has a check-in entry (the link is spent)."""
    entries = diary.entries(athlete_id, day_from=day, day_to=day)
    return any(entry.source is PainSource.CHECKIN for entry in entries)


def has_entry(diary: PainDiary, athlete_id: int, day: date) -> bool:
    """Whether the day has any diary entry (then the daily check-in is not sent)."""
    return bool(diary.entries(athlete_id, day_from=day, day_to=day))


def note_with_flags(note: str, ticked: list[str]) -> str:
    """The diary note: the runner's text, then the red flags they ticked in words."""
    words = [label for code, label in RED_FLAGS if code in ticked]
    parts = [note.strip()] if note.strip() else []
    if words:
        parts.append("Red flags: " + "; ".join(words) + ".")
    return " ".join(parts)
