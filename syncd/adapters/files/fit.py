"""FIT files -> activities: one per session that is a sport (multisport transitions are skipped).

Each session gets the records of its own time window, its own laps and its own totals, so only the run leg of a
triathlon is seen as a run.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import numpy as np
import numpy.typing as npt

from syncd.domain.model import MULTISPORT_AFTER, TRAINING_EFFECT, Activity, FloatArray, Lap, Source, Sport, Streams

from . import numeric
from .errors import FileImportError
from .fit_decode import FitContent, Message, decode
from .fit_limits import check_limits, check_sessions
from .parsed import (
    ParsedActivity,
    clock_suspect,
    external_id,
    make_streams,
    plausible_offset,
    summary,
    utc_from_unix,
)
from .sports import is_indoor_sub_sport, normalise_sport

_NOT_ACTIVITIES = frozenset({"transition"})
_INTENSITY = {
    "active": "active",
    "interval": "active",
    "rest": "rest",
    "recovery": "rest",
    "warmup": "warmup",
    "cooldown": "cooldown",
}
# What ended a lap (FIT lap_trigger): the runner's button, or an automatic split.
_TRIGGER = {
    "manual": "manual",
    "fitness_equipment": "manual",
    "time": "time",
    "distance": "distance",
    "position_start": "position",
    "position_lap": "position",
    "position_waypoint": "position",
    "position_marked": "position",
    "session_end": "session_end",
}
_LAP_KEYS = ("total_distance", "total_elapsed_time", "total_timer_time", "intensity", "lap_trigger", "avg_heart_rate")


def parse_fit(
    data: bytes, name: str, sha256: str, *, fast: bool = True, max_activities: int | None = None
) -> list[ParsedActivity]:
    """Every sport session in a FIT file as a `ParsedActivity` (raises FileImportError on bad input); more than
    `max_activities` sessions (None: fit_limits.MAX_ACTIVITIES) are refused."""
    check_limits(data, name, max_activities=max_activities)  # before any decoder builds anything
    content = decode(data, name, fast=fast)
    times = content.records.get("timestamp")
    if times is None or not np.isfinite(times).any():
        raise FileImportError(name, "FIT file has no timed samples (no record messages)", "export the activity again")
    sessions = _sessions(content, times)
    # the decoders' own count too (framing the walk could not follow)
    check_sessions(len(sessions), name, max_activities=max_activities)
    windows = _windows(sessions)
    legs = [
        (i, s, w) for i, (s, w) in enumerate(zip(sessions, windows, strict=True)) if _sport_of(s) not in _NOT_ACTIVITIES
    ]
    if not legs:
        raise FileImportError(name, "FIT file holds no sport session", "import an activity file, not a settings file")
    # Samples sorted by time once; each leg is a slice of that order (linear in samples + sessions, not a product).
    finite = np.flatnonzero(np.isfinite(times))
    by_time = finite[np.argsort(times[finite], kind="stable")]
    sorted_times = times[by_time]
    out = []
    for k, (index, session, (lo, hi)) in enumerate(legs):
        picked = by_time[np.searchsorted(sorted_times, lo, "left") : np.searchsorted(sorted_times, hi, "left")]
        before = [_sport_value(s) for _, s, _ in legs[:k]]
        leg = _leg(content, session, (lo, hi), picked, index=index, legs=len(legs), name=name, sha256=sha256)
        out.append(_after_legs(leg, before))
    return out


def _extra(session: Message, *, steps_without_laps: bool) -> dict[str, object]:
    """What the rules may read beside the streams: a structured workout's steps with no lap to time them (said as
    "not enough data", never read as laps), and the device's aerobic Training Effect (0-5, judged by the watch
    from heart rate against the runner's own profile) when it is a plausible value."""
    extra: dict[str, object] = {"workout_steps_without_laps": True} if steps_without_laps else {}
    effect = _number(session.get("total_training_effect"))
    if effect is not None and 0.0 < effect <= 5.0:
        extra[TRAINING_EFFECT] = effect
    return extra


def _sport_value(session: Message) -> str:
    return normalise_sport("fit", _sport_of(session), _opt_str(session.get("sub_sport"))).value


