"""History that is whole (issue 27): runs older than the annotation window are annotated locally at the sync,
their notes saying "no streams yet" (never "no samples recorded", never 0) and never queued for a platform; their
streams come from the rate budget the regular sync leaves over, newest first, and each is re-annotated in the same
pass. The real stravalib client on the simulated Strava, the real store on SQLite and PostgreSQL, real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import requests

from syncd.adapters.db import Store
from syncd.config import Settings
from syncd.domain.flags import FlagCode
from syncd.domain.load import week_start
from syncd.domain.notes import gaps_in_note
from syncd.domain.rate_budget import history_reads_left, sync_daily_reserve
from syncd.entrypoints.web.app import create_app
from syncd.entrypoints.web.serve import serve_in_thread
from syncd.entrypoints.wiring import batch_repositories, digest_repositories, platform_repositories, status_reads
from syncd.services import pain_diary
from syncd.services.annotating import AnnotationPolicy, reannotate
from syncd.services.as_of import athlete_zone
from syncd.services.digests import build_for_athlete
from syncd.services.status import account_rows
from syncd.testing import strava_harness as harness
from syncd.testing.seed import detail_payload, streams_payload, synthetic_run
from syncd.testing.strava_server import StravaSimulator
from tests.integration.conftest import FakeClock

RECENT_DAYS = (2, 5, 9)
OLD_DAYS = (40, 44, 47, 51, 54, 58)  # older than the 30-day window
WAITING = "(no streams yet)"


@pytest.fixture
def sim(clock: FakeClock) -> Iterator[StravaSimulator]:
    with StravaSimulator(clock=clock.now) as server:
        yield server


def _athlete(sim: StravaSimulator, clock: FakeClock) -> tuple[int, dict[int, int]]:
    """Runs in and before the window, each with hills and a fast middle (the stream checks have work to do)."""
    athlete = sim.add_athlete(firstname="Old", lastname="Runs").id
    ids: dict[int, int] = {}
    for days in RECENT_DAYS + OLD_DAYS:
        start = clock.now() - timedelta(days=days, hours=1)
        run = synthetic_run(start, minutes=40, pace_s_per_km=330, seed=days, plan=[(10, 400), (20, 270), (10, 400)])
        assert run.streams is not None
        ids[days] = sim.add_activity(athlete, detail_payload(run, start=start), streams_payload(run.streams))
    return athlete, ids


def _stored(store: Store, sim_id: int) -> int:
    found = store.find_activity_id("strava", str(sim_id))
    assert found is not None
    return found


def _note(store: Store, activity_id: int) -> str:
    latest = store.latest_annotation(activity_id)
    assert latest is not None and latest.note is not None, activity_id
    return latest.note


def _athlete_id(store: Store, sim_ids: dict[int, int]) -> int:
    return store.get_activity(_stored(store, next(iter(sim_ids.values()))), with_streams=False).athlete_id


def _stream_reads(sim: StravaSimulator, sim_ids: list[int]) -> int:
    paths = {f"/api/v3/activities/{i}/streams" for i in sim_ids}
    return sum(1 for r in sim.requests if r.path in paths)


def test_older_runs_are_noted_locally_then_redone_with_their_streams(
    store: Store, sim: StravaSimulator, clock: FakeClock, tmp_path: Path
) -> None:
    athlete, ids = _athlete(sim, clock)
    before = {days: sim.description(ids[days]) for days in OLD_DAYS}
    linked = harness.link(store, sim, athlete, clock=clock)
    service = harness.service(store, sim, clock=clock, write_back="all")
    # the day's budget is mostly spent elsewhere: nothing is left over for the history (the regular sync still fits)
    sim.use_quota(read_daily=480, daily=480)
    report = service.run_once("w1")
    [outcome] = report.accounts
    assert outcome.report is not None and outcome.report.history_fetched == 0
    assert outcome.report.history_waiting == len(OLD_DAYS)
    old = [_stored(store, ids[days]) for days in OLD_DAYS]
    recent = [_stored(store, ids[days]) for days in RECENT_DAYS]
    assert _stream_reads(sim, [ids[d] for d in OLD_DAYS]) == 0

    # annotated locally from the summary: "no streams yet", never "no samples recorded"; never queued or written
    for activity_id in old:
        note = _note(store, activity_id)
        assert WAITING in note and "no samples recorded" not in note, note
        assert store.outbox_log.platform_writes(activity_id) == []
    assert all(WAITING not in _note(store, i) for i in recent)
    assert {days: sim.description(ids[days]) for days in OLD_DAYS} == before
    # the flare-up analysis reads them as unmeasured, not as 0
    sessions = {
        s.start_utc: s
        for s in pain_diary.exposures(
            pain_diary.AnalysisReads(store.pain_diary, store, store, store, store.activity_reads), linked.athlete_id
        )
    }
    for activity_id in old:
        session = sessions[store.get_activity(activity_id, with_streams=False).activity.start_utc]
        assert (session.descent_m, session.speed, session.hard_m) == (None, None, None)

    settings = Settings(state_dir=tmp_path, config_path=None)
    with serve_in_thread(create_app(store, settings)) as base:
        page = requests.get(f"{base}/activities/{old[0]}", timeout=30).text
        assert "No streams yet" in page and "no samples recorded" not in page
        assert "No streams yet: the charts come with them." in page
        evidence = page.split('<section class="evidence">', 1)[1].split("</section>", 1)[0]
        assert "No back-care flags." not in evidence, evidence  # not a plain "no flags": the checks did not run
        listed = requests.get(f"{base}/api/activities", params={"per_page": 50}, timeout=30).json()
        shown = {item["id"]: item for item in listed["items"]}
        assert all(shown[i]["awaiting_streams"] and shown[i]["annotated"] for i in old)
        assert not any(shown[i]["awaiting_streams"] for i in recent)
        feed = requests.get(f"{base}/", timeout=30).text
        assert feed.count("no streams yet: speed work") == len(OLD_DAYS) and "not annotated yet" not in feed
        waiting = [card for card in feed.split("<article")[1:] if "no streams yet: speed work" in card]
        assert waiting and not any("No back-care flags.</p>" in card for card in waiting)  # the checks did not run
        assert any("No back-care flags from the summary." in card for card in waiting)
    record = store.get_athlete(linked.athlete_id)
    oldest = store.get_activity(old[-1], with_streams=False).activity
    digest = build_for_athlete(
        digest_repositories(store),
        record,
        week_start(oldest.start_local.date()),
        settings,
        athlete_zone(store.activity_reads, record),
    )
    assert digest.streams_line is not None and not digest.streams_measured  # never "0 m" of downhill

    # the next day the budget has room: the streams come, newest first, and the notes are redone in the same pass
    clock.advance(24 * 3600)
    report = service.run_once("w1")
    [outcome] = report.accounts
    assert outcome.report is not None and outcome.report.history_fetched == len(OLD_DAYS)
    assert outcome.report.history_waiting == 0
    fetched = [r.path for r in sim.requests if r.path.endswith("/streams")]
    order = [p for p in fetched if any(p == f"/api/v3/activities/{ids[d]}/streams" for d in OLD_DAYS)]
    assert order == [f"/api/v3/activities/{ids[d]}/streams" for d in OLD_DAYS]  # newest first
    for activity_id in old:
        note = _note(store, activity_id)
        assert WAITING not in note and "no samples recorded" not in note, note
        assert not {FlagCode.SPEED_WORK, FlagCode.DOWNHILL} & gaps_in_note(note)
        assert store.get_activity(activity_id).activity.streams is not None
        assert store.outbox_log.platform_writes(activity_id) == []
    assert {days: sim.description(ids[days]) for days in OLD_DAYS} == before  # still never written
    assert any(f.code is FlagCode.SPEED_WORK for i in old for f in (store.latest_annotation(i) or _none()).flags), (
        "the fast middle must be seen once the streams are here"
    )
    with serve_in_thread(create_app(store, settings)) as base:
        page = requests.get(f"{base}/activities/{old[0]}", timeout=30).text
        assert "No streams yet" not in page
        shown = {
            item["id"]: item
            for item in requests.get(f"{base}/api/activities", params={"per_page": 50}, timeout=30).json()["items"]
        }
        assert not any(shown[i]["awaiting_streams"] for i in old)
    digest = build_for_athlete(
        digest_repositories(store),
        record,
        week_start(oldest.start_local.date()),
        settings,
        athlete_zone(store.activity_reads, record),
    )
    assert digest.streams_line is None

    # every surface agrees with a recompute from scratch
    current = {i: (_note(store, i), store.latest_annotation(i).flags) for i in old + recent}  # type: ignore[union-attr]
    store.mark_annotations_stale(linked.athlete_id)
    reannotate(batch_repositories(store), AnnotationPolicy(), now=clock.now())
    assert {i: (_note(store, i), store.latest_annotation(i).flags) for i in old + recent} == current  # type: ignore[union-attr]


def _none() -> object:
    raise AssertionError("not annotated")


def test_the_history_fetch_spends_only_what_the_regular_sync_leaves(
    store: Store, sim: StravaSimulator, clock: FakeClock
) -> None:
    athlete, ids = _athlete(sim, clock)
    harness.link(store, sim, athlete, clock=clock)
    service = harness.service(store, sim, clock=clock, write_back="off")
    budget = store.rate_budget(f"strava:{sim.client_id}")
    reserve = sync_daily_reserve(service.plan(), read_daily_limit=1000, write_reserve=service.write_reserve)
    # room for exactly two older runs today once the regular sync (a list, three runs' detail and streams) is done
    sim.use_quota(read_daily=1000 - reserve - 7 - 4 - 1, daily=1000 - reserve - 7 - 4 - 1)
    [outcome] = service.run_once("w1").accounts
    assert outcome.report is not None and outcome.report.history_fetched == 2, outcome.report
    assert outcome.report.history_waiting == len(OLD_DAYS) - 2
    # `syncd status` says how many still wait, per account
    [row] = [
        a for a in account_rows(status_reads(store)) if a["athlete"] == store.get_athlete(_athlete_id(store, ids)).key
    ]
    assert row["streams_waiting"] == len(OLD_DAYS) - 2
    state = budget.state(clock.now())
    assert state.read_daily_usage <= state.read_daily_limit - reserve  # the regular sync's share is untouched
    assert history_reads_left(state, clock.now(), sync_reserve=reserve) < 2
    assert sim.over_limit == 0
    # the two newest older runs came first; the rest keep their local "no streams yet" notes
    got = [d for d in OLD_DAYS if store.get_activity(_stored(store, ids[d])).activity.streams is not None]
    assert got == list(OLD_DAYS[:2])
    assert all(WAITING in _note(store, _stored(store, ids[d])) for d in OLD_DAYS[2:])

    # a new run in the same window still finds room: the regular sync is never starved by the history
    clock.advance(harness.seconds_until_due(store, clock.now()))
    start = clock.now() - timedelta(hours=1)
    run = synthetic_run(start, minutes=30, pace_s_per_km=330, seed=99)
    assert run.streams is not None
    new = sim.add_activity(athlete, detail_payload(run, start=start), streams_payload(run.streams))
    [outcome] = service.run_once("w1").accounts
    assert outcome.report is not None and outcome.report.stopped is None
    assert WAITING not in _note(store, _stored(store, new))


def test_the_short_window_keeps_half_for_the_regular_sync(store: Store, sim: StravaSimulator, clock: FakeClock) -> None:
    """Many older runs and a whole day's budget: the history takes at most half of a 15-minute window."""
    athlete = sim.add_athlete(firstname="Many", lastname="Years").id
    for days in range(40, 40 + 3 * 60, 3):
        start = clock.now() - timedelta(days=days)
        run = synthetic_run(start, minutes=20, pace_s_per_km=330, seed=days)
        assert run.streams is not None
        sim.add_activity(athlete, detail_payload(run, start=start), streams_payload(run.streams))
    harness.link(store, sim, athlete, clock=clock)
    service = harness.service(store, sim, clock=clock, write_back="off", history_per_pass=100)
    [outcome] = service.run_once("w1").accounts
    assert outcome.report is not None and 0 < outcome.report.history_fetched < 60
    state = store.rate_budget(f"strava:{sim.client_id}").state(clock.now())
    assert state.read_short_usage <= state.read_short_limit // 2
    assert sim.over_limit == 0


