"""The pain diary end to end: a #back tag typed into a Strava description (simulated Strava, the real stravalib
client, the real store on SQLite and PostgreSQL) turns the next run's note to 'sore'; deleting the tag turns it back.
The runner's own text stays byte for byte theirs; the score never reaches a note or the log."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from syncd.adapters.db import Store
from syncd.config import Settings
from syncd.domain.description import START_MARKER, extract_athlete_text
from syncd.domain.pain import PainSource
from syncd.entrypoints.status_text import print_status
from syncd.entrypoints.wiring import batch_repositories, link_repositories, status_reads
from syncd.services.annotating import AnnotationPolicy, reannotate
from syncd.services.pain_diary import refresh_recent_tags
from syncd.services.status import collect_status
from syncd.testing import strava_harness as harness
from syncd.testing.seed import detail_payload, streams_payload, synthetic_run
from syncd.testing.strava_server import StravaSimulator
from tests.integration.conftest import FakeClock

TAGGED = "Hills with Jo.\r\nFelt it on the descent \U0001f62c #back 6"


@pytest.fixture
def sim(clock: FakeClock) -> Iterator[StravaSimulator]:
    with StravaSimulator(clock=clock.now) as server:
        yield server


def _add_run(sim: StravaSimulator, athlete: int, hours_ago: float, clock: FakeClock, description: str = "") -> int:
    start = clock.now() - timedelta(hours=hours_ago)
    run = synthetic_run(start, minutes=35, pace_s_per_km=330, seed=int(hours_ago))
    assert run.streams is not None
    detail = detail_payload(run, start=start, description=description)
    return sim.add_activity(athlete, detail, streams_payload(run.streams))


def test_a_tag_in_a_strava_description_makes_the_next_note_sore_and_deleting_it_undoes_that(
    store: Store,
    sim: StravaSimulator,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    athlete = sim.add_athlete(firstname="Ada", lastname="Runner").id
    tagged = _add_run(sim, athlete, 40, clock, TAGGED)
    harness.link(store, sim, athlete, clock=clock)
    service = harness.service(store, sim, clock=clock)
    caplog.set_level(logging.DEBUG)

    service.run_once("w1")
    diary = store.pain_diary
    [entry] = diary.entries()
    assert (entry.score, entry.source, entry.activity_id) == (
        6,
        PainSource.TAG,
        store.find_activity_id("strava", str(tagged)),
    )
    tagged_text = sim.description(tagged)
    assert tagged_text is not None
    # the tagged run's own note is written before the tag counts; the runner's text is untouched
    assert "Mode: staying well (no #back tag of 4+ on earlier runs here in the last 7 days)." in tagged_text
    assert extract_athlete_text(tagged_text) == TAGGED.replace("\r\n", "\n") or tagged_text.startswith(TAGGED)

    # the next run: sore mode, rest first, then the rehab advice; never the score
    clock.advance(24 * 3600)
    following = _add_run(sim, athlete, 2, clock)
    service.run_once("w1")
    note = sim.description(following)
    assert note is not None
    # the athlete wrote the tag on Strava, so Strava's note may name it
    assert "Mode: sore (your #back tag in the last 7 days)." in note
    assert "Keep moving gently for a day or two:" in note
    stored = store.latest_annotation(store.find_activity_id("strava", str(following)) or 0)
    assert stored is not None and stored.note is not None
    assert stored.note.startswith("Mode: sore (back pain logged in the last 7 days).")  # syncd's own feed
    assert "6" not in note.split("Mode:")[1].splitlines()[0]
    # the tagged run's text is still the runner's, byte for byte
    assert sim.description(tagged) == tagged_text

    # the runner deletes the tag: no webhook fires; the daily re-scan re-reads recent descriptions
    sim.update_activity(tagged, description=tagged_text.replace(" #back 6", ""))
    changed = refresh_recent_tags(store.pain_diary, store, {"strava": service.writer}, now=clock.now())
    assert changed == 1 and diary.entries() == []
    report = reannotate(
        batch_repositories(store), AnnotationPolicy(), now=clock.now(), write_back_providers=lambda _a: ("strava",)
    )
    assert report.changed >= 1
    service.drain("w1")
    after = sim.description(following)
    assert after is not None and "Mode: staying well" in after and "Mode: sore" not in after

    # health data never reaches the log (structlog writes to stdout here; stdlib loggers to caplog)
    logged = capsys.readouterr().out + "\n".join(r.getMessage() for r in caplog.records)
    assert "pain_tag_read" in logged and "pain_tag_removed" in logged
    assert "#back 6" not in logged and "score" not in logged.lower()


def _block(text: str | None) -> str:
    assert text is not None and START_MARKER in text
    return text[text.index(START_MARKER) :]


PAIN_WORDS = (
    "mode: sore",
    "settle",
    "rest a day",
    "gently",
    "massage",
    "logged",
    "diary",
    "eased",
    "pain has",
    "woke",
    "promptly",
)


def test_pain_from_the_cli_or_the_feed_never_reaches_the_platform_note(
    store: Store, sim: StravaSimulator, clock: FakeClock
) -> None:
    """Ada logs pain with `syncd pain` and on the feed's run form; Bea, with the same runs, keeps no diary. Their
    notes on Strava are byte for byte the same and say nothing about pain; syncd's own note for Ada is sore."""
    from syncd.services.pain_diary import record_entry

    ada, bea = (sim.add_athlete(firstname=name, lastname="Runner").id for name in ("Ada", "Bea"))
    first = {who: _add_run(sim, who, 40, clock) for who in (ada, bea)}
    linked = harness.link(store, sim, ada, clock=clock)
    harness.link(store, sim, bea, clock=clock)
    service = harness.service(store, sim, clock=clock)
    service.run_once("w1")
    run_a = store.get_activity(store.find_activity_id("strava", str(first[ada])) or 0, with_streams=False)
    day = run_a.activity.start_local.date()
    record_entry(
        store.pain_diary, store, linked.athlete_id, day, 7, source=PainSource.CLI, note="woke up sore", now=clock.now()
    )
    record_entry(
        store.pain_diary, store, linked.athlete_id, day, 6, source=PainSource.WEB, activity_id=run_a.id, now=clock.now()
    )

    clock.advance(12 * 3600)
    following = {who: _add_run(sim, who, 2, clock) for who in (ada, bea)}
    service.run_once("w1")
    reannotate(
        batch_repositories(store), AnnotationPolicy(), now=clock.now(), write_back_providers=lambda _a: ("strava",)
    )
    service.drain("w1")

    ada_note, bea_note = (_block(sim.description(following[who])) for who in (ada, bea))
    assert ada_note == bea_note
    assert "Mode: staying well (no #back tag of 4+ on earlier runs here in the last 7 days)." in ada_note
    lowered = ada_note.lower()
    assert not [word for word in PAIN_WORDS if word in lowered], ada_note
    assert "7" not in ada_note.replace("7 days", "")  # no score
    assert _block(sim.description(first[ada])) == _block(sim.description(first[bea]))
    # syncd's own note (the authenticated feed and JSON) follows the whole diary
    own = store.latest_annotation(store.find_activity_id("strava", str(following[ada])) or 0)
    assert own is not None and own.note is not None
    # a 7 of 10 is a red flag: the clinician line, not advice to keep running (issue 28)
    assert own.note.startswith("Mode: sore (back pain logged in the last 7 days).\nSee a clinician promptly:")


