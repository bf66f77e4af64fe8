"""Push notifications end to end over loopback: the real Apprise client against a tiny ntfy-compatible server.

A flagged run announced by Strava's webhook (the simulator, the real stravalib client, the daemon's own web server)
reaches the receiver within the same sync pass, with its flag and links; quiet hours hold a message back and then
deliver it; a failing target backs off on its own and shows in the status, and an unreachable one delays neither
the others nor the pass beyond its own time-out; no URL secret reaches a log, an error or the database."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from syncd.adapters.crypto import SecretBox
from syncd.adapters.db import Store
from syncd.adapters.notify import AppriseSender
from syncd.config import AdviceSettings, NotifySettings, Secret, Settings, StravaSettings, WebSettings
from syncd.domain.notify import Kind, Message
from syncd.entrypoints.daemon import Daemon, DaemonOptions
from syncd.entrypoints.wiring import notify_repositories
from syncd.services import notifications
from syncd.testing import strava_harness as harness
from syncd.testing.seed import detail_payload, streams_payload, synthetic_run
from syncd.testing.strava_server import StravaSimulator
from tests.net import free_port
from tests.ntfy_receiver import NtfyReceiver

PASSWORD = "n0tify-Pa55word"
VERIFY = "verify-me-please"


@pytest.fixture
def receiver() -> Iterator[NtfyReceiver]:
    with NtfyReceiver(user="runner", password=PASSWORD) as server:
        yield server


@pytest.fixture
def store(db_url: str, secret_box: SecretBox) -> Iterator[Store]:
    opened = Store.open(db_url, secret_box=secret_box)  # the real clock: the daemon's passes use it too
    yield opened
    opened.close()


def _settings(tmp_path: Path, urls: list[str], **notify: object) -> Settings:
    return Settings(
        state_dir=tmp_path,
        config_path=None,
        web=WebSettings(host="127.0.0.1", port=free_port(), base_url="https://syncd.example.org"),
        advice=AdviceSettings(mode="sore"),
        notify=replace(NotifySettings(urls=Secret("\n".join(urls)), quiet_start=0, quiet_end=0), **notify),  # type: ignore[arg-type]
    )


def _flagged_run(sim: StravaSimulator, athlete_id: int, *, minutes_ago: int = 50) -> int:
    """A workout (Strava workout_type 3) of intervals straight from the start: speed work and no warm-up, cautions."""
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=minutes_ago)
    plan = [(3.0, 230.0), (2.0, 420.0), (3.0, 230.0), (2.0, 420.0), (3.0, 230.0), (2.0, 420.0), (3.0, 230.0)]
    run = synthetic_run(start, minutes=0, pace_s_per_km=0, seed=7, plan=plan)
    streams = streams_payload(run.streams) if run.streams is not None else None
    detail = detail_payload(run, start=start)
    detail["workout_type"] = 3
    return sim.add_activity(athlete_id, detail, streams)


def test_a_flagged_run_from_the_webhook_is_pushed_in_the_same_pass(
    store: Store, receiver: NtfyReceiver, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    with StravaSimulator() as sim, socket.socket() as silent:
        silent.bind(("127.0.0.1", free_port()))  # a second target that accepts connections and never answers
        silent.listen(8)
        hung = f"ntfy://127.0.0.1:{silent.getsockname()[1]}/hung"
        athlete = sim.add_athlete(firstname="Nora")
        harness.link(store, sim, athlete.id)
        settings = replace(
            _settings(tmp_path, [hung, receiver.url()], digest=False, timeout_s=8),
            strava=_strava(sim),
        )
        from syncd.entrypoints.wiring import platform_services

        daemon = Daemon(settings, store, platform_services(settings, store), options=DaemonOptions(tick_s=3600))
        daemon.start()
        try:
            assert daemon.wait_for_pass(1, 60)  # the first sync: nothing recent, nothing pushed
            assert receiver.titled("Back-care") == []
            _subscribe(sim, daemon)
            activity = _flagged_run(sim, athlete.id)
            passes = daemon.last_pass.passes
            began = time.monotonic()
            event = {"object_type": "activity", "aspect_type": "create", "object_id": activity}
            assert sim.send_event(**event, owner_id=athlete.id) == 200  # type: ignore[arg-type]
            [message] = receiver.wait_for(1, 30, title="Back-care")
            # the pass that synced the run pushed it, and ended without waiting for the hung target (8 s + 8 s)
            assert daemon.wait_for_pass(passes + 1, 30)
            assert time.monotonic() - began < 6, time.monotonic() - began
            assert message.at - began < 6
            with capfd.disabled():
                print(f"\nwebhook -> push notification: {message.at - began:.3f} s (a hung second target)")
        finally:
            daemon.stop()
    [stored] = [a for a in store.iter_activities() if a.activity.external_id == str(activity)]
    assert message.title.startswith(("Back-care caution:", "Back-care high:"))
    assert message.topic == "back-care"
    assert f"https://syncd.example.org/activities/{stored.id}" in message.message
    assert message.click == f"https://syncd.example.org/activities/{stored.id}"
    assert "https://syncd.example.org/checkin?t=" in message.message
    annotation = store.latest_annotation(stored.id)
    assert annotation is not None and annotation.note and annotation.note.strip() in message.message
    [hung_target] = [t for t in store.notifications.summary() if t["target"] == "config:1"]
    assert hung_target["waiting"] >= 1 and "not delivered" in str(hung_target["last_error"])
    logged = capfd.readouterr()
    assert PASSWORD not in logged.out + logged.err and "/hung" not in logged.out + logged.err


def _strava(sim: StravaSimulator) -> StravaSettings:
    return StravaSettings(
        client_id=str(sim.client_id),
        client_secret=Secret(sim.client_secret),
        api_url=sim.api_url,
        oauth_url=sim.oauth_url,
        write_back="all",
        webhook_verify_token=Secret(VERIFY),
    )


def _subscribe(sim: StravaSimulator, daemon: Daemon) -> None:
    """A push subscription pointing at the daemon's own webhook route, accepted before the daily check."""
    sim.subscriptions[7] = {
        "id": 7,
        "resource_state": 2,
        "application_id": sim.client_id,
        "callback_url": f"{daemon.web_url}/webhook/strava",
        "created_at": "2026-11-01T00:00:00Z",
        "updated_at": "2026-11-01T00:00:00Z",
    }
    daemon.subscription_ids = None