def test_a_fault_in_one_older_run_never_stops_the_others_and_it_is_tried_again(
    store: Store, sim: StravaSimulator, clock: FakeClock
) -> None:
    athlete, ids = _athlete(sim, clock)
    harness.link(store, sim, athlete, clock=clock)
    service = harness.service(store, sim, clock=clock, write_back="off")
    broken = ids[OLD_DAYS[1]]
    sim.inject("GET", rf"/activities/{broken}$", "not_json", times=1)
    [outcome] = service.run_once("w1").accounts
    assert outcome.report is not None and outcome.report.history_fetched == len(OLD_DAYS) - 1
    assert [ext for ext, _ in outcome.report.failed] == [str(broken)]
    assert WAITING in _note(store, _stored(store, broken))
    assert all(WAITING not in _note(store, _stored(store, ids[d])) for d in OLD_DAYS if ids[d] != broken)
    assert outcome.report.cursor is not None and int(outcome.report.cursor) > clock.now().timestamp() - 3 * 86400
    # resumable: the next pass after its backoff fetches it, and only it
    clock.advance(3600)
    before = len(sim.requests)
    [outcome] = service.run_once("w1").accounts
    assert outcome.report is not None and outcome.report.history_fetched == 1 and not outcome.report.failed
    assert WAITING not in _note(store, _stored(store, broken))
    assert _stream_reads(sim, [broken]) == 1 and len(sim.requests) - before == 3  # the list, the detail, the streams


