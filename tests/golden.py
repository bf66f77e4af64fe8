"""The notes syncd writes on the demo and on the real fixtures, as one JSON document (tests/golden_notes.json).

A refactor must not change a single byte of them (tests/integration/test_golden_notes.py compares). When a change
to the notes is intended (new wording, a new rule), regenerate the file and review its diff:

    .venv/bin/python -m tests.golden --update

Everything runs on a fixed clock against the simulated Strava and Garmin Connect over loopback, on a throwaway
SQLite database, so the document is the same on every machine.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from syncd.adapters.crypto import SecretBox
from syncd.adapters.db import Store
from syncd.adapters.garmin.api import GarminEndpoint
from syncd.adapters.garmin.sessions import GarminSessions, link_with_token_store
from syncd.adapters.osm import ExtractSurfaceMap
from syncd.domain.flags import FlagCode
from syncd.domain.notes import TITLES
from syncd.entrypoints.wiring import link_repositories, platform_repositories
from syncd.services.annotate_files import annotate_paths
from syncd.services.annotating import AnnotationPolicy
from syncd.services.garmin_sync import GarminService, GarminSyncOptions
from syncd.testing import strava_harness as harness
from syncd.testing.garmin_server import GarminSimulator
from syncd.testing.garmin_server import seed_recordings as seed_garmin
from syncd.testing.seed import DEMO_MAX_HR, DEMO_OSM, seed_demo
from syncd.testing.seed import seed_recordings as seed_strava
from syncd.testing.strava_server import StravaSimulator, iter_descriptions

GOLDEN = Path(__file__).resolve().parent / "golden_notes.json"
REAL = Path(__file__).resolve().parent / "fixtures" / "real"
NOW = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
TWIN_RUNS = [REAL / "run.fit", REAL / "c2eb1b_6.tcx", REAL / "2013-02-06-12-11-14.fit"]


class _Clock:
    def __init__(self, now: datetime = NOW) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current


def _store(path: Path, clock: _Clock) -> Store:
    return Store.open(f"sqlite:///{path}", secret_box=SecretBox(SecretBox.generate_key()), clock=clock)


def fixture_notes() -> dict[str, str | None]:
    """`syncd annotate FILE` on each real recording alone (no history)."""
    notes: dict[str, str | None] = {}
    for path in sorted(p for p in REAL.iterdir() if p.suffix in {".fit", ".gpx", ".tcx"}):
        results, failures = annotate_paths([path], AnnotationPolicy(), now=NOW)
        for index, result in enumerate(results):
            notes[f"{path.name}#{index}"] = result.annotated.note
        for failure in failures:
            notes[f"{path.name}#error"] = failure
    return notes


def _stored_notes(store: Store) -> dict[str, str | None]:
    notes: dict[str, str | None] = {}
    for stored in store.iter_activities():
        latest = store.latest_annotation(stored.id)
        key = f"{stored.activity.source.value}:{stored.activity.external_id}"
        notes[key] = latest.note if latest is not None else None
    return dict(sorted(notes.items()))


def rules_shown(stored: dict[str, str | None]) -> set[FlagCode]:
    """The rules whose line shows in these notes (a line opens with the rule's title and a colon or a bracket)."""
    notes = "\n".join(note or "" for note in stored.values())
    return {code for code, title in TITLES.items() if f" {title}:" in notes or f" {title} (" in notes}


def demo_notes(workdir: Path, now: datetime = NOW) -> dict[str, Any]:
    """The demo athlete (`syncd demo`'s seed, map and maximum heart rate) synced from the simulated Strava, with the
    clock at `now` (the golden file's NOW unless a test runs the demo at another hour and weekday)."""
    clock = _Clock(now)
    with (
        _store(workdir / "demo.db", clock) as store,
        StravaSimulator(clock=clock.now) as sim,
    ):
        athlete = sim.add_athlete(firstname="Demo", lastname="Runner")
        end = now - timedelta(hours=3)
        seed_demo(sim, athlete.id, end=end, gear_id="g1001")
        sim.add_gear(athlete.id, "g1001", "Trail Shoes", 640_000.0)
        harness.link(store, sim, athlete.id, clock=clock)
        policy = AnnotationPolicy(
            surface_map=ExtractSurfaceMap(DEMO_OSM, workdir / "surface"), max_heart_rate=DEMO_MAX_HR
        )
        harness.service(store, sim, clock=clock, policy=policy).run_once("golden")
        return {
            "stored": _stored_notes(store),
            "descriptions": {str(i): text for i, text in sorted(iter_descriptions(sim))},
        }


def twin_notes(workdir: Path) -> dict[str, Any]:
    """Real recordings on both Strava and Garmin Connect (the same runs twice), synced Garmin, then Strava."""
    clock = _Clock()
    with (
        _store(workdir / "twins.db", clock) as store,
        StravaSimulator(clock=clock.now) as strava,
        GarminSimulator() as garmin,
    ):
        athlete = strava.add_athlete(firstname="Ada", lastname="Runner")
        end = NOW - timedelta(hours=3)
        seed_strava(strava, athlete.id, TWIN_RUNS, end=end)
        user = garmin.add_user(full_name="Ada Runner")
        garmin_ids = seed_garmin(
            garmin, user.profile_id, TWIN_RUNS, end=end, shift=lambda i: timedelta(seconds=20 + 30 * i)
        )
        harness.link(store, strava, athlete.id, clock=clock)
        endpoint = GarminEndpoint(garmin.api_url, retry_min_wait=0.01, retry_max_wait=0.02)
        link_with_token_store(link_repositories(store), endpoint, garmin.issue_tokens(user.profile_id))
        options = GarminSyncOptions(write_back="all")
        garmin_service = GarminService(
            platform_repositories(store),
            GarminSessions(store, endpoint, clock=clock),
            policy=AnnotationPolicy(),
            options=options,
            clock=clock,
        )
        strava_service = harness.service(store, strava, clock=clock)
        strava_service.run_once("golden")
        garmin_service.run_once("golden")
        strava_service.run_once("golden")
        return {
            "stored": _stored_notes(store),
            "strava": {str(i): text for i, text in sorted(iter_descriptions(strava))},
            "garmin": {str(i): garmin.description(i) for i in garmin_ids},
        }


def build() -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="syncd-golden-") as tmp:
        return {"files": fixture_notes(), "demo": demo_notes(Path(tmp)), "twins": twin_notes(Path(tmp))}


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--update", action="store_true", help=f"rewrite {GOLDEN.name} with the notes of today's code")
    args = parser.parse_args(argv)
    text = render(build())
    if args.update:
        GOLDEN.write_text(text, encoding="utf-8")
        print(f"wrote {GOLDEN}")
        return 0
    if GOLDEN.exists() and GOLDEN.read_text(encoding="utf-8") == text:
        print(f"{GOLDEN.name}: unchanged")
        return 0
    print(f"{GOLDEN.name} differs from today's notes; review, then run `python -m tests.golden --update`")
    return 1


if __name__ == "__main__":
    sys.exit(main())
