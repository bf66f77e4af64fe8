"""The corpus runners' own history, as syncd's sync would hold it: one summary per earlier activity (issue 28).

A labeller who calls an even 10 km "a race" reads it against the runner's other runs ("easy runs here are
6:09-7:09/km"); syncd reads it the same way, against the history the sync stored. A file judged alone has neither,
so for the sources that publish a runner's whole activity list (running_page repositories: src/static/activities.json,
or every recording under FIT_OUT/) the corpus also holds that runner's summaries in the 44 days before each labelled
run (start, sport, time, distance, average speed and heart rate, climb: no route, no place, no name):
tests/fixtures/real/summaries/<prefix>.json.gz, one per file prefix, made by `build` below and listed in
summaries/MANIFEST.tsv and tests/fixtures/LICENSES. bench.corpus_loso --with-history and the corpus tests judge a
labelled run with them.

Usage (once, from a fetched snapshot of the source repository):
    python -m bench.corpus_summaries PREFIX GIT_DIR COMMIT activities.json|FIT_OUT
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from bench.corpus_score import REAL, load_labels, parsed, subject
from syncd.adapters.files import load_activities
from syncd.adapters.files.errors import FileImportError
from syncd.adapters.files.sports import normalise_sport
from syncd.domain.history import HISTORY_WINDOW, HistoryEntry, summarize
from syncd.domain.model import Sport

SUMMARIES = REAL / "summaries"
# The labelled run itself is in its runner's list too: a summary starting this close to it is that run.
SAME_RUN = timedelta(minutes=10)
# running_page's activity types (Strava's, Keep's and Garmin's spellings) that normalise_sport does not know.
RUNNING_PAGE_TYPES = {"cycling": "Ride", "hiking": "Hike", "walking": "Walk", "mountaineering": "Hike"}


def prefix_of(file: str) -> str:
    """ "corpus/x3_532000702.fit.gz" -> "x3": the corpus names a file by its source prefix."""
    return file.removeprefix("corpus/").split("_", 1)[0]


@cache
def summaries(prefix: str) -> tuple[HistoryEntry, ...] | None:
    """The runner's stored summaries for the files named `prefix_...`, or None when the source publishes none."""
    path = SUMMARIES / f"{prefix}.json.gz"
    if not path.exists():
        return None
    return tuple(_entry(prefix, row) for row in json.loads(gzip.decompress(path.read_bytes())))


def history_for(file: str) -> tuple[HistoryEntry, ...] | None:
    """`file`'s runner's history, without the labelled run's own summary (syncd links that twin to the file)."""
    history = summaries(prefix_of(file))
    if history is None:
        return None
    starts = [activity.start_utc for activity in subject(parsed(file))]
    return tuple(e for e in history if all(abs(e.start_utc - start) > SAME_RUN for start in starts))


def _entry(prefix: str, row: dict[str, Any]) -> HistoryEntry:
    return HistoryEntry(
        key=("summary", f"{prefix}:{row['start_utc']}"),
        sport=Sport(row["sport"]),
        start_utc=datetime.fromisoformat(row["start_utc"]),
        utc_offset_s=int(row["utc_offset_s"]),
        duration_s=float(row["duration_s"]),
        distance_m=row["distance_m"],
        average_heart_rate=row["average_heart_rate"],
        average_speed_mps=row["average_speed_mps"],
        elevation_gain_m=row["elevation_gain_m"],
    )


def _row(entry: HistoryEntry) -> dict[str, Any]:
    return {
        "start_utc": entry.start_utc.isoformat(),
        "utc_offset_s": entry.utc_offset_s,
        "sport": entry.sport.value,
        "duration_s": round(entry.duration_s, 1),
        "distance_m": None if entry.distance_m is None else round(entry.distance_m, 1),
        "average_heart_rate": None if entry.average_heart_rate is None else round(entry.average_heart_rate, 1),
        "average_speed_mps": None if entry.average_speed_mps is None else round(entry.average_speed_mps, 3),
        "elevation_gain_m": None if entry.elevation_gain_m is None else round(entry.elevation_gain_m, 1),
    }


