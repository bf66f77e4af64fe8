"""Athlete settings without SQL (syncd.services.athletes) on SQLite and PostgreSQL: who `[email] to` means, what a
change marks stale for `reannotate`, units that follow `[notes] units` until chosen, and unsubscribe tokens."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from syncd.adapters.db import Store
from syncd.config import EmailSettings, NotesSettings, Settings
from syncd.domain.model import Activity, Gear, Source, Sport
from syncd.entrypoints.wiring import batch_repositories
from syncd.services.annotating import AnnotationPolicy, annotate_stored, reannotate
from syncd.services.athletes import (
    AthleteError,
    Changes,
    SettingsRepositories,
    apply,
    find_athlete,
    follow_default_units,
    owner,
)
from syncd.services.digest_recipients import owner_id, recipient
from syncd.services.unsubscribe import PURPOSE, check_token, make_token, unsubscribe
from syncd.services.write_back_policy import own_platform
from syncd.services.writeback import DrainRepositories, drain_outbox
from tests.unit.fakes import MemoryPlatform

NOW = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)


def settings(tmp_path: Path, *, units: str = "metric") -> Settings:
    return Settings(
        state_dir=tmp_path,
        config_path=None,
        email=EmailSettings(host="127.0.0.1", sender="syncd <syncd@example.org>", to="runner@example.org"),
        notes=NotesSettings(units=units),  # type: ignore[arg-type]
    )


def run(external_id: str, day: int, *, gear: str | None = "g1", source: Source = Source.STRAVA) -> Activity:
    return Activity(
        source=source,
        external_id=external_id,
        sport=Sport.RUN,
        sport_original="Run",
        name=f"Run {external_id}",
        start_utc=datetime(2026, 11, day, 7, 0, tzinfo=UTC),
        distance_m=13_639.18,
        moving_s=4_000.0,
        gear_id=gear,
    )


def _repos(store: Store) -> SettingsRepositories:
    return SettingsRepositories(store, store, store, store.pain_diary)


def linked(store: Store, key: str, external_id: str) -> int:
    athlete = store.ensure_athlete(key, name=key)
    store.upsert_account(athlete, key.split(":", maxsplit=1)[0], external_id, {"access_token": "a"})
    return athlete


def annotated_athlete(store: Store) -> tuple[int, list[int]]:
    """strava:1001 with two runs on worn shoes g1 (over the 600 km default) and one on g2, all annotated."""
    athlete = linked(store, "strava:1001", "1001")
    store.upsert_gear(athlete, Gear("g1", "Trail Shoes", 650_000.0))
    store.upsert_gear(athlete, Gear("g2", "Road Shoes", 100_000.0))
    ids = [
        store.upsert_activity(athlete, run(ext, day, gear=gear), {}).activity_id
        for ext, day, gear in (("a", 16, "g1"), ("b", 18, "g1"), ("c", 20, "g2"))
    ]
    for activity_id in ids:
        annotate_stored(store, activity_id, AnnotationPolicy(), now=NOW)
    return athlete, ids


# ---- who `[email] to` means -------------------------------------------------------------------------------------


def test_email_to_means_the_single_linked_athlete_not_only_local(store: Store, tmp_path: Path) -> None:
    config = settings(tmp_path)
    local = store.ensure_athlete("local")
    strava = linked(store, "strava:1001", "1001")
    boss = owner(store)
    assert boss is not None and boss.id == strava
    assert recipient(store.get_athlete(strava), config, owner_id=owner_id(store)) == "runner@example.org"
    assert recipient(store.get_athlete(local), config, owner_id=owner_id(store)) is None  # one email, not two


def test_with_several_linked_athletes_email_to_is_the_local_ones_only(store: Store) -> None:
    linked(store, "strava:1", "1")
    linked(store, "strava:2", "2")
    assert owner(store) is None
    local = store.ensure_athlete("local")
    boss = owner(store)
    assert boss is not None and boss.id == local
    with pytest.raises(AthleteError, match="several athletes"):
        find_athlete(store, None)
    assert find_athlete(store, "strava:2").key == "strava:2"


def test_digest_off_on_and_an_own_address(store: Store, tmp_path: Path) -> None:
    config = settings(tmp_path)
    athlete = linked(store, "strava:1001", "1001")
    apply(_repos(store), config, store.get_athlete(athlete), Changes(digest=False), NOW)
    assert recipient(store.get_athlete(athlete), config, owner_id=athlete) is None
    apply(_repos(store), config, store.get_athlete(athlete), Changes(digest=True, email="eve@example.org"), NOW)
    assert recipient(store.get_athlete(athlete), config, owner_id=athlete) == "eve@example.org"
    other = linked(store, "strava:2", "2")
    with pytest.raises(AthleteError, match="needs an address"):
        apply(_repos(store), config, store.get_athlete(other), Changes(digest=True), NOW)


# ---- settings that change notes mark them stale -----------------------------------------------------------------


def test_units_change_marks_notes_stale_and_reannotate_rewrites_them_in_miles(store: Store, tmp_path: Path) -> None:
    config = settings(tmp_path)
    athlete, ids = annotated_athlete(store)
    before = store.latest_annotation(ids[0])
    assert before is not None and before.note is not None and " km" in before.note
    applied = apply(_repos(store), config, store.get_athlete(athlete), Changes(units="imperial"), NOW)
    assert applied.stale == 3 and store.get_athlete(athlete).units_chosen
    report = reannotate(batch_repositories(store), AnnotationPolicy(), now=NOW)
    assert (report.rerun, report.changed) == (3, 3)
    after = store.latest_annotation(ids[0])
    assert after is not None and after.note is not None and " mi" in after.note and " km" not in after.note
    assert (
        reannotate(batch_repositories(store), AnnotationPolicy(), now=NOW).rerun == 0
    )  # and then nothing is stale any more


def test_the_advice_mode_marks_notes_stale_and_shows_in_the_view(store: Store, tmp_path: Path) -> None:
    from syncd.services.athletes import view

    config = settings(tmp_path)
    athlete, ids = annotated_athlete(store)
    record = store.get_athlete(athlete)
    assert (view(store, config, record).mode, view(store, config, record).mode_source) == ("auto", "[advice] mode")
    applied = apply(_repos(store), config, record, Changes(mode="sore"), NOW)
    assert applied.stale == 3 and applied.lines == ["mode: sore"]
    shown = view(store, config, store.get_athlete(athlete))
    assert (shown.as_json()["mode"], shown.as_json()["mode_source"]) == ("sore", "chosen")
    assert reannotate(batch_repositories(store), AnnotationPolicy(), now=NOW).changed == 3
    after = store.latest_annotation(ids[0])
    assert after is not None and after.note is not None
    assert after.note.startswith("Mode: sore (set in your settings).")  # syncd's own note
    assert after.written_note is not None and "Mode: sore" not in after.written_note  # never on the platform
    assert apply(_repos(store), config, store.get_athlete(athlete), Changes(mode="sore"), NOW).stale == 0  # unchanged
    assert apply(_repos(store), config, store.get_athlete(athlete), Changes(mode="well"), NOW).lines == [
        "mode: staying well"
    ]
    assert view(store, config, store.get_athlete(athlete)).mode == "staying_well"
    apply(_repos(store), config, store.get_athlete(athlete), Changes(mode="auto"), NOW)
    assert view(store, config, store.get_athlete(athlete)).mode_source == "[advice] mode"


def test_a_shoe_limit_marks_only_that_shoes_runs_stale(store: Store, tmp_path: Path) -> None:
    config = settings(tmp_path)
    athlete, ids = annotated_athlete(store)
    worn = store.latest_annotation(ids[0])
    assert worn is not None and any(f.code.value == "worn_shoes" for f in worn.flags)
    applied = apply(_repos(store), config, store.get_athlete(athlete), Changes(shoe_limits=["Trail Shoes=800"]), NOW)
    assert applied.stale == 2 and "shoe Trail Shoes: limit 800 km" in applied.lines
    gear = store.get_gear(athlete, "g1")
    assert gear is not None and gear.limit_m == 800_000.0
    store.upsert_gear(athlete, Gear("g1", "Trail Shoes", 651_000.0))  # a Strava sync: no limit of its own
    gear = store.get_gear(athlete, "g1")
    assert gear is not None and gear.limit_m == 800_000.0
    report = reannotate(batch_repositories(store), AnnotationPolicy(), now=NOW)
    assert report.rerun == 2
    fresh = store.latest_annotation(ids[0])
    assert fresh is not None and not any(f.code.value == "worn_shoes" for f in fresh.flags)


def test_max_heart_rate_is_part_of_the_rules_version(store: Store, tmp_path: Path) -> None:
    config = settings(tmp_path)
    athlete, ids = annotated_athlete(store)
    apply(_repos(store), config, store.get_athlete(athlete), Changes(max_heart_rate="188"), NOW)
    assert store.get_athlete(athlete).max_heart_rate == 188.0
    reannotate(batch_repositories(store), AnnotationPolicy(), now=NOW)
    latest = store.latest_annotation(ids[0])
    # the version folds the maximum heart rate into its last 3 hex digits (i15pain: a 40-character column)
    with_hr = AnnotationPolicy(max_heart_rate=188.0).version
    assert with_hr != AnnotationPolicy().version
    assert latest is not None and latest.rules_version == with_hr


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (Changes(units="furlongs"), "--units must be"),
        (Changes(max_heart_rate="300"), "--max-hr must be"),
        (Changes(timezone="Mars/Olympus"), "not a time zone"),
        (Changes(email="not-an-address"), "--email"),
        (Changes(write_back="sometimes"), "--write-back must be"),
        (Changes(shoe_limits=["nope=500"]), "no single shoe"),
        (Changes(shoe_limits=["g1=-5"]), "positive number"),
        (Changes(mode="achy"), "--mode must be sore, well or auto"),
        (Changes(units="furlongs", mode="sore"), "--units must be"),
        (Changes(), "nothing to change"),
    ],
)
def test_a_bad_value_is_one_line_and_writes_nothing(
    store: Store, tmp_path: Path, changes: Changes, message: str
) -> None:
    athlete, _ids = annotated_athlete(store)
    before = store.get_athlete(athlete)
    with pytest.raises(AthleteError, match=message):
        apply(_repos(store), settings(tmp_path), before, replace(changes, units=changes.units), NOW)
    assert store.get_athlete(athlete) == before

    assert store.pain_diary.advice_mode(athlete) is None


def test_units_follow_notes_units_until_the_athlete_chooses(store: Store, tmp_path: Path) -> None:
    athlete, ids = annotated_athlete(store)
    other = linked(store, "strava:2", "2")
    apply(_repos(store), settings(tmp_path), store.get_athlete(other), Changes(units="metric"), NOW)  # a choice
    assert follow_default_units(store, settings(tmp_path, units="imperial")) == 3
    assert store.get_athlete(athlete).units == "imperial"
    assert store.get_athlete(other).units == "metric"
    assert reannotate(batch_repositories(store), AnnotationPolicy(units="imperial"), now=NOW).rerun == 3
    note = store.latest_annotation(ids[0])
    assert note is not None and note.note is not None and " mi" in note.note


def test_the_athletes_write_back_mode_wins_over_the_platforms_at_the_drain(store: Store, tmp_path: Path) -> None:
    """Decided once, at drain: the note is queued whatever the settings; the platform's `write_back = "off"` holds
    it; the athlete's own "all" (set afterwards, nothing re-annotated: 0 notes marked) lets the next drain write it."""
    athlete, _ids = annotated_athlete(store)
    later = store.upsert_activity(athlete, run("d", 21), {}).activity_id
    outcome = annotate_stored(store, later, AnnotationPolicy(), now=NOW, write_back_providers=own_platform)
    assert outcome.queued_writeback
    platform = MemoryPlatform()
    repos = DrainRepositories(store, store.outbox_log, store, store)
    drain = lambda: drain_outbox(repos, {"strava": platform}, worker="w", now=lambda: NOW, modes={"strava": "off"})  # noqa: E731
    assert [o.status for o in drain().outcomes] == ["off"] and platform.writes == 0
    assert [w.reason for w in store.outbox_log.platform_writes(later)] == ["config_off"]
    assert (
        apply(_repos(store), settings(tmp_path), store.get_athlete(athlete), Changes(write_back="all"), NOW).stale == 0
    )
    assert [o.status for o in drain().outcomes] == ["inserted"] and platform.writes == 1
    assert drain().outcomes == [] and platform.writes == 1


# ---- unsubscribe --------------------------------------------------------------------------------------------------


def test_unsubscribe_tokens_are_signed_and_scoped_to_one_athlete(store: Store, tmp_path: Path) -> None:
    eve = linked(store, "strava:1001", "1001")
    bob = linked(store, "strava:2", "2")
    secret = store.signing_key(PURPOSE)
    token = make_token(secret, "strava:1001")
    assert check_token(secret, token) == "strava:1001"
    assert check_token(b"another install's key", token) is None
    _encoded, _, mac = token.partition(".")
    forged = make_token(b"x", "strava:2").split(".")[0] + "." + mac  # Bob's name with Eve's signature
    assert check_token(secret, forged) is None
    assert unsubscribe(store, store, forged) is None
    assert unsubscribe(store, store, token, NOW + timedelta(days=1)) is not None
    assert store.get_athlete(eve).digest_unsubscribed_at is not None
    assert store.get_athlete(bob).digest_unsubscribed_at is None
    assert recipient(store.get_athlete(eve), settings(tmp_path), owner_id=eve) is None
