"""The write-back policy decided once, at drain (issue 27), end to end with the real stravalib client on the
Strava simulator: a note queued while the write-back is on, then the athlete turns it off before the drain:
nothing is written (no PUT, no read either) and the reason is recorded and shown; turned back on, the next drain
writes it once, with nothing re-annotated or re-queued."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from syncd.adapters.crypto import SecretBox
from syncd.adapters.db import Store
from syncd.config import Settings, StravaSettings
from syncd.domain.description import START_MARKER
from syncd.entrypoints.status_text import print_status
from syncd.entrypoints.wiring import status_reads
from syncd.services.athletes import Changes, SettingsRepositories, apply
from syncd.services.status import collect_status
from syncd.testing import strava_harness as harness
from syncd.testing.seed import detail_payload, streams_payload, synthetic_run
from syncd.testing.strava_server import StravaSimulator


class Clock:
    def __init__(self) -> None:
        self.current = datetime.now(UTC).replace(microsecond=0)

    def now(self) -> datetime:
        return self.current


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[StravaSimulator, Store, Clock, int]]:
    clock = Clock()
    with StravaSimulator(clock=clock.now) as sim:
        box = SecretBox(SecretBox.generate_key(), origin="the test key")
        store = Store.open(f"sqlite:///{tmp_path / 'syncd.db'}", secret_box=box, clock=clock)
        athlete = sim.add_athlete(firstname="Pia", lastname="Runner").id
        start = clock.now() - timedelta(days=1)
        run = synthetic_run(start, minutes=35, pace_s_per_km=330, seed=3)
        assert run.streams is not None
        external = sim.add_activity(athlete, detail_payload(run, start=start), streams_payload(run.streams))
        harness.link(store, sim, athlete, clock=clock)
        try:
            yield sim, store, clock, external
        finally:
            store.close()


def _puts(sim: StravaSimulator) -> int:
    return sum(r.method == "PUT" for r in sim.requests)


def test_write_back_turned_off_after_enqueue_holds_the_note_and_turned_on_writes_it_once(
    world: tuple[StravaSimulator, Store, Clock, int], tmp_path: Path
) -> None:
    sim, store, clock, external = world
    service = harness.service(store, sim, clock=clock, write_back="all")
    settings = Settings(state_dir=tmp_path, config_path=None, strava=StravaSettings(write_back="all"))
    report = service.sync_due("w1")
    assert [a.report.queued for a in report.accounts if a.report] == [1]  # queued while the write-back is on
    activity_id = store.find_activity_id("strava", str(external)) or 0
    athlete = store.get_activity(activity_id, with_streams=False).athlete_id

    apply(
        SettingsRepositories(store, store, store, store.pain_diary),
        settings,
        store.get_athlete(athlete),
        Changes(write_back="off"),
        clock.now(),
    )
    requests = len(sim.requests)
    held = service.drain("w1")
    assert [o.status for o in held.outcomes] == ["off"]
    assert len(sim.requests) == requests and _puts(sim) == 0  # decided before any platform call
    assert START_MARKER not in (sim.description(external) or "")
    (write,) = store.outbox_log.platform_writes(activity_id)
    assert (write.status, write.outcome, write.reason) == ("held", "off", "athlete_off")
    assert store.outbox_log.summary()["depth"] == {"held": 1}

    clock.current += timedelta(minutes=5)
    assert service.drain("w1").outcomes == []  # still off: nothing claimed, nothing read

    applied = apply(
        SettingsRepositories(store, store, store, store.pain_diary),
        settings,
        store.get_athlete(athlete),
        Changes(write_back="default"),
        clock.now(),
    )
    assert applied.stale == 0  # nothing re-annotated: the queued note is what goes
    written = service.drain("w1")
    assert [o.status for o in written.outcomes] == ["inserted"] and _puts(sim) == 1
    assert (sim.description(external) or "").count(START_MARKER) == 1
    (write,) = store.outbox_log.platform_writes(activity_id)
    assert write.status == "done" and write.on_platform is not None and write.reason is None

    clock.current += timedelta(minutes=5)
    again = service.run_once("w1")  # the next pass: nothing new to write
    assert again.writeback is not None and again.writeback.outcomes == [] and _puts(sim) == 1
    assert (sim.description(external) or "").count(START_MARKER) == 1


def test_the_platforms_write_back_off_holds_it_and_the_configuration_turned_on_releases_it(
    world: tuple[StravaSimulator, Store, Clock, int],
) -> None:
    sim, store, clock, external = world
    harness.service(store, sim, clock=clock, write_back="off").run_once("w1")  # queued, held: config off
    activity_id = store.find_activity_id("strava", str(external)) or 0
    (write,) = store.outbox_log.platform_writes(activity_id)
    assert (write.status, write.reason, _puts(sim)) == ("held", "config_off", 0)

    clock.current += timedelta(minutes=5)
    report = harness.service(store, sim, clock=clock, write_back="all").drain("w1")  # a restart with "all"
    assert [o.status for o in report.outcomes] == ["inserted"] and _puts(sim) == 1
    assert (sim.description(external) or "").count(START_MARKER) == 1


def test_status_and_accounts_count_the_held_notes_beside_the_write_back_that_holds_them(
    world: tuple[StravaSimulator, Store, Clock, int], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`syncd status` and `syncd accounts` say what the drain decided: "off (1 held)" for the account, and in the
    outbox line how many notes are held and why, never a bare "write-back off" beside notes it does not explain."""
    sim, store, clock, _external = world
    harness.service(store, sim, clock=clock, write_back="off").run_once("w1")
    settings = Settings(state_dir=tmp_path, config_path=None, strava=StravaSettings(write_back="off"))
    status = collect_status(status_reads(store), settings, "test")
    [account] = status["accounts"]
    assert (account["write_back"], account["held"]) == ("off", 1)
    print_status(status)
    shown = capsys.readouterr().out
    assert "off (1 held)" in shown
    assert "0 note(s) waiting to be written, 1 held (the platform's write_back off: 1; written once the" in shown
    assert "0 written" in shown and "before write-back was turned off" not in shown

    on = Settings(state_dir=tmp_path, config_path=None, strava=StravaSettings(write_back="all"))
    clock.current += timedelta(minutes=5)
    harness.service(store, sim, clock=clock, write_back="all").drain("w1")
    print_status(collect_status(status_reads(store), on, "test"))
    shown = capsys.readouterr().out
    assert "held" not in shown and "1 written" in shown and _puts(sim) == 1
