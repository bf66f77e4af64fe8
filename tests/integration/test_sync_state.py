"""Issue 27: the platform's raw payload is stored exactly as sent; syncd's sync state (a detail fetch's bad payload
and its backoff, new detail not annotated yet) lives in its own columns, moved there from old payloads by the
0006_h27state migration. Real stravalib client on the simulator, real SQLite and PostgreSQL."""

from __future__ import annotations

import json
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from syncd.adapters.db import Store
from syncd.adapters.db.engine import MIGRATIONS_DIR, create_store_engine
from syncd.testing import strava_harness as harness
from syncd.testing.seed import seed_recordings, seed_synthetic
from syncd.testing.strava_server import StravaSimulator
from tests.integration.conftest import FakeClock

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real"
NOW = datetime(2026, 11, 20, 7, tzinfo=UTC)


def _get(sim: StravaSimulator, token: str, path: str) -> Any:
    request = urllib.request.Request(f"{sim.api_url}{path}", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read())


def _as_json(value: object) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def test_the_stored_raw_payload_is_what_the_platform_sent_and_sync_state_sits_beside_it(
    store: Store, clock: FakeClock
) -> None:
    with StravaSimulator(clock=clock.now) as sim:
        athlete = sim.add_athlete(firstname="Ada", lastname="Runner").id
        seed_recordings(sim, athlete, [REAL / "run.fit"], end=clock.now() - timedelta(hours=3), gear_id="g77")
        sim.add_gear(athlete, "g77", "Asics Novablast", 650_000.0)
        seed_synthetic(sim, athlete, count=5, end=clock.now() - timedelta(days=2), run_share=0.6, seed=4)
        token = sim.issue_tokens(athlete, scope="read_all,activity:read_all")["access_token"]
        listed = {str(s["id"]): s for s in _get(sim, token, "/athlete/activities?per_page=200")}
        details = {i: _get(sim, token, f"/activities/{i}?include_all_efforts=false") for i in listed}
        newest = max(listed, key=lambda i: str(listed[i]["start_date"]))
        harness.link(store, sim, athlete, clock=clock)
        sim.inject("GET", rf"/activities/{newest}$", "not_json")  # its detail fails once: a bad payload

        harness.service(store, sim, clock=clock, write_back="off").run_once("w1")

    stored = {s.activity.external_id: s for s in store.iter_activities()}
    assert set(stored) == set(listed)
    for ext_id, activity in stored.items():
        assert _as_json(activity.raw["summary"]) == _as_json(listed[ext_id])  # byte for byte, as a JSON value
        if activity.raw.get("detail") is not None:
            assert _as_json(activity.raw["detail"]) == _as_json(details[ext_id])
        assert set(activity.raw) == {"summary", "detail"}  # nothing of syncd's own in the payload
    failed = stored[newest]
    assert failed.raw["detail"] is None and failed.sync_failure is not None and failed.sync_failure.attempts == 1
    assert "not valid JSON" in failed.sync_failure.error and failed.sync_failure.retry_at > clock.now()
    annotated = [s for s in stored.values() if s.raw.get("detail") is not None and s.activity.sport.is_run]
    assert annotated and all(store.latest_annotation(s.id) is not None for s in annotated)
    assert not any(s.needs_annotation for s in stored.values())  # the mark went with each annotation