def test_the_history_fetch_resumes_the_next_day_where_it_stopped(
    store: Store, sim: StravaSimulator, clock: FakeClock
) -> None:
    athlete, ids = _athlete(sim, clock)
    harness.link(store, sim, athlete, clock=clock)
    service = harness.service(store, sim, clock=clock, write_back="off", history_per_pass=2)
    [outcome] = service.run_once("w1").accounts
    assert outcome.report is not None and outcome.report.history_fetched == 2
    clock.advance(24 * 3600)
    [outcome] = service.run_once("w1").accounts
    assert outcome.report is not None and outcome.report.history_fetched == 2
    assert outcome.report.history_waiting == len(OLD_DAYS) - 4
    # each run's streams fetched once, newest first across the passes
    streams = [r.path for r in sim.requests if r.path.endswith("/streams")]
    wanted = [f"/api/v3/activities/{ids[d]}/streams" for d in OLD_DAYS]
    assert [p for p in streams if p in wanted] == wanted[:4]


def test_garmin_history_comes_a_few_runs_a_pass_and_is_never_written(store: Store, clock: FakeClock) -> None:
    """The real garminconnect client on the simulated Garmin Connect: no published budget, so a few runs a pass."""
    from syncd.adapters.garmin.sessions import GarminSessions
    from syncd.services.garmin_sync import GarminService, GarminSyncOptions
    from syncd.testing.garmin_server import GarminSimulator
    from tests.integration.test_garmin_sync import endpoint, link

    with GarminSimulator() as sim:
        user = sim.add_user(full_name="Gar Min").profile_id
        ids = {}
        for days in RECENT_DAYS + OLD_DAYS:
            start = clock.now() - timedelta(days=days, hours=1)
            ids[days] = sim.add_activity(user, synthetic_run(start, minutes=40, pace_s_per_km=330, seed=days))
        before = {days: sim.description(ids[days]) for days in OLD_DAYS}
        link(store, sim, user)
        options = GarminSyncOptions(write_back="all", history_per_pass=4)
        service = GarminService(
            platform_repositories(store),
            GarminSessions(store, endpoint(sim), clock=clock),
            policy=AnnotationPolicy(),
            options=options,
            clock=clock,
        )
        [outcome] = service.run_once("w1").accounts
        assert outcome.report is not None and outcome.report.history_fetched == 4
        assert outcome.report.history_waiting == len(OLD_DAYS) - 4
        garmin = {d: store.find_activity_id("garmin", str(ids[d])) for d in OLD_DAYS}
        notes = {d: _note(store, i) for d, i in garmin.items() if i is not None}
        assert [d for d in OLD_DAYS if WAITING not in notes[d]] == list(OLD_DAYS[:4])  # newest first
        clock.advance(3600)
        [outcome] = service.run_once("w1").accounts
        assert outcome.report is not None and outcome.report.history_fetched == len(OLD_DAYS) - 4
        for activity_id in garmin.values():
            assert activity_id is not None and WAITING not in _note(store, activity_id)
            assert store.outbox_log.platform_writes(activity_id) == []
        assert {days: sim.description(ids[days]) for days in OLD_DAYS} == before
