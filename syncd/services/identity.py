"""Cross-platform identity: most Garmin watches also upload to Strava, so one run arrives twice.

A Garmin run and a Strava run of the same athlete whose starts are within 2 minutes and whose distances are within
3 % (durations, when neither has a distance) are one logical activity: both rows get the same `logical_group`.
Then its load counts once (Store.history, digests), both twins are annotated from the richer recording (its
streams are copied onto the poorer twin, as a Strava export's streams are onto its synced twin), and each twin's
note goes to its own platform when that platform's `write_back` says so, so the athlete chooses where notes go.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import timedelta
from itertools import combinations
from typing import TYPE_CHECKING

import numpy as np

from syncd.domain.model import Source, Streams
from syncd.logging import get_logger
from syncd.records import TwinFacts

if TYPE_CHECKING:
    from syncd.ports import ActivityRepository, TwinLinks, UnitsOfWork


START_TOLERANCE = timedelta(minutes=2)
DISTANCE_TOLERANCE = 0.03
PLATFORMS = (Source.GARMIN.value, Source.STRAVA.value)
log = get_logger("syncd.identity")


def _close(a: float | None, b: float | None, tolerance: float) -> bool | None:
    """Within `tolerance` of the larger value; None when either is missing (cannot tell)."""
    if a is None or b is None or a <= 0 or b <= 0:
        return None
    return abs(a - b) <= tolerance * max(a, b)


def same_run(a: TwinFacts, b: TwinFacts) -> bool:
    """Starts within 2 minutes and distances within 3 % (durations when a distance is missing), on two platforms."""
    return a.source != b.source and _same_recording(a, b)


def _same_recording(a: TwinFacts, b: TwinFacts) -> bool:
    if a.athlete_id != b.athlete_id:
        return False
    if abs((a.start_utc - b.start_utc).total_seconds()) > START_TOLERANCE.total_seconds():
        return False
    distance = _close(a.distance_m, b.distance_m, DISTANCE_TOLERANCE)
    if distance is not None:
        return distance
    return bool(_close(a.duration_s, b.duration_s, DISTANCE_TOLERANCE))


def richness(streams: Streams | None) -> tuple[int, int, int]:
    """How much a recording holds: (has GPS, channels with data, samples); the larger tuple is richer."""
    if streams is None:
        return (0, 0, 0)
    present = sum(1 for column in streams.channels().values() if np.isfinite(column).any())
    return (int(streams.has_gps), present, len(streams))


@dataclass(frozen=True)
class Linked:
    group: str
    activity_ids: tuple[int, ...]
    streams_from: int | None = None  # the twin whose streams now serve the group


def link_twin(links: TwinLinks, activity_id: int) -> Linked | None:
    """Find the other platform's twin of a stored Garmin/Strava activity and group them; None if there is none.

    Idempotent: an activity already grouped with a twin that still matches gives the same group again. Ambiguous
    (this run matches two on the other platform, or its match matches two on this one): nothing is linked, both
    are kept and counted, and the run with two matches carries a warning that `syncd status` shows.
    """
    me = links.twins.twin_facts(activity_id)
    if me is None or me.source not in PLATFORMS:
        return None
    mine = _candidates(links, me)
    twin = next((f for f in mine if me.logical_group is not None and f.logical_group == me.logical_group), None)
    if twin is None:
        if len(mine) > 1:
            _ambiguous(links, me, mine)
            return None
        if not mine:
            return None
        twin = mine[0]
        theirs = _candidates(links, twin)
        if len(theirs) > 1:
            _ambiguous(links, twin, theirs)
            return None
    group = me.logical_group or twin.logical_group or f"run:{min(me.id, twin.id)}"
    ids = (me.id, twin.id) if me.id < twin.id else (twin.id, me.id)
    if me.logical_group != group or twin.logical_group != group:
        links.twins.set_logical_group(ids, group)
        for linked in ids:  # an ambiguity resolved (the duplicate deleted): its warning goes
            links.activities.set_input_warning(linked, TWIN_WARNING, None)
        log.info("twins_linked", group=group, activity_ids=list(ids), sources=[me.source, twin.source])
    return Linked(group, ids, _share_richer_streams(links, ids))


TWIN_WARNING = "twin"


def _candidates(links: TwinLinks, me: TwinFacts) -> list[TwinFacts]:
    """The other platform's runs that are the same run as `me` and not already the twin of another of mine."""
    others = [
        f
        for f in links.twins.twins_near(me.athlete_id, me.start_utc, START_TOLERANCE, PLATFORMS)
        if f.id != me.id and same_run(me, f)
    ]
    free = [
        f for f in others if f.logical_group is None or f.logical_group == me.logical_group or not _taken(links, f, me)
    ]
    return sorted(free, key=lambda f: (abs((f.start_utc - me.start_utc).total_seconds()), f.id))


