"""The flare-up analysis through the store (issue 29): exposures come from the stored flags' evidence, runs without
an annotation or with a recording too thin are missing (not 0) and their weeks are named, and the CLI's JSON, the
diary page and the digest sentence carry the same result."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from syncd.adapters.db import Store
from syncd.config import AdviceSettings, Settings
from syncd.domain.notes import data_gaps_line
from syncd.domain.pain import PainEntry, PainSource
from syncd.entrypoints.cli import main
from syncd.entrypoints.wiring import digest_repositories
from syncd.services import pain_diary
from syncd.services.as_of import athlete_zone
from syncd.services.digest_email import render_html, render_text
from syncd.services.digests import build_for_athlete
from tests.pain_seasons import START, season, seed_store


def _reads(store: Store) -> pain_diary.AnalysisReads:
    return pain_diary.AnalysisReads(store.pain_diary, store, store, store, store.activity_reads)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, int, str]]:
    """One stored season for the module (the tests only read it)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('season') / 'syncd.db'}"
    store = Store.open(url)
    athlete = store.ensure_athlete("local", name="Season Runner")
    seed_store(store, athlete, "planted", 0, unannotated_weeks=(20,), thin_weeks=(30,))
    yield store, athlete, url
    store.close()


def test_exposures_read_the_stored_flags_and_keep_missing_missing(seeded: tuple[Store, int, str]) -> None:
    store, athlete, _ = seeded
    sessions = pain_diary.exposures(_reads(store), athlete)
    runs = [s for s in sessions if s.sport.is_run]
    assert {s.speed for s in runs} == {True, False, None}
    week20 = [s for s in runs if START + timedelta(weeks=20) <= s.day < START + timedelta(weeks=21)]
    assert week20 and all(s.speed is None and s.descent_m is None and s.hard_m is None for s in week20)
    week30 = [s for s in runs if START + timedelta(weeks=30) <= s.day < START + timedelta(weeks=31)]
    assert week30 and all(s.speed is None and s.descent_m is None for s in week30)
    hilly = [s for s in runs if s.descent_m]
    assert hilly and all(s.descent_m == 260.0 for s in hilly)
    assert {s.hard_m for s in runs} >= {7000.0, 0.0}  # measured paved km on flagged runs, 0 on the others
    # long-run spikes: unknown where the rule could not judge (the first 30 days of recording) or nothing was
    # annotated, else the stored flag; the same runs as the season's own judgement
    first = min(s.start_utc for s in sessions)
    assert all(s.spike is None for s in runs if s.start_utc < first + timedelta(days=30))
    assert all(s.spike is None for s in week20)
    judged = {s.start_utc: s.spike for s in season("planted", 0)[1] if s.sport.is_run}
    later = [s for s in runs if s.start_utc >= first + timedelta(days=30) and s not in week20 and s not in week30]
    assert {s.spike for s in later} == {True, False}
    assert [s.spike for s in later] == [judged[s.start_utc] for s in later]


def test_the_gaps_line_is_read_back() -> None:
    from syncd.domain.flags import FlagCode
    from syncd.domain.notes import gaps_in_note

    note = "Mode: staying well.\n" + (data_gaps_line(["speed work, warm-up and downhill (no samples recorded)"]) or "")
    assert gaps_in_note(note) == {FlagCode.SPEED_WORK, FlagCode.NO_WARMUP, FlagCode.DOWNHILL}
    assert gaps_in_note("Mode: sore.\nNo flags.") == frozenset() and gaps_in_note(None) == frozenset()