def _seconds(text: str) -> float:
    """running_page's moving_time: "0:41:05", or "1 day, 2:03:04" past a day."""
    days, _, clock = text.rpartition(", ")
    h, m, s = (float(part) for part in clock.split(":"))
    return (int(days.split()[0]) * 86400 if days else 0) + h * 3600 + m * 60 + s


def from_activities_json(rows: Iterable[dict[str, Any]]) -> list[HistoryEntry]:
    """running_page's src/static/activities.json (what it synced from Strava, Garmin, Keep...) as summaries."""
    entries = []
    for row in rows:
        start = datetime.fromisoformat(row["start_date"]).replace(tzinfo=UTC)
        local = datetime.fromisoformat(row["start_date_local"]).replace(tzinfo=UTC)
        kind = str(row.get("type") or "")
        duration = _seconds(str(row["moving_time"]))
        distance = float(row["distance"]) if row.get("distance") else None
        speed = row.get("average_speed") or (distance / duration if distance and duration else None)
        entries.append(
            HistoryEntry(
                key=("summary", str(row["run_id"])),
                sport=normalise_sport("strava", RUNNING_PAGE_TYPES.get(kind, kind)),
                start_utc=start,
                utc_offset_s=round((local - start).total_seconds() / 900) * 900,
                duration_s=duration,
                distance_m=distance,
                average_heart_rate=row.get("average_heartrate"),
                average_speed_mps=speed,
                elevation_gain_m=row.get("elevation_gain"),
            )
        )
    return entries


def from_fit_folder(git_dir: str, commit: str, folder: str) -> list[HistoryEntry]:
    """Every recording under `folder` at `commit`, parsed by syncd and summarised as the sync would store it."""
    names = _git(git_dir, "ls-tree", "-r", "--name-only", commit, folder).decode().split()
    entries = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            path = Path(tmp) / Path(name).name
            path.write_bytes(_git(git_dir, "show", f"{commit}:{name}"))
            try:
                entries += [summarize(p.activity) for p in load_activities(path)]
            except FileImportError as error:  # one unreadable recording is left out, named
                print(f"skipped {name}: {error}", file=sys.stderr)
            path.unlink()
    return entries


def _git(git_dir: str, *args: str) -> bytes:
    return subprocess.run(["git", f"--git-dir={git_dir}", *args], check=True, capture_output=True).stdout


def within_windows(entries: Iterable[HistoryEntry], starts: Sequence[datetime]) -> list[HistoryEntry]:
    """The entries any labelled run's history window can reach (the rules read `HISTORY_WINDOW` back)."""
    return sorted(
        (e for e in entries if any(start - HISTORY_WINDOW <= e.start_utc <= start for start in starts)),
        key=lambda e: e.start_utc,
    )


def build(prefix: str, git_dir: str, commit: str, kind: str) -> Path:
    files = sorted(
        {lab.file for lab in load_labels() if prefix_of(lab.file) == prefix and lab.file.startswith("corpus/")}
    )
    starts = [activity.start_utc for file in files for activity in subject(parsed(file))]
    if kind == "activities.json":
        entries = from_activities_json(json.loads(_git(git_dir, "show", f"{commit}:src/static/activities.json")))
    else:
        entries = from_fit_folder(git_dir, commit, kind)
    kept = within_windows(entries, starts)
    SUMMARIES.mkdir(exist_ok=True)
    path = SUMMARIES / f"{prefix}.json.gz"
    text = json.dumps([_row(e) for e in kept], indent=0, sort_keys=True)
    path.write_bytes(gzip.compress(text.encode(), mtime=0))
    print(f"{path}: {len(kept)} summaries of {len(entries)} for {len(files)} labelled files")
    return path


if __name__ == "__main__":
    build(*sys.argv[1:5])
