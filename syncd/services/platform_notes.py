"""What the activity page says about the note on the platform, beside syncd's own: the text syncd last left there,
whether a newer one waits, and when nothing is written, why (one line a runner can act on).

syncd's own note follows the whole diary; a platform's note only the runner's own #back tags there (docs/pain.md),
so the two texts can differ: the page shows both rather than "written to strava" under a text Strava never got.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

from syncd.domain.model import Source
from syncd.logging import redact_text
from syncd.services.write_back_policy import Skip, effective_mode, skip_reason, skip_text

if TYPE_CHECKING:
    from syncd.records import AthleteRecord, PlatformWrite, StoredActivity

State = Literal["written", "pending", "failed", "not_written"]
LABELS = {"strava": "Strava", "garmin": "Garmin Connect"}


# Why an up-to-date platform note differs from syncd's own (a sore-mode note above, "Mode: staying well" below).
PRIVATE_DIARY = (
    "It differs from syncd's note above: the note on {label} follows only your #back tags there, never your diary."
)


@dataclass(frozen=True, slots=True)
class PlatformNoteView:
    provider: str
    label: str
    state: State
    headline: str  # one line: what is there, or why nothing is
    on_platform: str | None  # the text syncd last left there
    queued: str | None = None  # a newer text waiting to be written
    same_as_own: bool = False  # the platform's text is syncd's own note word for word
    queued_heading: str = "Waiting to be written:"


@dataclass(frozen=True, slots=True)
class WriteBackSettings:
    """What decides whether a note goes to a platform: the configured `write_back` per platform, the athlete's own
    choice over it, and the annotation window."""

    configured: Mapping[str, str]
    athlete: AthleteRecord
    window: timedelta


def platform_notes(
    stored: StoredActivity,
    writes: Sequence[PlatformWrite],
    *,
    own: str | None,
    wanted: str | None,
    settings: WriteBackSettings,
    now: datetime,
) -> list[PlatformNoteView]:
    """One view per platform the note may go to (the activity's own, and any that a write-back went to)."""
    by_provider = {w.provider: w for w in writes}
    providers = list(by_provider)
    source = stored.activity.source.value
    if stored.activity.source in (Source.STRAVA, Source.GARMIN) and source not in by_provider:
        providers.insert(0, source)
    views = []
    for provider in providers:
        write = by_provider.get(provider)
        if write is None:
            why = _why_not(stored, provider, wanted, settings, now)
            views.append(PlatformNoteView(provider, _label(provider), "not_written", f"Not written: {why}", None))
        else:
            views.append(_from_write(write, stored, own=own, wanted=wanted, settings=settings, now=now))
    return views


def _label(provider: str) -> str:
    return LABELS.get(provider, provider)


def _from_write(
    write: PlatformWrite,
    stored: StoredActivity,
    *,
    own: str | None,
    wanted: str | None,
    settings: WriteBackSettings,
    now: datetime,
) -> PlatformNoteView:
    label, text = _label(write.provider), write.on_platform
    same = text is not None and text == own
    if write.status in ("pending", "claimed"):
        return PlatformNoteView(write.provider, label, "pending", _waiting(write, label, now), text, write.note, same)
    if write.status == "held":
        return _held(write, stored, settings, text=text, same=same)
    if write.status == "failed":
        headline = f"Not written to {label}: {safe_error(write.error) or 'the write failed'}."
        return PlatformNoteView(write.provider, label, "failed", headline, text, None, same)
    if write.outcome == "opted_out":
        headline = f"Not written: you removed syncd's note on {label}, so syncd writes there no more (your opt-out)."
        return PlatformNoteView(write.provider, label, "not_written", headline, None)
    if write.outcome == "removed":  # its note went (a run turned into a ride): the runner's text is all there is
        when = f"{write.written_at or write.updated_at:%d %b %Y %H:%M} UTC"
        return PlatformNoteView(write.provider, label, "written", f"syncd's note removed from {label} on {when}.", None)
    if write.outcome == "skipped_public":  # held before issue 27's drain decision: finished, not held
        why = _why_not(stored, write.provider, wanted, settings, now)
        return PlatformNoteView(write.provider, label, "not_written", f"Not written: {why}", text, None, same)
    when = f"{write.written_at or write.updated_at:%d %b %Y %H:%M} UTC"
    headline = f"Written to {label} on {when}."
    if wanted is not None and wanted != text:
        headline += (
            f" syncd's newer note for {label} is not written: {_why_not(stored, write.provider, wanted, settings, now)}"
        )
    elif text is not None and own is not None and not same:
        headline += f" {PRIVATE_DIARY.format(label=label)}"
    return PlatformNoteView(write.provider, label, "written", headline, text, None, same)


def _waiting(write: PlatformWrite, label: str, now: datetime) -> str:
    """A queued note: due at the next sync, or a retry after a failure (with its reason and when)."""
    retry = write.next_attempt_at is not None and write.next_attempt_at > now
    if write.error and retry:
        return (
            f"Not written to {label} yet: {safe_error(write.error)}. "
            f"Next attempt after {write.next_attempt_at:%d %b %H:%M} UTC."
        )
    if not write.note:
        return f"syncd's note waits to be removed from {label} (at the next sync, within the rate budget)."
    return f"A new note waits to be written to {label} (at the next sync, within the rate budget)."


def _held(
    write: PlatformWrite, stored: StoredActivity, settings: WriteBackSettings, *, text: str | None, same: bool
) -> PlatformNoteView:
    """Held at the drain (write_back_policy): why; or, when the settings allow it now, that the next sync writes it."""
    label = _label(write.provider)
    if _skip_now(stored, write.provider, settings) is None:
        headline = f"A note waits to be written to {label}: the write-back allows it now, so the next sync writes it."
        return PlatformNoteView(write.provider, label, "pending", headline, text, write.note, same)
    headline = f"Not written to {label}: {skip_text(write.reason or 'held', write.provider)}"
    held = PlatformNoteView(write.provider, label, "not_written", headline, text, write.note, same)
    return replace(held, queued_heading="syncd writes this when the write-back allows it:")


def safe_error(error: str | None) -> str:
    """An error as the page may show it: its first line, secrets redacted, at most 160 characters."""
    if not error:
        return ""
    line = redact_text(error.strip().splitlines()[0] if error.strip() else "")
    return line if len(line) <= 160 else line[:159] + "…"


def _skip_now(stored: StoredActivity, provider: str, settings: WriteBackSettings) -> Skip | None:
    """What the next drain decides under the current settings, with the visibility syncd stored."""
    configured = effective_mode(settings.configured.get(provider), "off")
    return skip_reason(settings.athlete.write_back, configured, private=stored.activity.private)


def _why_not(
    stored: StoredActivity, provider: str, wanted: str | None, settings: WriteBackSettings, now: datetime
) -> str:
    """The first reason, in the order the write-back decides, that no note goes to `provider`."""
    activity = stored.activity
    if not activity.sport.is_run:
        return "syncd writes notes on runs only."
    skip = _skip_now(stored, provider, settings)  # the one rule: write_back_policy
    if skip is not None:
        return skip_text(skip, provider)
    days = settings.window.days
    if activity.start_utc < now - settings.window:
        return (
            f"it started before the annotation window (the last {days} days); older notes stay in syncd "
            "(`syncd reannotate --since DATE --write-back` writes them)."
        )
    if wanted is None:
        return "not annotated yet; the rules run at the next sync, which queues the note."
    return "not queued yet; the next sync queues it."