def test_cli_page_and_digest_share_one_result(
    seeded: tuple[Store, int, str], capsys: pytest.CaptureFixture[str]
) -> None:
    store, athlete, url = seeded
    result = pain_diary.analysis_for(_reads(store), athlete, AdviceSettings()).analysis
    assert result.status == "finding" and result.findings[0].exposure.key == "speed_sessions"
    named = {START + timedelta(weeks=21), START + timedelta(weeks=31)} - {w.day for w in result.sore_weeks}
    assert named and set(result.findings[0].missing) == named
    best = result.findings[0]
    assert best.flare.n < result.flare_ups  # a flare-up week without data: the count is not the runner's total
    assert result.sentences()[0].startswith(f"{best.flare.k} of the {best.flare.n} flare-ups with data came after")

    assert main(["--database-url", url, "pain", "local", "--analysis", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["status"] == "finding" and document["sentences"] == list(result.sentences())
    speed = next(e for e in document["exposures"] if e["exposure"] == "speed_sessions")
    assert (speed["flare_up_weeks"]["exposed"], speed["flare_up_weeks"]["weeks"]) == (best.flare.k, best.flare.n)
    assert speed["p_family_wise"] == round(best.p_value, 4) and speed["finding"] is True
    assert set(speed["missing_weeks"]) == {d.isoformat() for d in named}
    for key in ("unit", "test", "multiple_exposures", "intervals", "power", "sore_mode", "missing"):
        assert document["method"][key]
    assert document["method"]["alignments"] == 2 * (result.flare_ups + result.other_weeks)

    assert main(["--database-url", url, "pain", "local", "--analysis"]) == 0
    text = capsys.readouterr().out
    assert text.splitlines()[0] == result.sentences()[0]

    sentence = pain_diary.week_pattern(_reads(store), athlete, date(2026, 1, 5), AdviceSettings())
    assert sentence == result.sentences()[0] == result.digest_sentence()


def test_cached_exposures_follow_a_new_annotation(tmp_path_factory: pytest.TempPathFactory) -> None:
    from datetime import UTC, datetime

    from syncd.domain.flags import Confidence, Flag, FlagCode, Severity
    from syncd.domain.model import Activity, Source, Sport

    store = Store.open(f"sqlite:///{tmp_path_factory.mktemp('cache') / 'syncd.db'}")
    athlete = store.ensure_athlete("local")
    start = datetime(2026, 3, 2, 7, tzinfo=UTC)
    run = store.upsert_activity(athlete, Activity(Source.FILE, "r1", Sport.RUN, "run", start, elapsed_s=1800.0), {})
    assert [s.speed for s in pain_diary.exposures(_reads(store), athlete)] == [None]  # not annotated yet: unknown
    store.save_annotation(run.activity_id, "v1", (), "note")
    assert [s.speed for s in pain_diary.exposures(_reads(store), athlete)] == [False]
    store.save_annotation(run.activity_id, "v2", (Flag(FlagCode.SPEED_WORK, Severity.INFO, Confidence.HIGH),), "n")
    assert [s.speed for s in pain_diary.exposures(_reads(store), athlete)] == [True]
    store.close()


def test_latest_annotations_in_one_go(store: Store) -> None:
    """SQLite and PostgreSQL: the newest annotation of each activity that has one, for more ids than a chunk."""
    from datetime import UTC, datetime

    from syncd.domain.model import Activity, Source, Sport

    athlete = store.ensure_athlete("local")
    start = datetime(2026, 3, 2, 7, tzinfo=UTC)
    ids = [
        store.upsert_activity(
            athlete, Activity(Source.FILE, f"r{i}", Sport.RUN, "run", start + timedelta(hours=i)), {}
        ).activity_id
        for i in range(3)
    ]
    store.save_annotation(ids[0], "v1", (), "first")
    store.save_annotation(ids[0], "v2", (), "second")
    store.save_annotation(ids[2], "v1", (), "only")
    found = store.latest_annotations([*ids, *range(10_000, 10_600)])
    assert {k: v.note for k, v in found.items()} == {ids[0]: "second", ids[2]: "only"}
    assert found[ids[0]] == store.latest_annotation(ids[0])


def test_the_digest_says_how_far_the_diary_is_from_telling(tmp_path: Path) -> None:
    """Issue 29: with diary entries but no finding the digest carries the page's power-aware first sentence ("too
    few entries to tell yet: about N more weeks ..."), in the built digest and in its text and HTML; an athlete
    without entries gets no analysis line at all."""
    store = Store.open(f"sqlite:///{tmp_path / 'syncd.db'}")
    diarist, quiet = store.ensure_athlete("diarist"), store.ensure_athlete("quiet")
    for week in range(7):  # 3 flare-ups against 4 other weeks: even perfect separation could not show yet
        day = date(2025, 1, 13) + timedelta(weeks=2 * week)
        store.pain_diary.record(PainEntry(diarist, day, 6 if week < 3 else 0, PainSource.CLI), now=datetime.now(UTC))
    settings = Settings(state_dir=tmp_path, config_path=None)
    monday = date(2025, 4, 28)
    result = pain_diary.analysis_for(_reads(store), diarist).analysis
    assert (result.status, result.flare_ups, result.other_weeks) == ("too_few", 3, 4)
    sentence = result.sentences()[0]
    assert sentence.startswith(f"Too few entries to tell yet: about {result.power.more_weeks} more weeks with diary")
    record = store.get_athlete(diarist)
    digest = build_for_athlete(
        digest_repositories(store), record, monday, settings, athlete_zone(store.activity_reads, record)
    )
    assert digest.pain_pattern == sentence == result.digest_sentence()
    assert f"From your pain diary: {sentence}" in render_text(digest)
    assert f"From your pain diary: {sentence}" in render_html(digest, None)
    assert "stands out" not in render_text(digest)

    other = store.get_athlete(quiet)
    digest = build_for_athlete(
        digest_repositories(store), other, monday, settings, athlete_zone(store.activity_reads, other)
    )
    assert digest.pain_pattern is None
    assert "pain diary" not in render_text(digest) and "pain diary" not in render_html(digest, None)
    store.close()


def test_the_configured_long_run_history_decides_which_runs_the_spike_rule_could_judge(
    seeded: tuple[Store, int, str],
) -> None:
    """`[rules] long_run_history_days` is the analysis's too: with 60 days, the runs of days 30-60 of recording are
    "could not tell" (None), not "no spike" (False) as with the default 30."""
    from syncd.domain.thresholds import Thresholds

    store, athlete, _ = seeded
    sessions = pain_diary.exposures(_reads(store), athlete)
    first = min(s.start_utc for s in sessions)  # the recording's start (any sport)
    default = {s.start_utc: s.spike for s in sessions if s.sport.is_run}
    sixty = Thresholds(long_run_history_days=60)
    longer = {s.start_utc: s.spike for s in pain_diary.exposures(_reads(store), athlete, sixty) if s.sport.is_run}
    between = [
        t for t in default if first + timedelta(days=31) <= t < first + timedelta(days=60) and default[t] is False
    ]
    assert between, "the season has judged runs without a spike between days 30 and 60"
    assert all(longer[t] is None for t in between)
    assert all(longer[t] == default[t] for t in default if t >= first + timedelta(days=61))


def test_each_weeks_load_ratio_is_the_as_of_states_for_its_last_day(tmp_path: Path) -> None:
    """One figure, one place: the load ratio the analysis compares for a week is the one the as-of state (the digest,
    the diary page) gives for the week's last day, under everything that can move it: the configured guards, heart
    rate load (TRIMP) with the athlete's maximum, a break, a run recorded twice, evening runs whose UTC day is the
    next one, and runs 5-6 weeks before a week (inside the state's 42-day history, outside a 35-day one)."""
    import random

    from syncd.domain.as_of import end_of_day
    from syncd.domain.model import Activity, Source, Sport
    from syncd.domain.thresholds import Thresholds
    from syncd.services.as_of import day_state

    store = Store.open(f"sqlite:///{tmp_path / 'syncd.db'}")
    zone_name = "America/Los_Angeles"
    athlete = store.ensure_athlete("evening", timezone_name=zone_name)
    store.set_athlete_settings(athlete, max_heart_rate=190.0)
    rng = random.Random(29)
    first = date(2025, 1, 6)  # a Monday
    for week in range(22):
        if week in (4, 5, 11):  # two weeks off, then one: the return-after-break guard
            continue
        for offset in (0, 2, 4, 5) if week % 3 else (1, 3):
            day = first + timedelta(weeks=week, days=offset)
            start = datetime(day.year, day.month, day.day, 19, 30, tzinfo=UTC) + timedelta(hours=8)  # 19:30 local
            minutes, hr = rng.choice([30.0, 45.0, 60.0, 80.0]), rng.uniform(125.0, 172.0)
            run = Activity(Source.GARMIN, f"g{week}-{offset}", Sport.RUN, "running", start, utc_offset_s=-8 * 3600,
                           timezone_name=zone_name, elapsed_s=minutes * 60, average_heart_rate=hr)  # fmt: skip
            garmin = store.upsert_activity(athlete, run, {}).activity_id
            if offset == 0:  # the same run on Strava, a little longer: counted once, as the state counts it
                twin = replace(run, source=Source.STRAVA, external_id=f"s{week}", elapsed_s=minutes * 60 + 90)
                strava = store.upsert_activity(athlete, twin, {}).activity_id
                store.set_logical_group([garmin, strava], f"twin-{week}")
        score = 6 if week % 5 == 3 else 1
        entry = PainEntry(athlete, first + timedelta(weeks=week + 1), score, PainSource.CLI)
        store.pain_diary.record(entry, now=datetime.now(UTC))
    thresholds = Thresholds(acwr_min_history_days=28, acwr_min_chronic_min=90.0, return_break_days=10)
    result = pain_diary.analysis_for(_reads(store), athlete, AdviceSettings(), thresholds).analysis
    zone = athlete_zone(store.activity_reads, store.get_athlete(athlete))
    shown = []
    for week in result.weeks:
        eve = week.day - timedelta(days=1)
        state = day_state(store, store, athlete, end_of_day(eve, zone), eve, diary=store.pain_diary,
                          thresholds=thresholds, max_hr=190.0)  # fmt: skip
        expected = state.load.ratio if state.load.status == "ratio" else None
        assert week.values["load_ratio"] == expected, (week.day, state.load)
        shown.append(state.load.status)
    assert {"ratio", "not_enough_history", "return_after_break"} <= set(shown)
    store.close()
