"""Pure parts of push notifications and the check-in: quiet hours, back-off, URL checks, signed check-in links."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from syncd.config import ConfigError, load_settings
from syncd.domain.flags import Confidence, Flag, FlagCode, Severity
from syncd.domain.notify import BACKOFF, MAX_ATTEMPTS, next_attempt, note_message, quiet_until, worth_pushing
from syncd.domain.notify_urls import NotifyUrlError, log_secrets, scheme_of, secret_parts, split_urls
from syncd.services.checkin import (
    CheckinError,
    CheckinExpiredError,
    check_fresh,
    make_token,
    note_with_flags,
    read_token,
)

BERLIN = ZoneInfo("Europe/Berlin")


def test_quiet_hours_span_midnight_in_the_athletes_zone() -> None:
    at = datetime(2026, 12, 6, 21, 30, tzinfo=UTC)  # 22:30 in Berlin
    assert quiet_until(at, BERLIN, 22, 7) == datetime(2026, 12, 7, 6, 0, tzinfo=UTC)
    assert quiet_until(datetime(2026, 12, 7, 5, 59, tzinfo=UTC), BERLIN, 22, 7) == datetime(2026, 12, 7, 6, tzinfo=UTC)
    assert quiet_until(datetime(2026, 12, 7, 6, 0, tzinfo=UTC), BERLIN, 22, 7) is None  # 7:00: awake
    assert quiet_until(datetime(2026, 12, 6, 20, 59, tzinfo=UTC), BERLIN, 22, 7) is None  # 21:59
    assert quiet_until(at, BERLIN, 13, 15) is None
    assert quiet_until(datetime(2026, 12, 6, 12, 30, tzinfo=UTC), BERLIN, 13, 15) == datetime(
        2026, 12, 6, 14, 0, tzinfo=UTC
    )
    assert quiet_until(at, BERLIN, 0, 0) is None  # equal hours: no quiet hours


def test_back_off_grows_then_gives_up() -> None:
    now = datetime(2026, 12, 6, tzinfo=UTC)
    waits = [next_attempt(n, now) for n in range(1, MAX_ATTEMPTS + 1)]
    assert waits[:-1] == [now + wait for wait in BACKOFF] and waits[-1] is None
    assert tuple(sorted(BACKOFF)) == BACKOFF


def _flag(severity: Severity) -> Flag:
    return Flag(FlagCode.DOWNHILL, severity, Confidence.HIGH)


def test_only_cautions_and_high_flags_are_pushed() -> None:
    assert not worth_pushing((_flag(Severity.INFO),))
    assert not worth_pushing(())
    assert worth_pushing((_flag(Severity.INFO), _flag(Severity.CAUTION)))
    message = note_message(
        "Hill reps",
        date(2026, 12, 6),
        flags=(_flag(Severity.INFO), _flag(Severity.HIGH)),
        note=None,
        link="https://s/activities/4",
        checkin="https://s/checkin?t=x",
    )
    assert message.title == "Back-care high: Hill reps (Sun 6 Dec)"
    assert "Downhill (high)" in message.body and "https://s/activities/4" in message.body
    assert "https://s/checkin?t=x" in message.body and message.link == "https://s/activities/4"


def test_urls_are_split_and_checked_without_repeating_them() -> None:
    assert split_urls("ntfy://h/t, gotify://h/tok\ntgram://bot/chat") == [
        "ntfy://h/t",
        "gotify://h/tok",
        "tgram://bot/chat",
    ]
    assert split_urls(["ntfy://h/t", "discord://a/b"]) == ["ntfy://h/t", "discord://a/b"]
    with pytest.raises(NotifyUrlError) as bad:
        split_urls(["ntfy://h/t", "tgram:/s3cret-token/chat"])
    assert "entry 2" in str(bad.value) and "s3cret" not in str(bad.value)
    with pytest.raises(NotifyUrlError):
        split_urls(42)
    assert scheme_of("NTFYS://u:p@h/t") == "ntfys"
    parts = secret_parts("ntfys://user:pa55word@host.example/topic-x?token=abc123")
    assert {"pa55word", "user", "host.example", "topic-x", "abc123"} <= set(parts)
    logged = log_secrets("ntfys://runner:pa55word@ntfy.example.org/back-care-x7q2?token=abc123def")
    assert sorted(logged) == ["abc123def", "back-care-x7q2", "pa55word", "runner"]  # not the host name
    bot = "tgram://123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/-100200300"
    assert "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw" in log_secrets(bot)
    assert "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw" in log_secrets(bot)


def test_config_refuses_a_malformed_url_in_one_line_naming_the_key(tmp_path: Path) -> None:
    env = {"SYNCD_NOTIFY_URLS": "ntfy://ok/topic tgram:s3cret-bot-token", "HOME": str(tmp_path)}
    with pytest.raises(ConfigError) as refused:
        load_settings(env=env)
    text = str(refused.value)
    assert text.startswith("[notify] urls: entry 2 is not an Apprise URL") and "\n" not in text
    assert "s3cret" not in text and "SYNCD_NOTIFY_URLS" in text
    config = tmp_path / "config.toml"
    config.write_text('[notify]\nurls = ["ntfy://h/a", "gotify://h/b"]\ndigest = false\nquiet_start = 23\n')
    settings = load_settings(config, env={"HOME": str(tmp_path)})
    assert settings.notify.urls is not None and settings.notify.urls.reveal() == "ntfy://h/a\ngotify://h/b"
    assert "gotify" not in repr(settings.notify)
    assert (settings.notify.digest, settings.notify.notes, settings.notify.quiet_start) == (False, True, 23)
    config.write_text("[notify]\nnotes = 'maybe'\n")
    with pytest.raises(ConfigError, match=r"^\[notify\] notes must be true or false; got 'maybe'"):
        load_settings(config, env={"HOME": str(tmp_path)})
    config.write_text("[notify]\ncheckin_hour = 24\n")
    with pytest.raises(ConfigError, match=r"^\[notify\] checkin_hour \(an hour of the day\) must be between 0 and 23"):
        load_settings(config, env={"HOME": str(tmp_path)})


SECRET = b"k" * 32


def test_checkin_links_are_signed_per_athlete_and_day_and_expire() -> None:
    day = date(2026, 12, 6)
    token = make_token(SECRET, "strava:1001", day)
    link = read_token(SECRET, token)
    assert (link.athlete_key, link.day) == ("strava:1001", day)
    check_fresh(link, day)
    check_fresh(link, day + timedelta(days=1))  # answered next morning
    with pytest.raises(CheckinExpiredError, match="has expired"):
        check_fresh(link, day + timedelta(days=2))
    other_day = make_token(SECRET, "strava:1001", day + timedelta(days=1))
    forged = token.split(".")[0] + "." + other_day.split(".")[1] + "." + token.split(".")[2]
    for bad in (forged, make_token(b"x" * 32, "strava:1001", day), token[:-2], "", "a.b.c", "////.20261206.x"):
        with pytest.raises(CheckinError) as refused:
            read_token(SECRET, bad)
        assert not isinstance(refused.value, CheckinExpiredError)


def test_ticked_red_flags_are_written_in_words() -> None:
    assert note_with_flags(" stiff ", ["saddle", "night", "nonsense"]) == (
        "stiff Red flags: Numbness between the legs or around the bottom; Severe pain at night."
    )
    assert note_with_flags("", []) == ""
