"""What "nothing lost, nothing doubled, nothing altered" means for notes on the simulated Strava.

Shared by the fault-injection suite, the crash suite, the shared-workers test and the benchmark, so they all check
the same thing: every eligible run carries exactly one syncd block holding its current note, the athlete's own
text is exactly what Strava stored before (CRLF and emoji included), and nothing the store calls written is
missing on Strava.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from syncd.domain.description import START_MARKER, extract_athlete_text
from syncd.testing.strava_server import StravaSimulator, platform_normalise

if TYPE_CHECKING:
    from syncd.adapters.db.repository import Store

RUN_TYPES = frozenset({"Run", "TrailRun", "VirtualRun"})


@dataclass
class NoteCheck:
    """The outcome of one check; `problems` is empty when every invariant holds."""

    eligible: int = 0
    noted: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def converged(self) -> bool:
        return not self.problems and self.noted == self.eligible


def check_notes(
    store: Store, sim: StravaSimulator, athlete_texts: dict[int, str], *, now: datetime, window_days: int = 30
) -> NoteCheck:
    """Check every run on the simulator against the store's notes (`athlete_texts`: what the athlete wrote)."""
    result = NoteCheck()
    for athlete in list(sim.athletes.values()):
        for activity_id, detail in list(athlete.activities.items()):
            description = sim.description(activity_id) or ""
            blocks = description.count(START_MARKER)
            if blocks > 1:
                result.problems.append(f"activity {activity_id}: {blocks} syncd blocks (doubled note)")
            original = athlete_texts.get(activity_id)
            if original is not None and extract_athlete_text(description) != platform_normalise(original):
                result.problems.append(f"activity {activity_id}: the athlete's text was altered")
            start = datetime.fromisoformat(str(detail["start_date"]).replace("Z", "+00:00"))
            if detail.get("sport_type") not in RUN_TYPES or start < now - timedelta(days=window_days):
                continue
            result.eligible += 1
            stored = store.find_activity_id("strava", str(activity_id))
            latest = store.latest_annotation(stored) if stored is not None else None
            written = latest.written_note if latest is not None else None
            if written is None or blocks != 1:
                continue
            first_line = platform_normalise(written).splitlines()[0]
            if first_line not in description:
                continue  # a newer note not written yet: not converged, not (yet) a problem
            result.noted += 1
    return result


def false_successes(store: Store, sim: StravaSimulator) -> list[str]:
    """Write-backs the store records as done whose note is not on Strava (a failure reported as success)."""
    out = []
    for external_id, item_id in store.outbox_log.done_items("strava"):
        try:
            description = sim.description(int(external_id)) or ""
        except KeyError:
            continue  # deleted on Strava meanwhile
        if START_MARKER not in description:
            out.append(f"outbox item {item_id} is done but activity {external_id} has no note on Strava")
    return out
