"""What the activity page says about the note on the platform, beside syncd's own: the text syncd last left there,
whether a newer one waits, and when nothing is written, why (one line a runner can act on).

syncd's own note follows the whole diary; a platform's note only the runner's own #back tags there (docs/pain.md),
so the two texts can differ: the page shows both rather than "written to strava" under a text Strava never got.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

from syncd.domain.model import Source
from syncd.services.write_back_policy import allows, effective_mode

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
        headline = f"A new note waits to be written to {label} (at the next sync, within the rate budget)."
        return PlatformNoteView(write.provider, label, "pending", headline, text, write.note, same)
    if write.status == "failed":
        headline = f"Not written to {label}: {write.error or 'the write failed'}."
        return PlatformNoteView(write.provider, label, "failed", headline, text, None, same)
    if write.outcome == "opted_out":
        headline = f"Not written: you removed syncd's note on {label}, so syncd writes there no more (your opt-out)."
        return PlatformNoteView(write.provider, label, "not_written", headline, None)
    if write.outcome == "skipped_public":
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


def _why_not(
    stored: StoredActivity, provider: str, wanted: str | None, settings: WriteBackSettings, now: datetime
) -> str:
    """The first reason, in the order the write-back decides, that no note goes to `provider`."""
    activity = stored.activity
    section = f"[{provider}] write_back"
    configured = effective_mode(settings.configured.get(provider), "off")  # the one rule: write_back_policy
    mode = effective_mode(settings.athlete.write_back, configured)
    if not activity.sport.is_run:
        return "syncd writes notes on runs only."
    if settings.athlete.write_back == "off":
        return "your write-back is off (`syncd athlete set --write-back all` turns it on)."
    if mode == "off":
        return f"`{section}` is off in the configuration."
    if not allows(mode, private=activity.private):
        return f'`{section} = "private"` writes only to "only me" activities, and this one is visible to others.'
    days = settings.window.days
    if activity.start_utc < now - settings.window:
        return (
            f"it started before the annotation window (the last {days} days); older notes stay in syncd "
            "(`syncd reannotate --since DATE --write-back` writes them)."
        )
    if wanted is None:
        return "not annotated yet; the rules run at the next sync, which queues the note."
    return "not queued yet; the next sync queues it."