def test_bad_tags_are_logged_and_change_nothing(
    store: Store, sim: StravaSimulator, clock: FakeClock, capsys: pytest.CaptureFixture[str]
) -> None:
    athlete = sim.add_athlete(firstname="Bo", lastname="Runner").id
    _add_run(sim, athlete, 60, clock, "#back 3 ... actually #back 7")
    _add_run(sim, athlete, 40, clock, "#back 12")
    _add_run(sim, athlete, 20, clock, "pace 4:30/km, back 4 km easy")
    harness.link(store, sim, athlete, clock=clock)
    harness.service(store, sim, clock=clock).run_once("w1")
    assert store.pain_diary.entries() == []
    logged = capsys.readouterr().out
    assert logged.count("pain_tag_ignored") >= 2  # at annotation and again when the write-back re-reads
    assert "#back tags with different scores" in logged and "a #back tag whose score is not a whole number" in logged
    # the log line's own clock time may hold "12": look only at what follows the event name
    assert "12" not in "".join(line.split("pain_tag", 1)[1] for line in logged.splitlines() if "pain_tag" in line)


def test_unlinking_the_last_account_deletes_the_diary(store: Store, sim: StravaSimulator, clock: FakeClock) -> None:
    from syncd.services.accounts import unlink
    from syncd.services.pain_diary import export_athlete, record_entry

    athlete = sim.add_athlete(firstname="Cy", lastname="Runner").id
    _add_run(sim, athlete, 30, clock, "#back 5")
    linked = harness.link(store, sim, athlete, clock=clock)
    harness.service(store, sim, clock=clock).run_once("w1")
    athlete_id = linked.athlete_id
    record_entry(store.pain_diary, store, athlete_id, clock.now().date(), 2, source=PainSource.CLI, now=clock.now())
    exported = export_athlete(store.pain_diary, store, athlete_id)
    assert sorted(str(e["source"]) for e in exported["entries"]) == ["cli", "tag"]  # type: ignore[union-attr]
    unlink(link_repositories(store), linked.account_id)
    assert store.pain_diary.entries() == []


