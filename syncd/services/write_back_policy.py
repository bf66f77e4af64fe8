"""Where an activity's note may go, decided once, when the outbox is drained: its own platform, under the athlete's
own write-back choice (`syncd athlete set --write-back`) over that platform's configured `write_back`; "private"
writes only to "only me" activities.

The enqueue decides nothing here: a note whose platform text changed is queued for the activity's own platform
(`own_platform`) inside the annotation window. The drain asks `skip_reason` for each item: None writes it, a reason
holds it (recorded, shown by the activity page and `syncd status`), and the next drain after a settings change
gives the held items that the new setting allows back to the queue (`releasable`), with no re-annotation."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Literal

from syncd.domain.model import Activity, Source

if TYPE_CHECKING:
    from syncd.records import HeldItem

WriteBackMode = Literal["all", "private", "off"]
Providers = Callable[[Activity], Iterable[str]]
MODES: tuple[WriteBackMode, ...] = ("all", "private", "off")
Skip = Literal["athlete_off", "config_off", "public"]
# the outcome a held item records for each reason (what the drain's report and the page's badge say)
SKIP_STATUS: dict[str, str] = {"athlete_off": "off", "config_off": "off", "public": "skipped_public"}


def effective_mode(athlete_mode: str | None, configured: WriteBackMode) -> WriteBackMode:
    """The athlete's own choice when they made one, else the platform's configured `write_back`."""
    for mode in MODES:
        if athlete_mode == mode:
            return mode
    return configured


def allows(mode: WriteBackMode, *, private: bool) -> bool:
    """Whether a note may be written to an activity under `mode` ("private": "only me" activities only)."""
    return mode == "all" or (mode == "private" and private)


def skip_reason(athlete_mode: str | None, configured: WriteBackMode, *, private: bool | None) -> Skip | None:
    """Why a queued note is not written (None: it is). `private` None: the activity's visibility is not known yet
    (before the description is read), so only "off" decides."""
    mode = effective_mode(athlete_mode, configured)
    if mode == "off":
        return "athlete_off" if athlete_mode == "off" else "config_off"
    if private is None or allows(mode, private=private):
        return None
    return "public"


def skip_text(reason: str, provider: str) -> str:
    """The reason as one line a runner can act on (the activity page, `syncd status`)."""
    section = f"[{provider}] write_back"
    if reason == "athlete_off":
        return "your write-back is off (`syncd athlete set --write-back all` turns it on)."
    if reason == "config_off":
        return f"`{section}` is off in the configuration."
    if reason == "public":
        return f'`{section} = "private"` writes only to "only me" activities, and this one is visible to others.'
    return f"{reason}."


def releasable(held: Sequence[HeldItem], modes: Mapping[str, WriteBackMode]) -> list[int]:
    """The held items the settings now allow (with the visibility syncd last stored; the drain reads it fresh)."""
    return [
        item.id
        for item in held
        if skip_reason(item.athlete_write_back, modes.get(item.provider, "all"), private=item.private) is None
    ]


def own_platform(activity: Activity) -> tuple[str, ...]:
    """Where an activity's note is queued: its own platform (twins each carry their own note to their own); a
    file's note stays in syncd."""
    return (activity.source.value,) if activity.source in (Source.STRAVA, Source.GARMIN) else ()