def _athlete(store: Store) -> int:
    return store.ensure_athlete("local", name="Nora", timezone_name="Europe/Berlin")


def _queue_one(store: Store, settings: Settings, now: datetime, ref: str = "2026-12-06") -> int:
    athlete = store.get_athlete(_athlete(store))
    targets = notifications.targets_for(store, settings, athlete, athlete.id)
    message = Message("How is your back today?", "One tap: https://syncd.example.org/checkin?t=x")
    return notifications.queue(notify_repositories(store), settings, athlete, targets, Kind.CHECKIN, ref, message, now)


def test_quiet_hours_hold_a_message_back_then_deliver_it(store: Store, receiver: NtfyReceiver, tmp_path: Path) -> None:
    settings = _settings(tmp_path, [receiver.url()], quiet_start=22, quiet_end=7)
    sender = AppriseSender(timeout_s=5)
    late = datetime(2026, 12, 6, 22, 30, tzinfo=UTC)  # 23:30 in Berlin: quiet
    assert _queue_one(store, settings, late) == 1
    assert notifications.deliver_due(notify_repositories(store), settings, sender, late, "w1").sent == 0
    assert (
        notifications.deliver_due(notify_repositories(store), settings, sender, late + timedelta(hours=7), "w1").sent
        == 0
    )  # 6:30
    assert receiver.messages == []
    morning = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)  # 7:00 in Berlin: the quiet hours are over
    report = notifications.deliver_due(notify_repositories(store), settings, sender, morning, "w1")
    assert report.sent == 1 and [m.title for m in receiver.messages] == ["How is your back today?"]
    assert _queue_one(store, settings, morning) == 0  # the same message (athlete, kind, day, target) is queued once


