"""Weekly digests end to end below the CLI: store (SQLite + PostgreSQL) -> builder -> Jinja2 -> real SMTP (aiosmtpd).

Each test starts its own aiosmtpd server on loopback; STARTTLS and implicit TLS use a trustme certificate that the
client verifies, AUTH is required where a password is configured. The received MIME is parsed like a mail client.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from syncd.adapters.db import Store
from syncd.adapters.smtp import SmtpMailer
from syncd.config import DigestSettings, EmailSettings, Settings
from syncd.domain.flags import Confidence, Flag, FlagCode, Severity
from syncd.domain.model import Activity, Gear, Source, Sport
from syncd.entrypoints.wiring import digest_repositories, trend_chart
from syncd.services.digest_recipients import digest_summary
from syncd.services.digests import digest_state, send_due_digests
from tests.integration.digest_smtp import PASSWORD, USER, silent_server, smtp_server

# Monday 23 Nov 2026, 08:00 Berlin (UTC+1): the W47 digest (16-22 Nov) is due from 07:00 local.
DUE = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
BERLIN = 3600


def settings(tmp_path: Path, **email: object) -> Settings:
    values: dict[str, object] = {"host": "127.0.0.1", "sender": "syncd <syncd@example.org>", "to": "ann@example.org"}
    values.update(email)
    return Settings(
        state_dir=tmp_path,
        config_path=None,
        email=EmailSettings(**values),  # type: ignore[arg-type]
        digest=DigestSettings(feed_url="https://syncd.example.org/feed"),
    )


def run(external_id: str, day: int, hour: int = 7, *, km: float = 10.0, sport: Sport = Sport.RUN) -> Activity:
    return Activity(
        source=Source.FILE,
        external_id=external_id,
        sport=sport,
        sport_original=sport.value,
        name=f"Run {external_id}",
        start_utc=datetime(2026, 11, day, hour - 1, 0, tzinfo=UTC),
        utc_offset_s=BERLIN,
        timezone_name="Europe/Berlin",
        distance_m=km * 1000,
        moving_s=km * 330,
        elevation_loss_m=50.0,
        gear_id="shoe1",
    )


HARD = Flag(FlagCode.HARD_SURFACE, Severity.CAUTION, Confidence.MEDIUM, {"distance_m": 10000.0}, "grass")
DOWN = Flag(FlagCode.DOWNHILL, Severity.HIGH, Confidence.HIGH, {"total_descent_m": 50.0}, "level")


def add_week(store: Store, key: str = "local", *, email: str | None = None, opt_in: bool = False) -> int:
    """An athlete with 3 runs in W47 (3 flags), earlier weeks of history, and a worn pair of shoes."""
    athlete = store.ensure_athlete(key, name=f"Athlete {key}", timezone_name="Europe/Berlin")
    if email is not None or opt_in:
        store.update_athlete(athlete, email=email, digest_opt_in=opt_in)
    for day in range(1, 16, 3):
        store.upsert_activity(athlete, run(f"{key}-old{day}", day), {})
    flags = {f"{key}-a": (HARD, DOWN), f"{key}-b": (HARD,), f"{key}-c": ()}
    for (external_id, flag_set), day in zip(flags.items(), (17, 19, 21), strict=True):
        stored = store.upsert_activity(athlete, run(external_id, day), {})
        store.save_annotation(stored.activity_id, "v1", flag_set, None)
    store.upsert_gear(athlete, Gear("shoe1", "Old Pegasus", 640_000.0))
    return athlete


def starttls_mailer(server_host: str, port: int, context: object, password: str = PASSWORD) -> SmtpMailer:
    return SmtpMailer(
        host=server_host,
        port=port,
        security="starttls",
        username=USER,
        password=password,
        ssl_context=context,  # type: ignore[arg-type]
        timeout_s=10,
    )


def test_digest_over_starttls_with_auth_is_a_proper_multipart_email(store: Store, tmp_path: Path) -> None:
    athlete = add_week(store)
    config = settings(tmp_path, reply_to="coach@example.org")
    with smtp_server(security="starttls", auth=True) as server:
        mailer = starttls_mailer(server.host, server.port, server.client_context())
        report = send_due_digests(
            digest_repositories(store), config, DUE, mailer=mailer, chart=trend_chart(), worker="w1"
        )
        again = send_due_digests(
            digest_repositories(store), config, DUE + timedelta(hours=1), mailer=mailer, worker="w1"
        )
    assert report.sent == ["local 2026-W47"] and not report.failed
    assert again.sent == []
    assert store.digest_status(athlete, "2026-W47") == "sent"
    [received] = server.sink.received
    assert received.rcpt_tos == ["ann@example.org"]
    message = received.message()
    assert message["Subject"] == "Back-care week 16\u201322 Nov 2026: 3 runs, 3 flags"
    assert message["From"] == "syncd <syncd@example.org>"
    assert message["To"] == "ann@example.org"
    assert message["Reply-To"] == "coach@example.org"
    assert message["Message-ID"] == f"<digest-{athlete}-2026-W47@example.org>"
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    plain = text.get_content()
    assert "Runs: 3, 30 km" in plain
    assert "- Hard surface (2 runs, caution)" in plain and "- Downhill (1 run, high)" in plain
    assert "Old Pegasus: 640 km of 600 km (107%, replace them)" in plain
    assert "https://syncd.example.org/feed" in plain
    markup = html.get_content()
    assert 'src="cid:load-chart@syncd"' in markup
    assert "Back-care flags: 3" in markup
    related = [part for part in message.walk() if part.get_content_type() == "multipart/related"]
    assert len(related) == 1
    [image] = [part for part in message.walk() if part.get_content_type() == "image/png"]
    assert image["Content-ID"] == "<load-chart@syncd>"
    assert image.get_content_disposition() == "inline"
    assert image.get_content()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # aiosmtpd cannot see implicit TLS
def test_implicit_tls(store: Store, tmp_path: Path) -> None:
    add_week(store)
    with smtp_server(security="tls", auth=True) as server:
        mailer = SmtpMailer(
            server.host,
            server.port,
            "tls",
            USER,
            PASSWORD,
            timeout_s=10,
            ssl_context=server.client_context(),
        )
        report = send_due_digests(digest_repositories(store), settings(tmp_path, port=server.port), DUE, mailer=mailer)
    assert report.sent == ["local 2026-W47"]
    assert len(server.sink.received) == 1


def test_not_sent_before_monday_seven_local(store: Store, tmp_path: Path) -> None:
    athlete = add_week(store)
    with smtp_server() as server:
        mailer = SmtpMailer(server.host, server.port, "none", timeout_s=10)
        early = send_due_digests(
            digest_repositories(store), settings(tmp_path), DUE - timedelta(minutes=90), mailer=mailer
        )
    assert "local 2026-W47" not in early.sent
    assert store.digest_status(athlete, "2026-W47") is None


def test_exactly_once_across_two_senders_on_one_database(store_factory: Callable[[], Store], tmp_path: Path) -> None:
    first, second = store_factory(), store_factory()
    athletes = [add_week(first, f"strava:{n}", email=f"runner{n}@example.org", opt_in=True) for n in range(4)]
    config = settings(tmp_path, to=None)
    with smtp_server() as server:
        mailer = SmtpMailer(server.host, server.port, "none", timeout_s=10)
        reports = []

        def sender(store: Store, name: str) -> None:
            reports.append(send_due_digests(digest_repositories(store), config, DUE, mailer=mailer, worker=name))

        threads = [
            threading.Thread(target=sender, args=(store, f"worker-{n}")) for n, store in enumerate((first, second))
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        # a restarted worker later on finds nothing left to send
        later = send_due_digests(
            digest_repositories(store_factory()), config, DUE + timedelta(days=1), mailer=mailer, worker="worker-3"
        )
    assert later.sent == []
    assert all(not report.failed for report in reports)
    recipients = sorted(r for received in server.sink.received for r in received.rcpt_tos)
    assert recipients == [f"runner{n}@example.org" for n in range(4)]
    assert sum(len(report.sent) for report in reports) == 4
    assert all(second.digest_status(a, "2026-W47") == "sent" for a in athletes)


def test_refused_connection_is_retried_later_with_backoff(store: Store, tmp_path: Path) -> None:
    athlete = add_week(store)
    with smtp_server() as server:
        port = server.port
    broken = SmtpMailer("127.0.0.1", port, "none", timeout_s=5)  # the server is gone: connection refused
    failed = send_due_digests(digest_repositories(store), settings(tmp_path), DUE, mailer=broken)
    assert failed.sent == []
    [line] = failed.failed
    assert "refused the connection" in line and f"127.0.0.1:{port}" in line
    state = digest_state(store.digest_log, athlete, "2026-W47")
    assert state is not None and state.status == "failed" and state.attempts == 1
    assert state.retry_at == DUE + timedelta(minutes=5)
    assert state.last_error is not None and "refused" in state.last_error

    # before the retry time nothing is attempted, not even against a working server
    with smtp_server() as server:
        mailer = SmtpMailer(server.host, server.port, "none", timeout_s=10)
        soon = send_due_digests(
            digest_repositories(store), settings(tmp_path), DUE + timedelta(minutes=2), mailer=mailer
        )
        assert soon.sent == [] and soon.failed == [] and server.sink.received == []
        second = send_due_digests(
            digest_repositories(store), settings(tmp_path), DUE + timedelta(minutes=6), mailer=broken
        )
        state = digest_state(store.digest_log, athlete, "2026-W47")
        assert second.failed and state is not None and state.attempts == 2
        assert state.retry_at == DUE + timedelta(minutes=6 + 10)  # doubled
        later = send_due_digests(
            digest_repositories(store), settings(tmp_path), DUE + timedelta(minutes=17), mailer=mailer
        )
    assert later.sent == ["local 2026-W47"]
    assert len(server.sink.received) == 1
    assert store.digest_status(athlete, "2026-W47") == "sent"


def test_a_failed_week_is_caught_up_after_the_next_week_is_due(store: Store, tmp_path: Path) -> None:
    athlete = add_week(store)
    broken = SmtpMailer("127.0.0.1", 9, "none", timeout_s=5)
    send_due_digests(digest_repositories(store), settings(tmp_path), DUE, mailer=broken)
    with smtp_server() as server:
        mailer = SmtpMailer(server.host, server.port, "none", timeout_s=10)
        report = send_due_digests(
            digest_repositories(store), settings(tmp_path), DUE + timedelta(days=7), mailer=mailer
        )
    assert report.sent == ["local 2026-W47", "local 2026-W48"]
    assert store.digest_status(athlete, "2026-W48") == "sent"


def test_auth_failure_and_refused_recipient_do_not_stop_other_athletes(store: Store, tmp_path: Path) -> None:
    add_week(store, "strava:1", email="good@example.org", opt_in=True)
    bad = add_week(store, "strava:2", email="gone@example.org", opt_in=True)
    config = settings(tmp_path, to=None)
    with smtp_server(security="starttls", auth=True) as server:
        server.sink.reject.add("gone@example.org")
        wrong = starttls_mailer(server.host, server.port, server.client_context(), password="wrong-password-x")
        denied = send_due_digests(digest_repositories(store), config, DUE, mailer=wrong)
        assert denied.sent == [] and len(denied.failed) == 2
        assert all("rejected the login" in line and "wrong-password-x" not in line for line in denied.failed)
        assert all(PASSWORD not in line for line in denied.failed)

        right = starttls_mailer(server.host, server.port, server.client_context())
        report = send_due_digests(digest_repositories(store), config, DUE + timedelta(minutes=10), mailer=right)
    assert report.sent == ["strava:1 2026-W47"]
    [line] = report.failed
    assert "strava:2" in line and "refused the recipient(s) gone@example.org" in line
    assert store.digest_status(bad, "2026-W47") == "failed"
    assert [r.rcpt_tos for r in server.sink.received] == [["good@example.org"]]


def test_a_hanging_server_times_out_and_is_retried(store: Store, tmp_path: Path) -> None:
    athlete = add_week(store)
    with silent_server() as port:
        mailer = SmtpMailer("127.0.0.1", port, "starttls", timeout_s=0.5)
        report = send_due_digests(digest_repositories(store), settings(tmp_path), DUE, mailer=mailer)
    [line] = report.failed
    assert "timed out" in line
    assert store.digest_status(athlete, "2026-W47") == "failed"


def test_invalid_address_is_reported_and_others_still_get_theirs(store: Store, tmp_path: Path) -> None:
    add_week(store, "strava:1", email="not an address", opt_in=True)
    add_week(store, "strava:2", email="fine@example.org", opt_in=True)
    config = settings(tmp_path, to=None)
    with smtp_server() as server:
        mailer = SmtpMailer(server.host, server.port, "none", timeout_s=10)
        report = send_due_digests(digest_repositories(store), config, DUE, mailer=mailer)
    assert report.sent == ["strava:2 2026-W47"]
    [line] = report.invalid
    assert line.startswith("strava:1:") and "not an email address" in line
    summary = digest_summary(store, store.digest_log, config)
    assert summary["invalid_addresses"] == [
        {"athlete": "strava:1", "problem": "'not an address' is not an email address like runner@example.org"}
    ]
    assert summary["sent"] == 1


@pytest.mark.parametrize(("when_empty", "expected"), [("short", 1), ("skip", 0)])
def test_a_week_without_runs(store: Store, tmp_path: Path, when_empty: str, expected: int) -> None:
    athlete = store.ensure_athlete("local", timezone_name="Europe/Berlin")
    store.upsert_activity(athlete, run("old", 2), {})
    config = settings(tmp_path)
    config = replace(config, digest=DigestSettings(when_empty=when_empty))  # type: ignore[arg-type]
    with smtp_server() as server:
        mailer = SmtpMailer(server.host, server.port, "none", timeout_s=10)
        report = send_due_digests(digest_repositories(store), config, DUE, mailer=mailer)
    assert not report.failed
    assert len(server.sink.received) == expected
    if expected:
        message = server.sink.received[0].message()
        assert message["Subject"] == "Back-care week 16\u201322 Nov 2026: no runs"
        body = message.get_body(("plain",))
        assert body is not None and "No runs recorded this week." in body.get_content()


def test_athletes_who_did_not_opt_in_get_nothing(store: Store, tmp_path: Path) -> None:
    add_week(store, "strava:1", email="quiet@example.org", opt_in=False)
    with smtp_server() as server:
        mailer = SmtpMailer(server.host, server.port, "none", timeout_s=10)
        report = send_due_digests(digest_repositories(store), settings(tmp_path, to=None), DUE, mailer=mailer)
    assert report.sent == [] and server.sink.received == []


def test_chart_renders_weeks_without_a_ratio() -> None:
    from datetime import date

    from syncd.adapters.charts import load_trend_png
    from syncd.domain.digest import LoadWeek

    weeks = [LoadWeek(f"2026-W{n}", date(2026, 11, 16), 0.0, None, None) for n in range(40, 48)]
    png = load_trend_png(weeks)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5_000
