"""Reading the diary back (`syncd pain --list`, the export): which athlete is meant and each entry as JSON.

Apart from the rest of the diary's use cases (services/pain_diary.py: the mode, the tags, the flare-up analysis),
so listing a diary costs none of their imports (issue 32). Entries are health data: shown only to the person asking.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from syncd.domain.pain import PainEntry, PainInputError

if TYPE_CHECKING:
    from syncd.ports import AthleteReads, AthletesAndAccounts
    from syncd.records import AthleteRecord


def find_athlete(store: AthletesAndAccounts, ref: str) -> AthleteRecord:
    """The athlete named by key ("strava:1001", "local") or id."""
    athletes = store.list_athletes()
    for athlete in athletes:
        if ref in (athlete.key, str(athlete.id)):
            return athlete
    if not athletes:
        raise PainInputError(f"no athlete {ref!r}: there are none yet (link an account or import files first)")
    keys = ", ".join(a.key for a in athletes)
    raise PainInputError(f"no athlete {ref!r}; the athletes are: {keys}")


def entry_json(entry: PainEntry, athlete_key: str) -> dict[str, object]:
    return {
        "athlete": athlete_key,
        "date": entry.day.isoformat(),
        "score": entry.score,
        "source": entry.source.value,
        "activity_id": entry.activity_id,
        "note": entry.note,
    }


def list_entries(store: AthleteReads, athlete_id: int | None = None) -> list[dict[str, object]]:
    keys = {a.id: a.key for a in store.list_athletes()}
    return [entry_json(e, keys.get(e.athlete_id, str(e.athlete_id))) for e in store.pain_diary.entries(athlete_id)]
