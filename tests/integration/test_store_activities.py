"""Activities, streams, history, gear, annotations and accounts through the Store, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
import sqlalchemy as sa

from syncd.adapters.crypto import SecretBox, SecretError
from syncd.adapters.db import NotFoundError, Store, StoreError, UpsertResult, activities_repo
from syncd.domain.flags import Confidence, Flag, FlagCode, Severity
from syncd.domain.history import summarize
from syncd.domain.model import Activity, Gear, Lap, Source, Sport, Streams
from tests.history import history as history_in
from tests.integration.conftest import FakeClock

T0 = datetime(2026, 11, 2, 6, 30, tzinfo=UTC)


def _streams(n: int = 600) -> Streams:
    rng = np.random.default_rng(7)
    hr = 120 + np.round(rng.normal(0, 3, n))
    hr[:5] = np.nan  # strap not yet connected
    return Streams(
        time_s=np.arange(n, dtype=float),
        distance_m=np.round(np.cumsum(rng.uniform(2.5, 3.2, n)), 1),
        lat=np.round(47.0 + np.cumsum(rng.normal(0, 1e-5, n)), 7),
        lon=np.round(8.0 + np.cumsum(rng.normal(0, 1e-5, n)), 7),
        altitude_m=np.round(400 + np.cumsum(rng.normal(0, 0.2, n)), 1),
        heart_rate=hr,
    )


def _activity(external_id: str = "1001", *, start: datetime = T0, **changes: object) -> Activity:
    base = Activity(
        source=Source.STRAVA,
        external_id=external_id,
        sport=Sport.RUN,
        sport_original="Run",
        start_utc=start,
        name="Morning Run",
        utc_offset_s=3600,
        timezone_name="Europe/Zurich",
        distance_m=10_012.4,
        elapsed_s=3_720.0,
        moving_s=3_600.0,
        elevation_gain_m=84.2,
        elevation_loss_m=83.9,
        gear_id="g42",
        description="Easy one.",
        workout_type=0,
        indoor=False,
        private=True,
        average_heart_rate=142.5,
        max_heart_rate=171.0,
        streams=_streams(),
        laps=(Lap(0.0, 1800.0, 5006.2, 1790.0, "active"), Lap(1800.0, 1920.0, 5006.2, None, None)),
        extra={"device": "FR265", "tags": ["commute"]},
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def _updated_at(store: Store, activity_id: int) -> datetime:
    with store.engine.connect() as conn:
        value = conn.execute(sa.text("SELECT updated_at FROM activities WHERE id = :i"), {"i": activity_id}).scalar()
    assert value is not None
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def test_upsert_is_idempotent_and_detects_changes(store: Store, clock: FakeClock) -> None:
    athlete = store.ensure_athlete("strava:7")
    activity = _activity()
    first = store.upsert_activity(athlete, activity, {"id": 1001, "name": "Morning Run"})
    assert (first.created, first.changed) == (True, True)
    written_at = _updated_at(store, first.activity_id)

    clock.advance(60)
    same = store.upsert_activity(athlete, _activity(), {"id": 1001, "name": "Morning Run"})
    assert same == UpsertResult(first.activity_id, created=False, changed=False)
    assert _updated_at(store, first.activity_id) == written_at  # nothing was written

    renamed = store.upsert_activity(athlete, _activity(name="Hill repeats"), {"id": 1001, "name": "Hill repeats"})
    assert (renamed.activity_id, renamed.created, renamed.changed) == (first.activity_id, False, True)
    assert store.get_activity(first.activity_id).activity.name == "Hill repeats"

    raw_only = store.upsert_activity(athlete, _activity(name="Hill repeats"), {"id": 1001, "kudos": 3})
    assert raw_only.changed
    assert store.counts()["activities"] == 1
    assert store.counts()["streams"] == 1


def test_activity_round_trips_equal_with_streams_laps_and_raw(store: Store) -> None:
    athlete = store.ensure_athlete("strava:7")
    activity = _activity()
    raw = {"id": 1001, "map": {"polyline": "abc"}, "splits": [1.5, 2.5]}
    result = store.upsert_activity(athlete, activity, raw)

    stored = store.get_activity(result.activity_id)
    assert stored.id == result.activity_id
    assert stored.athlete_id == athlete
    assert stored.raw == raw
    assert stored.activity == activity
    assert stored.activity.streams is not None
    assert np.isnan(stored.activity.streams.heart_rate[:5]).all()  # type: ignore[index]
    assert stored.activity.start_utc.tzinfo is not None
    assert stored.activity.start_utc.utcoffset() == timedelta(0)

    without = store.get_activity(result.activity_id, with_streams=False)
    assert without.activity.streams is None
    assert without.activity == replace(activity, streams=None)


def test_summary_only_update_keeps_stored_streams(store: Store) -> None:
    athlete = store.ensure_athlete("local")
    result = store.upsert_activity(athlete, _activity(), {})
    store.upsert_activity(athlete, _activity(streams=None, name="renamed"), {})
    stored = store.get_activity(result.activity_id).activity
    assert stored.name == "renamed"
    assert stored.streams == _streams()


def test_find_and_iterate_oldest_first_across_batches(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(activities_repo, "_BATCH", 2)
    athlete = store.ensure_athlete("local")
    other = store.ensure_athlete("strava:99")
    ids = {}
    for day in (4, 1, 3, 2, 5):
        ids[day] = store.upsert_activity(
            athlete, _activity(f"a{day}", start=T0 + timedelta(days=day), streams=None), {}
        ).activity_id
    store.upsert_activity(other, _activity("b1", start=T0, streams=None), {})

    assert store.find_activity_id("strava", "a3") == ids[3]
    assert store.find_activity_id("strava", "nope") is None
    listed = [s.id for s in store.iter_activities(athlete_id=athlete)]
    assert listed == [ids[d] for d in (1, 2, 3, 4, 5)]
    assert len(list(store.iter_activities())) == 6
    since = [s.activity.external_id for s in store.iter_activities(athlete_id=athlete, since=T0 + timedelta(days=3))]
    assert since == ["a3", "a4", "a5"]


def test_iterate_with_streams_and_deleted_are_skipped(store: Store) -> None:
    athlete = store.ensure_athlete("local")
    store.upsert_activity(athlete, _activity("x1"), {})
    store.upsert_activity(athlete, _activity("x2", start=T0 + timedelta(hours=5)), {})
    assert store.mark_deleted("strava", "x1")
    assert not store.mark_deleted("strava", "x1")
    items = list(store.iter_activities(with_streams=True))
    assert [s.activity.external_id for s in items] == ["x2"]
    assert items[0].activity.streams == _streams()


def test_history_is_the_summary_of_the_window(store: Store) -> None:
    athlete = store.ensure_athlete("local")
    activities = [
        _activity("h0", start=T0 - timedelta(days=1)),
        _activity("h1", start=T0, sport=Sport.RIDE, moving_s=None),
        _activity("h2", start=T0 + timedelta(days=2)),
        _activity("h3", start=T0 + timedelta(days=7)),
    ]
    ids = [store.upsert_activity(athlete, a, {}).activity_id for a in activities]
    store.upsert_activity(store.ensure_athlete("other"), _activity("o1", start=T0), {})

    window = history_in(store, athlete, T0, T0 + timedelta(days=7))
    assert window == [summarize(activities[1]), summarize(activities[2])]
    assert window[0].duration_s == activities[1].elapsed_s  # moving time missing -> elapsed
    assert history_in(store, athlete, T0, T0 + timedelta(days=7), exclude_id=ids[2]) == [summarize(activities[1])]


def test_gear_upsert_get_list(store: Store) -> None:
    athlete = store.ensure_athlete("local")
    shoe = Gear("g1", "Pegasus", 612_000.0, limit_m=800_000.0)
    store.upsert_gear(athlete, shoe)
    store.upsert_gear(athlete, Gear("g0", "Old", 900_000.0, retired=True))
    assert store.get_gear(athlete, "g1") == shoe
    store.upsert_gear(athlete, replace(shoe, distance_m=650_000.0))
    assert store.get_gear(athlete, "g1") == replace(shoe, distance_m=650_000.0)
    assert store.get_gear(athlete, "missing") is None
    assert [g.gear_id for g in store.list_gear(athlete)] == ["g0", "g1"]
    assert store.counts()["gear"] == 2


def test_annotation_change_detection(store: Store) -> None:
    athlete = store.ensure_athlete("local")
    activity_id = store.upsert_activity(athlete, _activity(), {}).activity_id
    flags = [
        Flag(FlagCode.DOWNHILL, Severity.CAUTION, Confidence.HIGH, {"descent_m": 151.0, "grade": -0.054}, "Walk it."),
        Flag(FlagCode.NO_WARMUP, Severity.INFO, Confidence.MEDIUM, {"first_km_s": 272}, "Start slower."),
    ]
    assert store.latest_annotation(activity_id) is None
    assert store.save_annotation(activity_id, "r1", flags, "note A")
    assert not store.save_annotation(activity_id, "r1", list(flags), "note A")
    latest = store.latest_annotation(activity_id)
    assert latest is not None
    assert (latest.rules_version, latest.flags, latest.note) == ("r1", tuple(flags), "note A")

    assert store.save_annotation(activity_id, "r1", flags[:1], "note A")  # flags changed
    assert store.save_annotation(activity_id, "r2", flags[:1], "note A")  # rules changed
    assert store.save_annotation(activity_id, "r2", flags[:1], None)  # note changed
    latest = store.latest_annotation(activity_id)
    assert latest is not None
    assert (latest.rules_version, latest.flags, latest.note) == ("r2", tuple(flags[:1]), None)
    assert store.counts()["annotations"] == 4
    with pytest.raises(NotFoundError):
        store.save_annotation(10_000, "r1", flags, None)


def test_tokens_are_ciphertext_in_the_database(store: Store, secret_box: SecretBox) -> None:
    athlete = store.ensure_athlete("strava:7")
    tokens = {"access_token": "acc-SECRET-123", "refresh_token": "ref-SECRET-456", "expires_at": 1_790_000_000}
    account_id = store.upsert_account(athlete, "strava", "7", tokens)
    with store.engine.connect() as conn:
        sealed = conn.execute(
            sa.text("SELECT tokens_encrypted FROM accounts WHERE id = :i"), {"i": account_id}
        ).scalar()
    assert isinstance(sealed, bytes | memoryview)
    assert b"SECRET" not in bytes(sealed)
    assert secret_box.decrypt(bytes(sealed))  # it is a Fernet token under our key
    assert store.get_account_tokens(account_id) == tokens

    # Same (provider, external id): same account; None keeps the tokens.
    assert store.upsert_account(athlete, "strava", "7", None) == account_id
    assert store.get_account_tokens(account_id) == tokens
    store.set_account_tokens(account_id, {**tokens, "access_token": "acc-NEW"})
    assert store.get_account_tokens(account_id) == {**tokens, "access_token": "acc-NEW"}

    (record,) = store.list_accounts()
    assert record.has_tokens
    assert record.provider == "strava"
    assert "SECRET" not in repr(record)
    assert "NEW" not in repr(record)


def test_tokens_with_another_key_give_the_relink_message(db_url: str, store: Store) -> None:
    athlete = store.ensure_athlete("strava:7")
    account_id = store.upsert_account(athlete, "strava", "7", {"access_token": "a"})
    other = Store.open(db_url, secret_box=SecretBox(SecretBox.generate_key(), origin="/var/lib/syncd/secret.key"))
    try:
        with pytest.raises(
            SecretError, match=re.escape("encryption key changed; restore /var/lib/syncd/secret.key or re-link")
        ):
            other.get_account_tokens(account_id)
    finally:
        other.close()
    keyless = Store.open(db_url)
    try:
        with pytest.raises(StoreError, match="no encryption key"):
            keyless.get_account_tokens(account_id)
        with pytest.raises(StoreError, match="no encryption key"):
            keyless.upsert_account(athlete, "garmin", "g1", {"token": "x"})
    finally:
        keyless.close()


def test_account_state_and_relink(store: Store) -> None:
    athlete = store.ensure_athlete("strava:7")
    account_id = store.upsert_account(athlete, "strava", "7", {"access_token": "a"})
    store.set_account_state(account_id, "needs_relink", "refresh token revoked")
    (record,) = store.list_accounts()
    assert (record.state, record.state_message) == ("needs_relink", "refresh token revoked")
    store.upsert_account(athlete, "strava", "7", {"access_token": "b"})
    (record,) = store.list_accounts()
    assert (record.state, record.state_message) == ("ok", None)
    with pytest.raises(ValueError, match="account state"):
        store.set_account_state(account_id, "broken")
    with pytest.raises(NotFoundError):
        store.set_account_tokens(12345, {"a": 1})


def test_athletes(store: Store) -> None:
    first = store.ensure_athlete("local", name="Ann", timezone_name="Europe/Zurich")
    assert store.ensure_athlete("local", name="ignored") == first
    store.update_athlete(first, units="imperial", email="ann@example.org", digest_opt_in=True)
    record = store.get_athlete(first)
    assert (record.key, record.name, record.timezone_name) == ("local", "Ann", "Europe/Zurich")
    assert (record.units, record.email, record.digest_opt_in) == ("imperial", "ann@example.org", True)
    second = store.ensure_athlete("strava:1")
    assert [a.id for a in store.list_athletes()] == [first, second]
    with pytest.raises(StoreError, match="units must be"):
        store.update_athlete(first, units="furlongs")
    with pytest.raises(NotFoundError):
        store.get_athlete(999)


def test_alone_since_lists_this_sources_activities_without_a_twin_oldest_first(store: Store) -> None:
    """What the pipeline asks for twin candidates: ids only, this source, no logical group, not deleted."""
    athlete = store.ensure_athlete("strava:1")
    other = store.ensure_athlete("strava:2")
    ids = [
        store.upsert_activity(athlete, _activity(f"s{day}", start=T0 + timedelta(days=day)), {}).activity_id
        for day in (3, 1, 2, 0)
    ]
    garmin = replace(_activity("g1", start=T0 + timedelta(days=1)), source=Source.GARMIN)
    store.upsert_activity(athlete, garmin, {})
    store.upsert_activity(other, _activity("o1", start=T0 + timedelta(days=2)), {})
    store.set_logical_group([ids[2]], "run:x")  # day 2: already a twin
    store.mark_deleted("strava", "s3")
    assert store.alone_since(athlete, "strava", T0 + timedelta(hours=1)) == [ids[1]]  # day 1 only
    assert store.alone_since(athlete, "strava", T0 - timedelta(days=1)) == [ids[3], ids[1]]
