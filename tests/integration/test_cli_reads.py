"""The short commands' read-only path (issue 32) prints exactly what the full Store path prints, on SQLite and on
PostgreSQL: `status`, `athlete show` and `pain --list` read through adapters/db/reads.py and status_reads.py over a
plain DB-API connection, and the SQLAlchemy Store reads through the same modules; these tests make both paths run on
one database and compare."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from syncd.adapters.db import reads
from syncd.adapters.db.models import ACCOUNTS, ACTIVITIES, DIGESTS, NOTIFICATIONS, OUTBOX
from syncd.adapters.db.read_store import ReadStore
from syncd.adapters.db.repository import Store
from syncd.config import load_settings
from syncd.domain.model import Gear, Source
from syncd.domain.pain import PainEntry, PainSource
from syncd.entrypoints.cli import main
from syncd.entrypoints.wiring import open_store
from syncd.testing.seed import synthetic_run

COMMANDS = [
    ("status",),
    ("status", "--json"),
    ("athlete", "show", "local"),
    ("athlete", "show", "strava:1001"),
    ("athlete", "show", "strava:1001", "--json"),
    ("athlete", "show"),
    ("athlete", "show", "nobody"),
    ("pain", "--list"),
    ("pain", "--list", "--json"),
    ("pain", "strava:1001", "--list"),
    ("pain", "nobody", "--list"),
]


# Printed by the commit before issue 32 (12f188f, every read through SQLAlchemy) on this database, SQLite and
# PostgreSQL alike: the plain-SQL path must print the same bytes.
EXPECTED = {
    ("athlete", "show", "strava:1001"): (
        "athlete      strava:1001 (Zoë Läufer)  [the one athlete of this install]\n"
        "units        imperial (chosen)\n"
        "time zone    Europe/Berlin\n"
        "max HR       187.5 bpm\n"
        "write-back   strava private, garmin private\n"
        "email        zoe@example.org\n"
        "digest       off (unsubscribed 2026-11-20; `--digest on` turns it back on)\n"
        "notify       athlete:1 (ntfys), athlete:2 (mailto); off for this athlete: digest\n"
        "mode         sore (chosen)\n"
        "shoe         g1  Road Shoes: 318 mi, limit 404 mi\n"
        "shoe         g2  Trail Shoes: 49.7 mi, limit default ([rules] shoe_limit_km = 600), retired\n"
    ),
    ("athlete", "show", "local"): (
        "athlete      local (Local athlete)\n"
        "units        metric ([notes] units)\n"
        "time zone    from the activities\n"
        "max HR       not set (load in minutes)\n"
        "write-back   strava off, garmin off\n"
        "email        not set\n"
        "digest       off (`syncd athlete set --email ADDRESS --digest on` turns it on)\n"
        "notify       off (no [notify] urls for this athlete, no --notify)\n"
        "mode         auto ([advice] mode)\n"
        "shoes        none synced\n"
    ),
    ("pain", "strava:1001", "--list"): (
        "2026-11-21   6/10  strava:1001      web   stiff après la côte\n2026-11-22   2/10  strava:1001      cli \n"
    ),
}


@pytest.fixture
def cli_db(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A database like a real install's: two athletes with settings, shoes, a diary, push targets."""
    for name in ("HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(name, str(tmp_path / name.lower()))
    for name in ("SYNCD_CONFIG", "SYNCD_DATABASE_URL", "STATE_DIRECTORY", "CREDENTIALS_DIRECTORY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SYNCD_STRAVA_CLIENT_ID", "4242")
    monkeypatch.setenv("SYNCD_STRAVA_CLIENT_SECRET", "client-secret")
    settings = load_settings(None, overrides={"database": {"url": db_url}})
    store = open_store(settings)
    try:
        local = store.ensure_athlete("local", name="Local athlete")
        runner = store.ensure_athlete("strava:1001", name="Zoë Läufer", timezone_name="Europe/Berlin")
        store.upsert_account(runner, "strava", "1001", {"access_token": "secret-token"})
        store.set_athlete_settings(
            runner,
            email="zoe@example.org",
            digest_opt_in=True,
            units="imperial",
            units_chosen=True,
            max_heart_rate=187.5,
            write_back="private",
            digest_unsubscribed_at=datetime(2026, 11, 20, 7, 30, 15, 123456, tzinfo=UTC),
        )
        store.upsert_gear(runner, Gear("g1", "Road Shoes", 512_345.6))
        store.upsert_gear(runner, Gear("g2", "Trail Shoes", 80_000.0, retired=True))
        store.set_gear_limit(runner, "g1", 650_000.0)
        store.pain_diary.set_advice_mode(runner, "sore")
        store.notifications.set_targets(runner, ["ntfys://ntfy.sh/zoe-topic", "mailto://u:p@example.org"])
        store.notifications.set_muted(runner, ["digest"])
        diary = store.pain_diary
        diary.record(PainEntry(runner, date(2026, 11, 21), 6, PainSource.WEB, note="stiff après la côte"))
        diary.record(PainEntry(runner, date(2026, 11, 22), 2, PainSource.CLI))
        diary.record(PainEntry(local, date(2026, 11, 20), 4, PainSource.CLI, note="long run"))
        _status_rows(store, runner)
    finally:
        store.close()
    yield db_url


def _status_rows(store: Store, runner: int) -> None:
    """Everything `syncd status` shows: a leased account, runs waiting for streams, a warning, the outbox's and
    the digests' failures, push messages waiting and failed, the Strava budget spent."""
    now = datetime.now(UTC)
    ids = []
    for n in range(3):
        run = synthetic_run(now - timedelta(days=3 + n), minutes=30, pace_s_per_km=330, seed=n)
        stored = replace(run, source=Source.STRAVA, external_id=f"900{n}", streams=None)
        ids.append(store.upsert_activity(runner, stored, {"id": n}).activity_id)
    store.rate_budget("strava:4242").try_spend("read", now)
    far = datetime(2031, 1, 2, 3, 4, 5, tzinfo=UTC)
    with store.engine.begin() as conn:
        conn.execute(sa.update(ACCOUNTS).values(lease_owner="host:123", lease_expires_at=far, next_due_at=far))
        conn.execute(
            sa.update(ACTIVITIES).where(ACTIVITIES.c.id == ids[0]).values(input_warnings={"twin": "two runs match"})
        )
        outbox = {"provider": "strava", "note": "n", "next_attempt_at": far, "updated_at": far}
        conn.execute(sa.insert(OUTBOX).values(activity_id=ids[1], status="failed", last_error="HTTP 500", **outbox))
        conn.execute(sa.insert(OUTBOX).values(activity_id=ids[2], status="pending", **outbox))
        conn.execute(sa.insert(DIGESTS).values(athlete_id=runner, week="2026-W45", status="sent", sent_at=far))
        conn.execute(
            sa.insert(DIGESTS).values(athlete_id=runner, week="2026-W46", status="failed", attempts=3, last_error="x")
        )
        message = {"athlete_id": runner, "kind": "note", "target": "athlete:1", "scheme": "ntfys", "title": "t"}
        conn.execute(sa.insert(NOTIFICATIONS).values(ref="a", body="b", next_attempt_at=far, **message))
        conn.execute(
            sa.insert(NOTIFICATIONS).values(ref="c", body="d", status="failed", last_error="HTTP 403", **message)
        )


def _run(capsys: pytest.CaptureFixture[str], db_url: str, args: tuple[str, ...]) -> tuple[int, str, str]:
    code = main(["--database-url", db_url, *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_read_only_path_prints_what_the_store_prints(
    cli_db: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[bool] = []
    original = ReadStore.open.__func__  # type: ignore[attr-defined]

    def spy(cls: type[ReadStore], url: str, **kwargs: object) -> ReadStore | None:
        found: ReadStore | None = original(cls, url, **kwargs)
        opened.append(found is not None)
        return found

    monkeypatch.setattr(ReadStore, "open", classmethod(spy))
    fast = {args: _run(capsys, cli_db, args) for args in COMMANDS}
    assert opened == [True] * len(COMMANDS)  # each command read without the Store
    monkeypatch.setattr(ReadStore, "open", classmethod(lambda cls, url, **kwargs: None))
    full = {args: _run(capsys, cli_db, args) for args in COMMANDS}
    for args in COMMANDS:
        assert fast[args] == full[args], args
    for args, expected in EXPECTED.items():  # what 12f188f (SQLAlchemy, before issue 32) printed, byte for byte
        assert fast[args] == (0, expected, ""), args
    shown = fast[("athlete", "show", "strava:1001")][1]
    assert "secret-token" not in shown and "zoe-topic" not in shown
    status = fast[("status",)][1]
    assert "strava:1001: being synced by host:123" in status and "3 older run(s) wait for their streams" in status
    assert "1 note(s) waiting to be written, 1 failed" in status and "HTTP 500" in status
    assert "rate budget left: 99 reads this 15 min" in status and "two runs match" in status
    assert "1 sent, 1 failed" in status and "HTTP 403" in status
    assert "client-secret" not in status and "secret-token" not in status
    listed = fast[("pain", "--list")][1].splitlines()
    assert listed[0] == "2026-11-20   4/10  local            cli   long run"
    assert listed[1] == "2026-11-21   6/10  strava:1001      web   stiff après la côte"
    assert fast[("pain", "nobody", "--list")][0] == 2


def test_a_database_not_at_the_newest_migration_takes_the_full_path(cli_db: str) -> None:
    reader = reads.open_reader(cli_db)
    assert reader is not None
    reader.close()
    store = open_store(load_settings(None, overrides={"database": {"url": cli_db}}))
    try:
        with store.engine.begin() as conn:
            conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0005_i30notify'")
    finally:
        store.close()
    assert reads.open_reader(cli_db) is None


def test_athletes_that_follow_a_changed_units_setting_take_the_full_path(cli_db: str) -> None:
    """`[notes] units` changed: the full Store moves those athletes and marks their notes (a write)."""
    assert ReadStore.open(cli_db, units="metric") is not None
    assert ReadStore.open(cli_db, units="imperial") is None  # "local" never chose: it follows the new setting
