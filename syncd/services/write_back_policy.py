"""Which platforms an activity's note goes to: its own platform, when that platform's `write_back` allows it."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from syncd.domain.model import Activity, Source
from syncd.services.writeback import WriteBackMode

Providers = Callable[[Activity], Iterable[str]]


def write_back_providers(*, strava: WriteBackMode = "off", garmin: WriteBackMode = "off") -> Providers:
    """For annotate_stored/reannotate: "all", "private" (only-me activities only) or "off", per platform.

    Twins of one run (Strava + Garmin) each carry their own note to their own platform.
    """
    modes = {Source.STRAVA: ("strava", strava), Source.GARMIN: ("garmin", garmin)}

    def providers(activity: Activity) -> Iterable[str]:
        provider, mode = modes.get(activity.source, ("", "off"))
        if mode == "all" or (mode == "private" and activity.private):
            return (provider,)
        return ()

    return providers