def _after_legs(leg: ParsedActivity, before: list[str]) -> ParsedActivity:
    """A multisport recording's later leg keeps the sports of the legs before it (`MULTISPORT_AFTER` in extra): a run
    off the bike after a swim is a triathlon's run, which speed_work reads as a race effort."""
    if not before:
        return leg
    extra = {**leg.activity.extra, MULTISPORT_AFTER: before}
    return replace(leg, activity=replace(leg.activity, extra=extra))


def _sessions(content: FitContent, times: FloatArray) -> list[Message]:
    sessions = [s for s in content.messages.get("session", []) if isinstance(s.get("start_time"), int | float)]
    if sessions:
        sessions.sort(key=lambda s: float(s["start_time"]))
        sports = content.messages.get("sport", [])
        if len(sports) == len(sessions):  # multisport files repeat the sport message per leg, in order
            for session, sport in zip(sessions, sports, strict=True):
                session.setdefault("sport", sport.get("sport"))
                session.setdefault("sub_sport", sport.get("sub_sport"))
        return sessions
    # No session (some devices, crashed recordings): one session over all records.
    finite = times[np.isfinite(times)]
    sport = content.first("sport") or content.first("lap")
    return [
        {
            "start_time": float(finite.min()),
            "total_elapsed_time": float(finite.max() - finite.min()),
            "sport": sport.get("sport", ""),
            "sub_sport": sport.get("sub_sport"),
        }
    ]


def _windows(sessions: list[Message]) -> list[tuple[float, float]]:
    """[start, next start) per session; the first and last are open-ended so no record is lost."""
    starts = [float(s["start_time"]) for s in sessions]
    windows = []
    for i in range(len(starts)):
        lo = -math.inf if i == 0 else starts[i]
        hi = math.inf if i == len(starts) - 1 else starts[i + 1]
        windows.append((lo, hi))
    return windows


def _sport_of(session: Message) -> str:
    return str(session.get("sport") or "")


def _leg(
    content: FitContent,
    session: Message,
    window: tuple[float, float],
    picked: npt.NDArray[np.intp],
    *,
    index: int,
    legs: int,
    name: str,
    sha256: str,
) -> ParsedActivity:
    """One session as an activity; `picked` are its samples' indices in time order."""
    records = content.records

    def column(*names: str) -> FloatArray | None:
        for field in names:
            col = records.get(field)
            if col is not None:
                sliced: FloatArray = col[picked]
                if np.isfinite(sliced).any():
                    return sliced
        return None

    leg_times = records["timestamp"][picked]
    distance_col = column("distance")
    if legs > 1 and distance_col is not None:  # a multisport device counts on across legs: start each at 0
        distance_col = distance_col - np.nanmin(distance_col)
    start_unix = float(session["start_time"])
    if len(leg_times):
        start_unix = min(start_unix, float(leg_times[0]))
    streams = make_streams(
        leg_times - start_unix,
        distance_m=distance_col,
        lat=column("position_lat"),
        lon=column("position_long"),
        altitude_m=column("enhanced_altitude", "altitude"),
        speed_mps=column("enhanced_speed", "speed"),
        heart_rate=column("heart_rate"),
        cadence=column("cadence"),
    )
    sport_value, sub_value = _sport_of(session), _opt_str(session.get("sub_sport"))
    sport = normalise_sport("fit", sport_value, sub_value)
    laps = _laps(content.messages.get("lap", []), window, start_unix, _step_intensity(content))
    steps_without_laps = bool(content.messages.get("workout_step")) and not laps
    activity_msg = content.first("activity")
    offset = _number(activity_msg.get("local_timestamp"))
    stamp = _number(activity_msg.get("timestamp"))
    distance = _positive(session.get("total_distance")) or _stream_total(streams)
    gain, loss = _number(session.get("total_ascent")), _number(session.get("total_descent"))
    if gain is None and loss is None:
        gain, loss = numeric.elevation_gain_loss(streams.altitude_m)
    elapsed = _number(session.get("total_elapsed_time"))
    if elapsed is None and len(streams):
        elapsed = float(streams.time_s[-1])
    moving = _number(session.get("total_moving_time")) or _number(session.get("total_timer_time"))
    if moving is None:
        moving = numeric.moving_time(streams.time_s, streams.distance_m)
    indoor = (
        is_indoor_sub_sport(sub_value)
        or sport in {Sport.TREADMILL_RUN, Sport.VIRTUAL_RUN}
        or (not streams.has_gps and not distance)
    )
    raw = _raw(content, session, window, name=name, leg=(index, legs), samples=len(streams))
    if clock_suspect(start_unix):
        raw["clock_suspect"] = True
    activity = Activity(
        source=Source.FILE,
        external_id=external_id(sha256, index, legs),
        sport=sport,
        sport_original=sport_value if not sub_value else f"{sport_value}/{sub_value}",
        start_utc=utc_from_unix(start_unix),
        name=str(session.get("sport_profile_name") or ""),
        utc_offset_s=plausible_offset(offset - stamp if offset is not None and stamp is not None else None),
        distance_m=distance,
        elapsed_s=elapsed,
        moving_s=moving,
        elevation_gain_m=gain,
        elevation_loss_m=loss,
        indoor=indoor,
        average_heart_rate=_positive(session.get("avg_heart_rate")) or numeric.finite_mean(streams.heart_rate),
        max_heart_rate=_positive(session.get("max_heart_rate")) or numeric.finite_max(streams.heart_rate),
        streams=streams,
        laps=laps,
        extra=_extra(session, steps_without_laps=steps_without_laps),
    )
    return ParsedActivity(activity=activity, raw=raw, source_name=name, content_sha256=sha256)