def _ambiguous(links: TwinLinks, me: TwinFacts, candidates: list[TwinFacts]) -> None:
    found = Ambiguous(me.id, tuple(sorted(f.id for f in candidates)))
    log.warning("twin_ambiguous", activity_id=me.id, candidates=list(found.candidates))
    links.activities.set_input_warning(me.id, TWIN_WARNING, found.reason)


@dataclass(frozen=True)
class Ambiguous:
    """A run (a file or a platform's) that matches more than one: all are kept (counted apart) and the reason is
    reported (the import says it; `syncd status` shows it until the duplicate is gone)."""

    activity_id: int
    candidates: tuple[int, ...]

    @property
    def reason(self) -> str:
        others = ", ".join(str(i) for i in self.candidates)
        return (
            f"activity {self.activity_id} matches {len(self.candidates)} other runs ({others}) by start time and "
            "distance: kept apart, each counted; delete the wrong copy if one is a duplicate"
        )


FILE_TWIN_SOURCES = (Source.FILE.value, *PLATFORMS)


def link_file_twin(links: TwinLinks, activity_id: int) -> Linked | Ambiguous | None:
    """A file that is the same run as another file (the watch's FIT and its GPX/TCX export, in one import or a
    watched folder) or as a Strava/Garmin activity: one logical activity, counted once in every history and
    digest (each file keeps its own recording and note). Matches that are not one run among themselves (they do
    not match each other, or already belong to two runs): ambiguous, nothing is linked."""
    me = links.twins.twin_facts(activity_id)
    if me is None or me.source != Source.FILE.value:
        return None
    near = links.twins.twins_near(me.athlete_id, me.start_utc, START_TOLERANCE, FILE_TWIN_SOURCES)
    others = [f for f in near if f.id != me.id and _same_recording(me, f)]
    if not others:
        return None
    ids = tuple(sorted({me.id, *(f.id for f in others)}))
    mine = me.logical_group
    outside = [f for f in others if mine is None or f.logical_group != mine]
    if not outside:
        assert mine is not None
        return Linked(mine, ids)
    groups = {f.logical_group for f in outside if f.logical_group} | ({mine} if mine else set())
    agree = all(
        _same_recording(a, b) or (a.logical_group is not None and a.logical_group == b.logical_group)
        for a, b in combinations(outside, 2)
    )
    if not agree or len(groups) > 1:
        found = Ambiguous(me.id, tuple(sorted(f.id for f in others)))
        log.warning("twin_ambiguous", activity_id=me.id, candidates=list(found.candidates))
        links.activities.set_input_warning(me.id, TWIN_WARNING, found.reason)
        return found
    group = next(iter(groups), None) or f"run:{ids[0]}"
    links.twins.set_logical_group(ids, group)
    links.activities.set_input_warning(me.id, TWIN_WARNING, None)
    log.info("twins_linked", group=group, activity_ids=list(ids), sources=sorted({f.source for f in others}))
    return Linked(group, ids)  # each file keeps its own recording: a re-import of the same bytes changes nothing


def _taken(links: TwinLinks, candidate: TwinFacts, me: TwinFacts) -> bool:
    assert candidate.logical_group is not None
    return any(m.source == me.source and m.id != me.id for m in links.twins.group_members(candidate.logical_group))