def test_a_failing_target_backs_off_alone_and_shows_in_status_without_its_secret(
    store: Store, receiver: NtfyReceiver, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    with NtfyReceiver(user="other", password=PASSWORD + "-2") as broken:
        broken.fail_with = 500
        settings = _settings(tmp_path, [broken.url("alerts"), receiver.url()])
        sender = AppriseSender(timeout_s=5)
        now = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
        assert _queue_one(store, settings, now) == 2
        report = notifications.deliver_due(notify_repositories(store), settings, sender, now, "w1")
        assert report.sent == 1 and len(receiver.messages) == 1
        assert len(report.failed) == 1 and report.failed[0].startswith("config:1: ntfy: not delivered")
        [bad, good] = sorted(store.notifications.summary(), key=lambda t: str(t["target"]))
        assert (good["target"], good["sent"], good["waiting"]) == ("config:2", 1, 0)
        assert (bad["target"], bad["sent"], bad["waiting"], bad["failed"]) == ("config:1", 0, 1, 0)
        assert bad["next_attempt_at"] == now + timedelta(minutes=1)
        assert "server trouble" in str(bad["last_error"])
        # not due yet: nothing is tried; once due and the server is back, it goes out
        assert (
            notifications.deliver_due(
                notify_repositories(store), settings, sender, now + timedelta(seconds=30), "w1"
            ).failed
            == []
        )
        assert broken.requests == 1
        broken.fail_with = None
        later = notifications.deliver_due(
            notify_repositories(store), settings, sender, now + timedelta(minutes=2), "w1"
        )
        assert later.sent == 1 and len(broken.messages) == 1 and len(receiver.messages) == 1
    text = repr(store.notifications.summary()) + capfd.readouterr().err + capfd.readouterr().out
    assert PASSWORD not in text and "alerts" not in text
    with store.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT * FROM notifications")).all()
    assert PASSWORD not in repr(rows) and "127.0.0.1" not in repr(rows)


def test_an_unreachable_target_never_delays_the_others(store: Store, receiver: NtfyReceiver, tmp_path: Path) -> None:
    with socket.socket() as silent:  # accepts connections (the kernel's backlog) and never answers
        silent.bind(("127.0.0.1", free_port()))
        silent.listen(8)
        hung = f"ntfy://127.0.0.1:{silent.getsockname()[1]}/hung"
        settings = _settings(tmp_path, [hung, receiver.url()], timeout_s=3)
        now = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
        assert _queue_one(store, settings, now) == 2
        began = time.monotonic()
        report = notifications.deliver_due(notify_repositories(store), settings, AppriseSender(timeout_s=3), now, "w1")
        took = time.monotonic() - began
        [arrived] = receiver.messages
    assert arrived.at - began < 1.5  # the good target did not wait for the hung one
    assert report.sent == 1 and len(report.failed) == 1
    assert took < 3 * 3 + 2  # the hung one cost its own time-out (connect + read), no more


def test_athlete_urls_are_stored_encrypted(store: Store, receiver: NtfyReceiver, tmp_path: Path) -> None:
    athlete_id = _athlete(store)
    store.notifications.set_targets(athlete_id, [receiver.url("mine")])
    with store.engine.connect() as conn:
        sealed = conn.execute(sa.text("SELECT urls_encrypted FROM notify_targets")).scalar_one()
    assert PASSWORD.encode() not in bytes(sealed) and b"mine" not in bytes(sealed)
    assert store.notifications.targets(athlete_id) == [receiver.url("mine")]
    settings = _settings(tmp_path, [])
    athlete = store.get_athlete(athlete_id)
    results = notifications.send_test(notify_repositories(store), settings, AppriseSender(timeout_s=5), athlete)
    assert results == [("athlete:1 (ntfy)", None)]
    assert [m.topic for m in receiver.messages] == ["mine"]
    store.notifications.set_targets(athlete_id, [])
    assert store.notifications.targets(athlete_id) == []


def test_the_checkin_link_records_once_and_the_next_note_switches_mode(
    store: Store, receiver: NtfyReceiver, tmp_path: Path
) -> None:
    import requests

    from syncd.services.checkin import make_token

    with StravaSimulator() as sim:
        athlete = sim.add_athlete(firstname="Nora")
        harness.link(store, sim, athlete.id)
        settings = replace(
            _settings(tmp_path, [receiver.url()], digest=False, checkin_hour=0),
            advice=AdviceSettings(),  # auto: from the pain diary
            strava=_strava(sim),
        )
        from syncd.entrypoints.wiring import platform_services

        daemon = Daemon(settings, store, platform_services(settings, store), options=DaemonOptions(tick_s=3600))
        daemon.start()
        try:
            [checkin] = receiver.wait_for(1, 60, title="How is your back today?")
            link = checkin.click
            assert link is not None and link.startswith("https://syncd.example.org/checkin?t=")
            local = f"{daemon.web_url}/checkin?t={link.split('?t=')[1]}"
            page = requests.get(local, timeout=10)
            assert page.status_code == 200 and "How is your back today?" in page.text
            assert page.text.count('name="score"') == 11 and page.text.count('name="flag"') == 8
            form = {"t": link.split("?t=")[1], "score": "6", "note": "stiff after sitting"}
            done = requests.post(f"{daemon.web_url}/checkin", data=form, timeout=10)
            assert done.status_code == 200 and "6/10" in done.text
            [entry] = store.pain_diary.entries()
            assert (entry.score, entry.source.value, entry.note) == (6, "checkin", "stiff after sitting")
            # one use per day: the same link again, by GET or POST, is refused and changes nothing
            assert requests.get(local, timeout=10).status_code == 400
            again = requests.post(f"{daemon.web_url}/checkin", data={**form, "score": "1"}, timeout=10)
            assert again.status_code == 400 and "has been used" in again.text
            forged = form["t"][:-3] + ("AAA" if not form["t"].endswith("AAA") else "BBB")
            assert requests.post(f"{daemon.web_url}/checkin", data={**form, "t": forged}, timeout=10).status_code == 400
            old = make_token(store.signing_key("checkin"), f"strava:{athlete.id}", entry.day - timedelta(days=3))
            expired = requests.get(f"{daemon.web_url}/checkin", params={"t": old}, timeout=10)
            assert expired.status_code == 410 and "has expired" in expired.text
            assert [(e.score, e.source.value) for e in store.pain_diary.entries()] == [(6, "checkin")]

            _subscribe(sim, daemon)
            activity = _flagged_run(sim, athlete.id, minutes_ago=10)
            event = {"object_type": "activity", "aspect_type": "create", "object_id": activity}
            assert sim.send_event(**event, owner_id=athlete.id) == 200  # type: ignore[arg-type]
            [pushed] = receiver.wait_for(1, 60, title="Back-care")
        finally:
            daemon.stop()
    [stored] = [a for a in store.iter_activities() if a.activity.external_id == str(activity)]
    annotation = store.latest_annotation(stored.id)
    assert annotation is not None and annotation.note is not None
    assert "Mode: sore" in annotation.note, annotation.note
    assert "Mode: sore" in pushed.message


def test_each_kind_can_be_turned_off(store: Store, receiver: NtfyReceiver, tmp_path: Path) -> None:
    now = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
    _athlete(store)
    off = _settings(tmp_path, [receiver.url()], checkin=False, checkin_hour=0, digest=False)
    assert _queue_one(store, off, now) == 0
    assert notifications.queue_daily(notify_repositories(store), off, now) == 0
    assert store.notifications.summary() == []
    on = _settings(tmp_path, [receiver.url()], checkin_hour=0, digest=False)
    assert notifications.queue_daily(notify_repositories(store), on, now) == 1  # the same day with check-ins on: queued
    assert notifications.queue_daily(notify_repositories(store), on, now + timedelta(hours=1)) == 0  # once a day


def test_the_daily_checkin_comes_after_a_run_or_at_the_chosen_hour(
    store: Store, receiver: NtfyReceiver, tmp_path: Path
) -> None:
    athlete_id = _athlete(store)  # Europe/Berlin
    settings = _settings(tmp_path, [receiver.url()], digest=False, checkin_hour=19)
    morning = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)  # 10:00 in Berlin, no run yet: not yet
    assert notifications.queue_daily(notify_repositories(store), settings, morning) == 0
    run = synthetic_run(datetime(2026, 12, 6, 7, 30, tzinfo=UTC), minutes=30, pace_s_per_km=340, seed=5)
    store.upsert_activity(athlete_id, run, {})
    assert notifications.queue_daily(notify_repositories(store), settings, morning) == 1  # after the day's run
    assert (
        notifications.queue_daily(notify_repositories(store), settings, morning + timedelta(hours=10)) == 0
    )  # once a day
    evening = datetime(2026, 12, 7, 18, 0, tzinfo=UTC)  # the next day, 19:00 in Berlin, no run: the chosen hour
    assert notifications.queue_daily(notify_repositories(store), settings, evening - timedelta(hours=1)) == 0
    assert notifications.queue_daily(notify_repositories(store), settings, evening) == 1
    [first, second] = sorted(r for r in _refs(store))
    assert (first, second) == ("2026-12-06", "2026-12-07")