def _raw(
    content: FitContent,
    session: Message,
    window: tuple[float, float],
    *,
    name: str,
    leg: tuple[int, int],
    samples: int,
) -> dict[str, object]:
    """What the file said, kept with the activity (the session, its laps, the device)."""
    return {
        "file": name,
        "format": "fit",
        "decoder": content.decoder,
        "sport": _sport_of(session),
        "sub_sport": _opt_str(session.get("sub_sport")),
        "leg_index": leg[0],
        "legs": leg[1],
        "samples": samples,
        "session": summary(session),
        "laps": [
            summary({k: lap.get(k) for k in _LAP_KEYS}) for lap in _in_window(content.messages.get("lap", []), window)
        ],
        "device": summary(_device(content)),
    }


def _in_window(laps: list[Message], window: tuple[float, float]) -> list[Message]:
    lo, hi = window
    found = [lap for lap in laps if lo <= (_number(lap.get("start_time")) or -math.inf) < hi]
    return sorted(found, key=lambda lap: float(lap["start_time"]))


def _step_intensity(content: FitContent) -> dict[int, str]:
    """A structured workout's steps by index: their intensity (active/rest/warmup/cooldown) tells a lap that does not
    carry its own what it was. Steps without laps give no timing and are not used."""
    steps: dict[int, str] = {}
    for step in content.messages.get("workout_step", []):
        index, intensity = _number(step.get("message_index")), _INTENSITY.get(str(step.get("intensity") or ""))
        if index is not None and intensity is not None:
            steps[int(index)] = intensity
    return steps


def _laps(
    laps: list[Message], window: tuple[float, float], start_unix: float, steps: dict[int, str] | None = None
) -> tuple[Lap, ...]:
    out = []
    for lap in _in_window(laps, window):
        elapsed = _number(lap.get("total_elapsed_time")) or _number(lap.get("total_timer_time"))
        if elapsed is None:
            continue
        intensity = _INTENSITY.get(str(lap.get("intensity") or ""))
        step = _number(lap.get("wkt_step_index"))
        if intensity is None and step is not None and steps:
            intensity = steps.get(int(step))
        out.append(
            Lap(
                start_offset_s=float(lap["start_time"]) - start_unix,
                elapsed_s=elapsed,
                distance_m=_number(lap.get("total_distance")),
                moving_s=_number(lap.get("total_moving_time")) or _number(lap.get("total_timer_time")),
                intensity=intensity,
                trigger=_TRIGGER.get(str(lap.get("lap_trigger") or "")),
            )
        )
    return tuple(out)


def _device(content: FitContent) -> dict[str, Any]:
    file_id = content.first("file_id")
    keys = ("manufacturer", "product", "garmin_product", "product_name", "type")
    device = {k: file_id[k] for k in keys if k in file_id}
    creator = content.first("device_info")
    if "software_version" in creator:
        device["software_version"] = creator["software_version"]
    return device


def _stream_total(streams: Streams) -> float | None:
    if streams.distance_m is None or not len(streams.distance_m):
        return None
    total = float(streams.distance_m[-1])
    return total if total > 0 else None


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _positive(value: object) -> float | None:
    number = _number(value)
    return number if number is not None and number > 0 else None


def _opt_str(value: object) -> str | None:
    return None if value is None else str(value)
