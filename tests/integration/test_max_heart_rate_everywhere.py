"""One maximum heart rate on every surface (issue 27): the athlete's own, else the configured `[athlete]` one. The
notes took the configured one while the digest and the flare-up analysis read only the athlete's own, so with just
`[athlete] max_heart_rate` set the notes measured load in TRIMP and the digest in minutes."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from syncd.adapters.db import Store
from syncd.config import AthleteSettings, Settings
from syncd.domain.model import Activity
from syncd.entrypoints.wiring import digest_repositories
from syncd.records import AthleteRecord
from syncd.services.annotating import AnnotationPolicy, policy_for_athlete
from syncd.services.as_of import athlete_zone
from syncd.services.athletes import max_heart_rate_of
from syncd.services.digests import build_for_athlete
from syncd.services.feed import FeedReads, strip_for_athlete
from tests.integration.test_digest_send import run

MONDAY = date(2026, 11, 16)


def _runner_with_heart_rates(store: Store) -> AthleteRecord:
    athlete = store.ensure_athlete("local", name="Hearty", timezone_name="Europe/Berlin")
    for day in range(1, 22, 2):
        activity: Activity = replace(run(f"hr{day}", day, km=8.0), average_heart_rate=150.0 + day)
        store.upsert_activity(athlete, activity, {})
    return store.get_athlete(athlete)


def test_the_configured_max_heart_rate_reaches_the_digest_as_it_reaches_the_notes(store: Store, tmp_path: Path) -> None:
    athlete = _runner_with_heart_rates(store)
    assert athlete.max_heart_rate is None
    settings = Settings(state_dir=tmp_path, config_path=None, athlete=AthleteSettings(max_heart_rate=190))
    notes = policy_for_athlete(store, athlete.id, AnnotationPolicy(max_heart_rate=190.0))
    digest = build_for_athlete(
        digest_repositories(store), athlete, MONDAY, settings, athlete_zone(store.activity_reads, athlete)
    )
    assert notes.max_heart_rate == 190.0
    assert digest.load_unit == "trimp"  # heart-rate load, as the notes compute it
    # the feed's week strip shows that week as the digest does: the same unit, load and ratio
    reads = FeedReads(store, store.activity_reads, store.activity_reads)
    strip = strip_for_athlete(reads, athlete.id, settings.rules, week=MONDAY, default_max_hr=190)
    [week] = [w for w in strip if w.monday == MONDAY]
    assert week.load_unit == digest.load_unit
    assert week.load == pytest.approx(digest.load.week_load, abs=0.6)  # whole units against tenths
    assert week.acwr == (None if digest.load.acwr is None else round(digest.load.acwr, 2))
    assert week.load_status == digest.load.load_status


def test_the_athletes_own_max_heart_rate_wins_everywhere(store: Store) -> None:
    athlete = _runner_with_heart_rates(store)
    store.set_athlete_settings(athlete.id, max_heart_rate=182.0)
    athlete = store.get_athlete(athlete.id)
    assert max_heart_rate_of(athlete, 190) == 182.0
    assert policy_for_athlete(store, athlete.id, AnnotationPolicy(max_heart_rate=190.0)).max_heart_rate == 182.0
    assert max_heart_rate_of(replace(athlete, max_heart_rate=None), None) is None
