"""What "nothing lost, nothing doubled, nothing altered" means for notes on the simulated Strava and Garmin.

Shared by the fault-injection suite, the crash suite, the shared-workers test and the benchmark, so they all check
the same thing: every eligible run carries exactly one syncd block holding its current note, the athlete's own
text is exactly what the platform stored before (CRLF and emoji included), and nothing the store calls written is
missing on the platform. Both platforms normalise a description the same way (CRLF -> LF, trailing spaces trimmed).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from syncd.domain.description import START_MARKER, extract_athlete_text
from syncd.testing.garmin_server import GarminSimulator
from syncd.testing.loopback import platform_normalise
from syncd.testing.strava_server import StravaSimulator

if TYPE_CHECKING:
    from syncd.adapters.db.repository import Store

RUN_TYPES = frozenset({"Run", "TrailRun", "VirtualRun"})
GARMIN_RUN_TYPES = frozenset({"running", "trail_running", "treadmill_running", "track_running", "virtual_run"})


@dataclass
class NoteCheck:
    """The outcome of one check; `problems` is empty when every invariant holds."""

    eligible: int = 0
    noted: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def converged(self) -> bool:
        return not self.problems and self.noted == self.eligible


@dataclass(frozen=True)
class RemoteActivity:
    """One activity as the platform holds it now: what the checks need, whichever platform it is."""

    activity_id: int
    description: str
    is_run: bool
    start: datetime


def check_notes(
    store: Store, sim: StravaSimulator, athlete_texts: dict[int, str], *, now: datetime, window_days: int = 30
) -> NoteCheck:
    """Check every run on the simulated Strava against the store's notes (`athlete_texts`: what the athlete
    wrote)."""
    remote = [
        RemoteActivity(
            activity_id,
            sim.description(activity_id) or "",
            detail.get("sport_type") in RUN_TYPES,
            datetime.fromisoformat(str(detail["start_date"]).replace("Z", "+00:00")),
        )
        for athlete in list(sim.athletes.values())
        for activity_id, detail in list(athlete.activities.items())
    ]
    return check_remote(store, "strava", remote, athlete_texts, now=now, window_days=window_days)


def check_garmin_notes(
    store: Store, sim: GarminSimulator, athlete_texts: dict[int, str], *, now: datetime, window_days: int = 30
) -> NoteCheck:
    """The same check against the simulated Garmin Connect."""
    remote = [
        RemoteActivity(
            activity_id,
            sim.description(activity_id) or "",
            activity["activityTypeDTO"]["typeKey"] in GARMIN_RUN_TYPES,
            datetime.fromisoformat(activity["summaryDTO"]["startTimeGMT"]).replace(tzinfo=UTC),
        )
        for user in list(sim.users.values())
        for activity_id, activity in list(user.activities.items())
    ]
    return check_remote(store, "garmin", remote, athlete_texts, now=now, window_days=window_days)


def check_remote(
    store: Store,
    provider: str,
    remote: Iterable[RemoteActivity],
    athlete_texts: dict[int, str],
    *,
    now: datetime,
    window_days: int = 30,
) -> NoteCheck:
    """Every run inside the window carries exactly one block holding its current note; the athlete's text is what
    the platform stored before; no activity has two blocks."""
    result = NoteCheck()
    for item in remote:
        blocks = item.description.count(START_MARKER)
        if blocks > 1:
            result.problems.append(f"activity {item.activity_id}: {blocks} syncd blocks (doubled note)")
        original = athlete_texts.get(item.activity_id)
        if original is not None and extract_athlete_text(item.description) != platform_normalise(original):
            result.problems.append(f"activity {item.activity_id}: the athlete's text was altered")
        if not item.is_run or item.start < now - timedelta(days=window_days):
            continue
        result.eligible += 1
        stored = store.find_activity_id(provider, str(item.activity_id))
        latest = store.latest_annotation(stored) if stored is not None else None
        written = latest.written_note if latest is not None else None
        if written is None or blocks != 1:
            continue
        first_line = platform_normalise(written).splitlines()[0]
        if first_line not in item.description:
            continue  # a newer note not written yet: not converged, not (yet) a problem
        result.noted += 1
    return result


def false_successes(store: Store, sim: StravaSimulator | GarminSimulator, provider: str = "strava") -> list[str]:
    """Write-backs the store records as done whose note is not on the platform (a failure reported as success)."""
    out = []
    for external_id, item_id in store.outbox_log.done_items(provider):
        try:
            description = sim.description(int(external_id)) or ""
        except KeyError:
            continue  # deleted on the platform meanwhile
        if START_MARKER not in description:
            out.append(f"outbox item {item_id} is done but {provider} activity {external_id} has no note there")
    return out