def _config(conn: sa.Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = conn
    return config


def _insert_activity(conn: sa.Connection, activity_id: int, raw: dict[str, Any]) -> None:
    conn.execute(
        sa.text(
            "INSERT INTO activities (id, athlete_id, source, external_id, sport, sport_original, name,"
            " start_utc, start_local, utc_offset_s, indoor, private, laps, extra, raw, content_hash, deleted,"
            " created_at, updated_at) VALUES (:id, 1, 'strava', :ext, 'run', 'Run', '', :t, :t, 0, false,"
            " false, '[]', '{}', :raw, 'h', false, :t, :t)"
        ),
        {"id": activity_id, "ext": str(activity_id), "t": NOW, "raw": json.dumps(raw)},
    )


def _state(conn: sa.Connection) -> dict[int, tuple[dict[str, Any], bool, Any]]:
    rows = conn.execute(sa.text("SELECT id, raw, needs_annotation, sync_failure FROM activities ORDER BY id"))
    loads = lambda v: json.loads(v) if isinstance(v, str) else v  # noqa: E731 - SQLite hands out text
    return {int(r.id): (loads(r.raw), bool(r.needs_annotation), loads(r.sync_failure)) for r in rows}


def test_the_migration_moves_sync_state_out_of_stored_payloads_and_back(db_url: str) -> None:
    failure = {"attempts": 2, "retry_at": "2026-11-20T08:00:00+00:00", "error": "not valid JSON"}
    payload = {"summary": {"id": 1, "name": "Morning Run"}, "detail": {"id": 1, "description": "sync_failure?"}}
    engine = create_store_engine(db_url)
    try:
        with engine.begin() as conn:
            command.upgrade(_config(conn), "0005_i30notify")
            conn.execute(sa.text("INSERT INTO athletes (id, key, name, units, digest_opt_in, created_at) "
                                 "VALUES (1, 'a', '', 'metric', false, :t)"), {"t": NOW})  # fmt: skip
            _insert_activity(conn, 1, {**payload, "not_annotated_yet": True})
            _insert_activity(conn, 2, {**payload, "sync_failure": failure})
            _insert_activity(conn, 3, payload)  # names the key in a runner's text only: left as it is
            conn.execute(sa.text("INSERT INTO annotations (activity_id, rules_version, flags, note, created_at) "
                                 "VALUES (1, 'v', '[]', 'kept', :t)"), {"t": NOW})  # fmt: skip
        with engine.begin() as conn:
            command.upgrade(_config(conn), "0006_h27state")
            assert _state(conn) == {1: (payload, True, None), 2: (payload, False, failure), 3: (payload, False, None)}
        with engine.begin() as conn:
            command.downgrade(_config(conn), "0005_i30notify")
            raws = {
                i: json.loads(r) if isinstance(r, str) else r
                for i, r in conn.execute(sa.text("SELECT id, raw FROM activities"))
            }
            assert raws == {
                1: {**payload, "not_annotated_yet": True},
                2: {**payload, "sync_failure": failure},
                3: payload,
            }
            notes = conn.execute(sa.text("SELECT note FROM annotations")).scalars().all()
            assert notes == ["kept"]  # the downgrade drops columns, never the activities' other rows
    finally:
        engine.dispose()
    store = Store.open(db_url)  # and up again to head: the store reads the columns
    try:
        assert store.get_activity(1, with_streams=False).needs_annotation
        two = store.get_activity(2, with_streams=False)
        assert two.raw == payload and two.sync_failure is not None and two.sync_failure.attempts == 2
    finally:
        store.close()


def test_downgrading_every_migration_keeps_the_activities_and_their_notes(db_url: str) -> None:
    """Downgrades on SQLite once copied whole tables (batch mode); with foreign keys on, dropping the old `athletes`
    cascaded to every activity and note. Each downgrade now drops columns in place."""
    engine = create_store_engine(db_url)
    try:
        with engine.begin() as conn:
            command.upgrade(_config(conn), "head")
            conn.execute(sa.text("INSERT INTO athletes (id, key, name, units, digest_opt_in, created_at) "
                                 "VALUES (1, 'a', '', 'metric', false, :t)"), {"t": NOW})  # fmt: skip
            _insert_activity(conn, 1, {"summary": {"id": 1}})
            conn.execute(sa.text("INSERT INTO annotations (activity_id, rules_version, flags, note, created_at) "
                                 "VALUES (1, 'v', '[]', 'kept', :t)"), {"t": NOW})  # fmt: skip
        with engine.begin() as conn:
            command.downgrade(_config(conn), "0002")
            assert conn.execute(sa.text("SELECT count(*) FROM athletes")).scalar_one() == 1
            assert conn.execute(sa.text("SELECT count(*) FROM activities")).scalar_one() == 1
            assert conn.execute(sa.text("SELECT note FROM annotations")).scalars().all() == ["kept"]
        with engine.begin() as conn:
            command.upgrade(_config(conn), "head")  # and up again: nothing lost on the way
            assert conn.execute(sa.text("SELECT count(*) FROM activities")).scalar_one() == 1
    finally:
        engine.dispose()
