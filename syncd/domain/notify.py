"""What a push notification says and when it may go: quiet hours in the athlete's zone, retry back-off.

Pure: times in, times out. The texts reuse the note's own wording (syncd's note as the feed shows it: its mode line
says which advice mode and why, never a pain score or a date) and add links; nothing here diagnoses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from enum import StrEnum

from syncd.domain.flags import Flag, Severity
from syncd.domain.notes import TITLES

# Waits before the 2nd, 3rd, … attempt; after the last one the message is given up (and shown in `syncd status`).
BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
)
MAX_ATTEMPTS = len(BACKOFF) + 1
# A note is pushed only for a run this recent: a first sync of 30 days, or a re-annotation, pushes nothing old.
FRESH = timedelta(hours=48)


class Kind(StrEnum):
    NOTE = "note"
    DIGEST = "digest"
    CHECKIN = "checkin"
    TEST = "test"


@dataclass(frozen=True, slots=True)
class Message:
    title: str
    body: str
    link: str | None = None


@dataclass(frozen=True, slots=True)
class QueuedNotification:
    """One message for one target, as the outbox hands it to a delivery (the target by name, never its URL)."""

    id: int
    athlete_id: int
    kind: str
    ref: str
    target: str
    title: str
    body: str
    link: str | None
    attempts: int


def quiet_until(now: datetime, zone: tzinfo, start_hour: int, end_hour: int) -> datetime | None:
    """When the quiet hours around `now` end (UTC-aware), or None when `now` is not in them.

    Quiet from `start_hour` to `end_hour` local (22 -> 7 spans midnight); equal hours mean no quiet hours.
    """
    if start_hour == end_hour:
        return None
    local = now.astimezone(zone)
    hour = local.hour
    quiet = start_hour <= hour < end_hour if start_hour < end_hour else (hour >= start_hour or hour < end_hour)
    if not quiet:
        return None
    end = local.replace(hour=end_hour, minute=0, second=0, microsecond=0)
    if end <= local:
        end = (local + timedelta(days=1)).replace(hour=end_hour, minute=0, second=0, microsecond=0)
    return end.astimezone(now.tzinfo)


def next_attempt(attempts: int, now: datetime) -> datetime | None:
    """When to retry after `attempts` failed tries, or None to give up."""
    if attempts >= MAX_ATTEMPTS:
        return None
    return now + BACKOFF[max(0, attempts - 1)]


def worth_pushing(flags: tuple[Flag, ...]) -> bool:
    """A caution or a high flag: what a runner should hear about soon, not only in the weekly digest."""
    return any(flag.severity in (Severity.CAUTION, Severity.HIGH) for flag in flags)


def note_message(
    name: str, day: date, *, flags: tuple[Flag, ...], note: str | None, link: str | None, checkin: str | None
) -> Message:
    """The run's note, with its worst severity in the title and links to the note and to today's check-in."""
    worst = max((flag.severity for flag in flags), key=lambda severity: severity.rank, default=Severity.INFO)
    shown = [f"{TITLES.get(flag.code, flag.code.value)} ({flag.severity.value})" for flag in flags]
    title = f"Back-care {worst.value}: {name or 'your run'} ({day:%a} {day.day} {day:%b})"
    lines = [note.strip() if note else "; ".join(shown)]
    if link:
        lines.append(f"The whole note: {link}")
    if checkin:
        lines.append(f"How is your back today? One tap: {checkin}")
    return Message(title, "\n\n".join(lines), link)


def digest_message(subject: str, summary: str, link: str | None) -> Message:
    lines = [summary]
    if link:
        lines.append(f"The whole week: {link}")
    return Message(subject, "\n\n".join(lines), link)


def checkin_message(link: str) -> Message:
    return Message(
        "How is your back today?",
        f"One tap from 0 (no pain) to 10 records it in your back diary: {link}",
        link,
    )


def trial_message() -> Message:
    return Message("syncd test", "This is a test message from syncd: notifications reach you here.")
