"""Where an activity's note may go, decided by one rule: its own platform, under the athlete's own write-back
choice (`syncd athlete set --write-back`) over that platform's configured `write_back`; "private" writes only to
"only me" activities.

Every path asks here: the enqueue (annotate_stored, a batch, the backfill), the drain (which applies the account's
current choice to what is queued, with the privacy read fresh from the platform), the dry run, and the activity
page's "not written: why"."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Literal

from syncd.domain.model import Activity, Source

if TYPE_CHECKING:
    from syncd.ports import AthleteRepository

WriteBackMode = Literal["all", "private", "off"]
Providers = Callable[[Activity], Iterable[str]]
MODES: tuple[WriteBackMode, ...] = ("all", "private", "off")


def effective_mode(athlete_mode: str | None, configured: WriteBackMode) -> WriteBackMode:
    """The athlete's own choice when they made one, else the platform's configured `write_back`."""
    for mode in MODES:
        if athlete_mode == mode:
            return mode
    return configured


def allows(mode: WriteBackMode, *, private: bool) -> bool:
    """Whether a note may be written to an activity under `mode` ("private": "only me" activities only)."""
    return mode == "all" or (mode == "private" and private)


def write_back_providers(*, strava: WriteBackMode = "off", garmin: WriteBackMode = "off") -> Providers:
    """The configured modes (per platform) as the platforms an activity's note goes to.

    Twins of one run (Strava + Garmin) each carry their own note to their own platform.
    """
    modes = {Source.STRAVA: ("strava", strava), Source.GARMIN: ("garmin", garmin)}

    def providers(activity: Activity) -> Iterable[str]:
        provider, mode = modes.get(activity.source, ("", "off"))
        return (provider,) if allows(mode, private=activity.private) else ()

    return providers


def athlete_write_back(
    store: AthleteRepository, athlete_id: int, activity: Activity, default: Iterable[str]
) -> Iterable[str]:
    """The athlete's own write-back mode over the platform's `write_back` (`default`: what the platform's allows)."""
    mode = store.get_athlete(athlete_id).write_back
    provider = activity.source.value
    if mode not in MODES or provider not in ("strava", "garmin"):
        return default
    return (provider,) if allows(effective_mode(mode, "off"), private=activity.private) else ()