def _refs(store: Store) -> list[str]:
    with store.engine.connect() as conn:
        return [str(r) for r in conn.execute(sa.text("SELECT ref FROM notifications WHERE kind = 'checkin'")).scalars()]


def test_the_weekly_digest_is_pushed_once_as_a_short_text_with_a_link(
    store: Store, receiver: NtfyReceiver, tmp_path: Path
) -> None:
    athlete_id = _athlete(store)  # Europe/Berlin
    settings = _settings(tmp_path, [receiver.url()], checkin=False)
    for day in (24, 26, 28):  # week 2026-W48 (Mon 23 Nov - Sun 29 Nov)
        run = synthetic_run(datetime(2026, 11, day, 7, 0, tzinfo=UTC), minutes=40, pace_s_per_km=330, seed=day)
        store.upsert_activity(athlete_id, replace(run, external_id=f"week-run-{day}"), {})
    sunday = datetime(2026, 11, 29, 20, 0, tzinfo=UTC)  # the week is not over: its digest is not due
    assert notifications.queue_daily(notify_repositories(store), settings, sunday) == 0
    monday = datetime(2026, 11, 30, 6, 30, tzinfo=UTC)  # 7:30 in Berlin, after [digest] hour 7
    assert notifications.queue_daily(notify_repositories(store), settings, monday) == 1
    assert (
        notifications.queue_daily(notify_repositories(store), settings, monday + timedelta(hours=3)) == 0
    )  # once a week
    assert (
        notifications.deliver_due(notify_repositories(store), settings, AppriseSender(timeout_s=5), monday, "w1").sent
        == 1
    )
    [message] = receiver.messages
    assert message.title.startswith("Back-care week 23\u201329 Nov 2026: 3 runs, ")
    assert "Advice mode: sore." in message.message  # [advice] mode = sore in these settings
    assert message.click == "https://syncd.example.org/digest?week=2026-W48"
    assert "https://syncd.example.org/digest?week=2026-W48" in message.message