def _share_richer_streams(links: TwinLinks, ids: Iterable[int]) -> int | None:
    """Copy the richest twin's streams onto the others (their own summary, raw data and ids stay)."""
    twins = [links.activities.get_activity(i, with_streams=True) for i in ids]
    best = max(twins, key=lambda s: (richness(s.activity.streams), -s.id))
    if best.activity.streams is None:
        return None
    for twin in twins:
        if twin.id == best.id or richness(twin.activity.streams) >= richness(best.activity.streams):
            continue
        origin = f"{best.activity.source.value}:{best.activity.external_id}"
        activity = replace(
            twin.activity, streams=best.activity.streams, extra={**dict(twin.activity.extra), "streams_from": origin}
        )
        links.activities.upsert_activity(twin.athlete_id, activity, twin.raw)
        log.info("twin_streams_shared", activity_id=twin.id, streams_from=origin)
    return best.id


def link_imported_files(links: TwinLinks, activity_id: int) -> Linked | None:
    """A Strava/Garmin run that arrives after its file was imported joins the file's group (the other order is
    `link_file_twin` at import), so the run counts once whichever came first. None: no file of it."""
    me = links.twins.twin_facts(activity_id)
    if me is None or me.source not in PLATFORMS:
        return None
    files = [
        f
        for f in links.twins.twins_near(me.athlete_id, me.start_utc, START_TOLERANCE, (Source.FILE.value,))
        if _same_recording(me, f) and (f.logical_group is None or f.logical_group != me.logical_group)
    ]
    found = None
    for file in files:
        linked = link_file_twin(links, file.id)
        if isinstance(linked, Linked):
            found = linked
    return found


def may_have_twins(source: str) -> bool:
    """Whether activities from this source can have a twin (a platform's on the other platform; a watched
    folder's file as another file or a platform's activity)."""
    return source in FILE_TWIN_SOURCES


def link_all(units: UnitsOfWork, activity_ids: Iterable[int]) -> list[Linked]:
    """`link_one` for each id, each in a unit of work of its own (its group, the streams shared onto its twin and
    the warnings change together or not at all); a fault stays with its activity. The groups found, once each."""
    found: dict[str, Linked] = {}
    for activity_id in activity_ids:
        try:
            with units.unit_of_work() as uow:
                linked = link_one(uow, activity_id)
                uow.commit()
        except Exception as exc:  # one activity's fault never stops the others
            log.warning("twin_link_failed", activity_id=activity_id, error=f"{type(exc).__name__}: {exc}")
            continue
        if linked is not None:
            found[linked.group] = linked
    return list(found.values())


def link_one(links: TwinLinks, activity_id: int) -> Linked | None:
    """The twin group of one stored activity, whatever its source: a platform's run with the other platform's, a
    file (a watched folder's) with another file or a platform's copy, a platform's run with its file."""
    linked = link_twin(links, activity_id)
    if linked is None:
        from_file = link_file_twin(links, activity_id)
        linked = from_file if isinstance(from_file, Linked) else None
    return link_imported_files(links, activity_id) or linked


# A platform's bulk export imported with `syncd import` holds the same activities as the platform itself, under
# these external ids (adapters/files/export.py): when the platform's copy arrives, it takes the export's streams
# (no request for them) and the imported copy is retired, so the run counts once.
EXPORT_PREFIXES = {Source.STRAVA.value: "strava-export:"}


def imported_twin(store: ActivityRepository, provider: str, external_id: str) -> int | None:
    """The stored id of this activity's copy from the platform's imported bulk export, if there is one."""
    prefix = EXPORT_PREFIXES.get(provider)
    return None if prefix is None else store.find_activity_id(Source.FILE.value, prefix + external_id)


def imported_streams(store: ActivityRepository, provider: str, external_id: str) -> Streams | None:
    """The streams of the imported copy (so the platform's are not requested again), or None."""
    twin_id = imported_twin(store, provider, external_id)
    return None if twin_id is None else store.get_activity(twin_id, with_streams=True).activity.streams


def retire_imported_twin(store: ActivityRepository, provider: str, external_id: str) -> None:
    """One logical activity: the synced copy wins over the imported one."""
    prefix = EXPORT_PREFIXES.get(provider)
    if prefix is not None and imported_twin(store, provider, external_id) is not None:
        store.mark_deleted(Source.FILE.value, prefix + external_id)
