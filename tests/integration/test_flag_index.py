"""The `activity_flags` index always holds the current annotation's codes: filled by the migration from the
annotations already stored, and kept by every annotation write (one at a time and in batches)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from syncd.adapters.db import Store
from syncd.adapters.db.annotation_writes import save_annotations
from syncd.adapters.db.engine import MIGRATIONS_DIR, create_store_engine
from syncd.adapters.db.feed_queries import feed_page
from syncd.adapters.db.models import ACTIVITY_FLAGS
from syncd.domain.flags import Confidence, Flag, FlagCode, Severity
from syncd.domain.model import Activity, Source, Sport
from syncd.records import FeedFilter, NewAnnotation

DOWNHILL = Flag(FlagCode.DOWNHILL, Severity.HIGH, Confidence.HIGH, {"total_descent_m": 200.0})
SPEED = Flag(FlagCode.SPEED_WORK, Severity.CAUTION, Confidence.MEDIUM, {"reps": 6})
NOW = datetime(2026, 11, 20, 7, tzinfo=UTC)


def _index(store: Store) -> set[tuple[int, str]]:
    with store.engine.connect() as conn:
        return {
            (int(a), str(c)) for a, c in conn.execute(sa.select(ACTIVITY_FLAGS.c.activity_id, ACTIVITY_FLAGS.c.code))
        }


def _config(conn: sa.Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = conn
    return config


def test_the_migration_indexes_the_latest_annotation_of_each_stored_activity(db_url: str) -> None:
    engine = create_store_engine(db_url)
    with engine.begin() as conn:
        command.upgrade(_config(conn), "0002")
        conn.execute(sa.text("INSERT INTO athletes (id, key, name, units, digest_opt_in, created_at) "
                             "VALUES (1, 'a', '', 'metric', false, :t)"), {"t": NOW})  # fmt: skip
        for activity_id in (1, 2):
            conn.execute(
                sa.text(
                    "INSERT INTO activities (id, athlete_id, source, external_id, sport, sport_original, name,"
                    " start_utc, start_local, utc_offset_s, indoor, private, laps, extra, raw, content_hash, deleted,"
                    " created_at, updated_at) VALUES (:id, 1, 'strava', :ext, 'run', 'Run', '', :t, :t, 0, false,"
                    " false, '[]', '{}', '{}', 'h', false, :t, :t)"
                ),
                {"id": activity_id, "ext": str(activity_id), "t": NOW},
            )
        annotations = [(1, [DOWNHILL]), (1, [SPEED]), (2, [DOWNHILL, SPEED])]  # activity 1: only the newest counts
        for activity_id, flags in annotations:
            conn.execute(
                sa.text(
                    "INSERT INTO annotations (activity_id, rules_version, flags, note, created_at) "
                    "VALUES (:a, 'v', :f, NULL, :t)"
                ),
                {"a": activity_id, "f": json.dumps([f.to_json() for f in flags]), "t": NOW},
            )
    engine.dispose()
    store = Store.open(db_url)
    try:
        assert _index(store) == {(1, "speed_work"), (2, "downhill"), (2, "speed_work")}
        assert [r.id for r in feed_page(store.engine, FeedFilter(flag="downhill")).rows] == [2]
    finally:
        store.close()


def test_every_annotation_write_keeps_the_index(store: Store) -> None:
    athlete = store.ensure_athlete("a")
    ids = [
        store.upsert_activity(athlete, Activity(Source.STRAVA, f"r{i}", Sport.RUN, "Run", NOW), {}).activity_id
        for i in range(3)
    ]
    store.save_annotation(ids[0], "v1", [DOWNHILL], None)
    save_annotations(store.engine, [NewAnnotation(ids[1], "v1", [SPEED], None)], now=NOW)
    assert _index(store) == {(ids[0], "downhill"), (ids[1], "speed_work")}
    assert feed_page(store.engine, FeedFilter(flag="downhill")).total == 1

    store.save_annotation(ids[0], "v2", [], None)  # re-annotated clean: no longer a downhill run
    save_annotations(store.engine, [NewAnnotation(ids[1], "v2", [SPEED, DOWNHILL], None)], now=NOW)

    assert _index(store) == {(ids[1], "speed_work"), (ids[1], "downhill")}
    page = feed_page(store.engine, FeedFilter(flag="downhill"))  # the cached total follows the change
    assert page.total == 1 and [r.id for r in page.rows] == [ids[1]]
    assert feed_page(store.engine, FeedFilter(annotated_only=True)).total == 2