def test_an_athlete_turns_kinds_off_for_themselves(store: Store, receiver: NtfyReceiver, tmp_path: Path) -> None:
    athlete_id = _athlete(store)
    settings = _settings(tmp_path, [receiver.url()], checkin_hour=0, digest=False)
    store.notifications.set_muted(athlete_id, notifications.parse_kinds("note,digest"))  # check-ins off
    now = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
    assert notifications.queue_daily(notify_repositories(store), settings, now) == 0
    assert _queue_one(store, settings, now) == 0
    store.notifications.set_targets(athlete_id, [receiver.url("own")])  # URLs and kinds are kept apart
    assert store.notifications.muted(athlete_id) == {"checkin"}
    store.notifications.set_targets(athlete_id, [])
    assert store.notifications.muted(athlete_id) == {"checkin"}
    store.notifications.set_muted(athlete_id, notifications.parse_kinds("all"))
    assert notifications.queue_daily(notify_repositories(store), settings, now) == 1
    with pytest.raises(ValueError, match="unknown kind 'weekly'; use note, digest, checkin, all or none"):
        notifications.parse_kinds("note,weekly")


def test_old_sent_and_given_up_messages_are_pruned_waiting_ones_stay(
    store: Store, receiver: NtfyReceiver, tmp_path: Path
) -> None:
    settings = _settings(tmp_path, [receiver.url()])
    then = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
    assert _queue_one(store, settings, then, ref="2026-10-01") == 1
    assert (
        notifications.deliver_due(notify_repositories(store), settings, AppriseSender(timeout_s=5), then, "w1").sent
        == 1
    )
    assert _queue_one(store, settings, then + timedelta(days=1), ref="2026-10-02") == 1  # never delivered: waits
    assert notifications.prune(notify_repositories(store), then + timedelta(days=29)) == 0  # not a month old yet
    assert notifications.prune(notify_repositories(store), then + timedelta(days=45)) == 1
    [left] = store.notifications.summary()
    assert (left["sent"], left["waiting"]) == (0, 1)
