"""The same real recordings served by the simulated Strava and the simulated Garmin Connect (a watch that
auto-uploads): each run is one logical activity, its load counts once, the rules see the richer recording, and
the note goes to the platforms chosen in config."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from syncd.adapters.db import Store
from syncd.adapters.garmin.api import GarminEndpoint
from syncd.adapters.garmin.sessions import GarminSessions, link_with_token_store
from syncd.domain.description import START_MARKER
from syncd.domain.load import daily_load
from syncd.domain.model import Source
from syncd.entrypoints.wiring import link_repositories, platform_repositories
from syncd.services.annotating import AnnotationPolicy
from syncd.services.garmin_sync import GarminService, GarminSyncOptions
from syncd.services.write_back_policy import WriteBackMode
from syncd.testing import strava_harness as harness
from syncd.testing.garmin_server import GarminSimulator
from syncd.testing.garmin_server import seed_recordings as seed_garmin
from syncd.testing.seed import seed_recordings as seed_strava
from syncd.testing.strava_server import StravaSimulator
from tests.history import history as history_in
from tests.integration.conftest import FakeClock

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real"
RUNS = [REAL / "run.fit", REAL / "c2eb1b_6.tcx", REAL / "2013-02-06-12-11-14.fit"]


class Both:
    def __init__(self, store: Store, strava: StravaSimulator, garmin: GarminSimulator, clock: FakeClock) -> None:
        self.store, self.strava, self.garmin, self.clock = store, strava, garmin, clock
        athlete = strava.add_athlete(firstname="Ada", lastname="Runner")
        end = clock.now() - timedelta(hours=3)
        self.strava_ids = seed_strava(strava, athlete.id, RUNS, end=end)
        user = garmin.add_user(full_name="Ada Runner")
        # the watch and the phone app disagree on the start by some seconds
        self.garmin_ids = seed_garmin(
            garmin, user.profile_id, RUNS, end=end, shift=lambda i: timedelta(seconds=20 + 30 * i)
        )
        self.linked = harness.link(store, strava, athlete.id, clock=clock)
        self.garmin_link = link_with_token_store(
            link_repositories(store), self.endpoint(), garmin.issue_tokens(user.profile_id)
        )

    def endpoint(self) -> GarminEndpoint:
        return GarminEndpoint(self.garmin.api_url, retry_min_wait=0.01, retry_max_wait=0.02)

    def services(self, garmin_mode: WriteBackMode, strava_mode: WriteBackMode) -> tuple[object, GarminService]:
        strava = harness.service(self.store, self.strava, clock=self.clock, write_back=strava_mode)
        garmin = GarminService(
            platform_repositories(self.store),
            GarminSessions(self.store, self.endpoint(), clock=self.clock),
            policy=AnnotationPolicy(),
            options=GarminSyncOptions(write_back=garmin_mode),
            clock=self.clock,
        )
        return strava, garmin


@pytest.fixture
def both(store: Store, clock: FakeClock) -> Iterator[Both]:
    with StravaSimulator(clock=clock.now) as strava, GarminSimulator(max_samples=400) as garmin:
        yield Both(store, strava, garmin, clock)


@pytest.mark.parametrize("order", ["strava_first", "garmin_first"])
@pytest.mark.parametrize(("garmin_mode", "strava_mode"), [("all", "off"), ("off", "all"), ("all", "all")])
def test_one_logical_activity_one_load_notes_where_configured(
    both: Both, order: str, garmin_mode: WriteBackMode, strava_mode: WriteBackMode
) -> None:
    store, clock = both.store, both.clock
    assert both.garmin_link.athlete_id == both.linked.athlete_id  # Garmin joins the only Strava athlete
    strava, garmin = both.services(garmin_mode, strava_mode)
    if order == "strava_first":
        strava.sync_due("w1")  # type: ignore[attr-defined]
        garmin.run_once("w1")
    else:
        garmin.sync_due("w1")
        strava.sync_due("w1")  # type: ignore[attr-defined]
        clock.advance(3600)
        garmin.run_once("w1")  # the next Garmin pass finds the Strava twins

    stored = list(store.iter_activities(athlete_id=both.linked.athlete_id))
    assert len(stored) == 2 * len(RUNS)
    groups: dict[str, set[Source]] = {}
    for s in stored:
        assert s.logical_group is not None, s.activity.key
        groups.setdefault(s.logical_group, set()).add(s.activity.source)
    assert len(groups) == len(RUNS) and all(v == {Source.GARMIN, Source.STRAVA} for v in groups.values())

    # the load of each run counts once
    window = (clock.now() - timedelta(days=30), clock.now() + timedelta(days=1))
    history = history_in(store, both.linked.athlete_id, *window)
    assert len(history) == len(RUNS)
    one_copy = [s.activity for s in stored if s.activity.source is Source.STRAVA]
    days = (window[0].date(), window[1].date())
    load = daily_load(history, *days, unit="min")
    assert sum(load.loads) == pytest.approx(sum(a.duration_s or 0.0 for a in one_copy) / 60.0, rel=0.02)
    # an activity's own twin is not its history
    garmin_row = next(s for s in stored if s.activity.source is Source.GARMIN)
    twin_keys = {s.activity.key for s in stored if s.logical_group == garmin_row.logical_group}
    assert not twin_keys & {h.key for h in history_in(store, both.linked.athlete_id, *window, exclude_id=garmin_row.id)}

    # the rules saw the richer recording: Strava's full-rate streams, not Garmin's thinned details
    full = store.get_activity(garmin_row.id).activity
    assert (
        full.streams is not None and len(full.streams) > 400 and str(full.extra["streams_from"]).startswith("strava:")
    )

    # both twins annotated alike; notes written only where configured
    notes = {
        s.activity.source: store.latest_annotation(s.id) for s in stored if s.logical_group == garmin_row.logical_group
    }
    assert all(n is not None for n in notes.values())
    assert notes[Source.GARMIN].note == notes[Source.STRAVA].note  # type: ignore[union-attr]
    strava.drain("w1")  # type: ignore[attr-defined]
    garmin.drain("w1")
    garmin_written = [START_MARKER in (both.garmin.description(i) or "") for i in both.garmin_ids]
    strava_written = [START_MARKER in (both.strava.description(i) or "") for i in both.strava_ids]
    assert garmin_written == [garmin_mode == "all"] * len(RUNS)
    assert strava_written == [strava_mode == "all"] * len(RUNS)


def test_runs_further_apart_stay_two_activities(both: Both) -> None:
    store, clock = both.store, both.clock
    for aid in both.garmin_ids:  # started 3 minutes later than the Strava copy says: another run
        summary = both.garmin.users[next(iter(both.garmin.users))].activities[aid]["summaryDTO"]
        for key in ("startTimeGMT", "startTimeLocal"):
            moved = datetime.fromisoformat(summary[key]) + timedelta(minutes=3)
            summary[key] = moved.strftime("%Y-%m-%dT%H:%M:%S.0")
    strava, garmin = both.services("off", "off")
    strava.sync_due("w1")  # type: ignore[attr-defined]
    garmin.sync_due("w1")
    stored = list(store.iter_activities(athlete_id=both.linked.athlete_id))
    assert len(stored) == 2 * len(RUNS) and all(s.logical_group is None for s in stored)
    history = history_in(store, both.linked.athlete_id, clock.now() - timedelta(days=30), clock.now())
    assert len(history) == 2 * len(RUNS)
