"""Whether a run's samples are still on its platform only: one answer for the rules, the pages and the fetch.

A run older than the annotation window is stored from the platform's listing (a summary: no laps, no samples);
its detail and streams come later from the rate budget left over each day. Until then every figure that needs the
samples must say "no streams yet", never 0 and never "no samples recorded" (that is for recordings that truly
have none: a manual entry, a detail fetched whose streams the platform does not have).
"""

from __future__ import annotations

from collections.abc import Mapping

from syncd.domain.model import Activity, Source, Sport

NO_STREAMS_YET = "no streams yet"
# What each platform's mapping writes into `extra` once the activity's detail is stored (the summary lacks it).
_DETAIL_KEYS = {Source.STRAVA: "strava_detail", Source.GARMIN: "garmin_detail"}


def streams_pending(source: Source, sport: Sport, *, has_streams: bool, extra: Mapping[str, object]) -> bool:
    """A platform run stored from its summary only, not entered by hand: its samples exist and are not here yet."""
    key = _DETAIL_KEYS.get(source)
    if key is None or not sport.is_run or has_streams:
        return False
    return not extra.get(key) and not extra.get("manual")


def awaiting_streams(activity: Activity) -> bool:
    """`streams_pending` of an activity loaded with its streams (one loaded without them cannot tell)."""
    return streams_pending(
        activity.source, activity.sport, has_streams=activity.streams is not None, extra=activity.extra
    )