def test_a_tag_typed_into_the_title_of_a_run_older_than_the_annotation_window_is_read_at_the_next_poll(
    store: Store, sim: StravaSimulator, clock: FakeClock
) -> None:
    """Titles are on every list poll: the listed runs outside the annotation window (2 days here) are read too,
    without fetching their detail; deleting the tag from the title deletes the entry."""
    athlete = sim.add_athlete(firstname="Di", lastname="Runner").id
    old = _add_run(sim, athlete, 5 * 24, clock)  # listed (re-scan: 7 days), outside the 2-day window
    first_sync_old = _add_run(sim, athlete, 20 * 24, clock)
    sim.update_activity(first_sync_old, name="Long one #back: 5/10")
    harness.link(store, sim, athlete, clock=clock)
    # no background fetch of the older runs' streams here: the tag must be read from the listing alone
    service = harness.service(store, sim, clock=clock, annotation_window_days=2, history_per_pass=0)
    service.run_once("w1")
    diary = store.pain_diary
    old_id = store.find_activity_id("strava", str(old))
    assert [(e.score, e.source, e.activity_id) for e in diary.entries()] == [
        (5, PainSource.TAG, store.find_activity_id("strava", str(first_sync_old)))
    ]  # a first sync reads the titles of everything it lists

    sim.update_activity(old, name="Easy recovery #back 6")
    clock.advance(harness.seconds_until_due(store, clock.now()))
    detail_reads = sim.count("GET", rf"/activities/{old}$")
    service.run_once("w1")
    entries = {e.activity_id: e for e in diary.entries()}
    assert old_id in entries and (entries[old_id].score, entries[old_id].source) == (6, PainSource.TAG)
    assert sim.count("GET", rf"/activities/{old}$") == detail_reads == 0  # read from the list, no detail fetched
    assert sim.description(old) in (None, "")  # outside the window: no note written, the title is theirs

    sim.update_activity(old, name="Easy recovery")
    clock.advance(harness.seconds_until_due(store, clock.now()))
    service.run_once("w1")
    assert old_id not in {e.activity_id for e in diary.entries()}


def test_a_title_tag_on_a_run_dated_in_the_future_is_warned_in_the_log_and_status_and_records_nothing(
    store: Store, sim: StravaSimulator, clock: FakeClock, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Issue 27's bad input: a watch whose clock runs three days ahead; its #back tag is read from the platform, so
    it is warned (the log and `syncd status` say why and the fix, never the score), and the diary stays empty."""
    athlete = sim.add_athlete(firstname="Cy", lastname="Runner").id
    _add_run(sim, athlete, 30, clock)
    ahead = _add_run(sim, athlete, -72, clock)
    sim.update_activity(ahead, name="Morning Run #back 8")
    harness.link(store, sim, athlete, clock=clock)

    harness.service(store, sim, clock=clock).run_once("w1")

    assert store.pain_diary.entries() == []
    out = capsys.readouterr().out.splitlines()
    logged = [line.split("pain_tag_ignored", 1)[1] for line in out if "pain_tag_ignored" in line]
    logged = [line for line in logged if "is in the future" in line]
    assert logged and not any(re.search(r"#back\s*[:=]?\s*\d|\b8\b", line) for line in logged)
    status = collect_status(status_reads(store), Settings(state_dir=tmp_path, config_path=None), "v")
    [warning] = status["input_warnings"]
    assert warning["kind"] == "pain_tag" and warning["activity"] == f"strava:{ahead}"
    assert "is in the future" in warning["message"] and "correct the run's date on strava" in warning["message"]
    print_status(status)
    shown = [line for line in capsys.readouterr().out.splitlines() if line.startswith("warning:")]
    assert len(shown) == 1 and "#back tag not recorded" in shown[0] and not re.search(r"\b8\b", shown[0])
