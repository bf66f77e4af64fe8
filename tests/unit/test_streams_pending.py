"""A run whose samples are still on its platform: the note says "no streams yet" (never "no samples recorded"), the
digest says which of its figures miss them, and the history fetch spends only what the regular sync leaves."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from syncd.domain.digest import WeekRun, build_digest
from syncd.domain.flags import FlagCode
from syncd.domain.model import Activity, Source, Sport
from syncd.domain.notes import gaps_in_note
from syncd.domain.rate_budget import BudgetState, history_reads_left, plan_polling, sync_daily_reserve
from syncd.domain.streams_state import awaiting_streams
from syncd.domain.thresholds import Thresholds
from syncd.services.annotating import AnnotationPolicy, annotate_one

START = datetime(2026, 9, 7, 7, 0, tzinfo=UTC)


def summary(source: Source = Source.STRAVA, **extra: object) -> Activity:
    """A run as the platform's listing gives it: no detail, no samples."""
    key = f"{source.value}_detail"
    return Activity(
        source=source,
        external_id="1",
        sport=Sport.RUN,
        sport_original="Run",
        start_utc=START,
        distance_m=8000.0,
        moving_s=2400.0,
        extra={key: False, "manual": False, **extra},
    )


def test_a_platform_summary_awaits_its_streams_a_manual_entry_or_a_fetched_detail_does_not() -> None:
    assert awaiting_streams(summary())
    assert awaiting_streams(summary(Source.GARMIN))
    assert not awaiting_streams(summary(manual=True))  # entered by hand: the platform has no samples either
    assert not awaiting_streams(summary(strava_detail=True))  # detail fetched, streams 404: truly none
    assert not awaiting_streams(replace(summary(), source=Source.FILE, extra={}))
    assert not awaiting_streams(replace(summary(), sport=Sport.RIDE))


def test_the_note_says_no_streams_yet_and_the_analysis_reads_the_checks_as_unmeasured() -> None:
    note = annotate_one(summary(), [], AnnotationPolicy()).note
    assert note is not None and "(no streams yet)" in note and "no samples recorded" not in note
    assert {FlagCode.SPEED_WORK, FlagCode.NO_WARMUP, FlagCode.DOWNHILL} <= gaps_in_note(note)
    fetched = annotate_one(summary(strava_detail=True), [], AnnotationPolicy()).note
    assert fetched is not None and "(no samples recorded)" in fetched and "no streams yet" not in fetched


def test_the_digest_says_how_many_runs_wait_for_their_streams() -> None:
    monday = date(2026, 9, 7)

    def run(day: int, waiting: bool) -> WeekRun:
        start = datetime.combine(monday + timedelta(days=day), datetime.min.time()).replace(hour=7)
        return WeekRun(("strava", str(day)), "Run", Sport.RUN, start, 8000.0, 2400.0, awaiting_streams=waiting)

    digest = build_digest(
        athlete_name="A", week_monday=monday, runs=[run(0, True), run(2, False)], history=[], gear=[],
        thresholds=Thresholds(),
    )  # fmt: skip
    assert digest.runs_awaiting_streams == 1
    assert digest.streams_measured
    assert digest.streams_line == "1 of 2 runs has no streams yet: downhill and speed work count only the others."
    waiting = build_digest(
        athlete_name="A", week_monday=monday, runs=[run(0, True)], history=[], gear=[], thresholds=Thresholds()
    )
    assert not waiting.streams_measured and waiting.streams_line is not None
    assert waiting.streams_line.startswith("No streams yet for this week's runs")
    clean = build_digest(
        athlete_name="A", week_monday=monday, runs=[run(0, False)], history=[], gear=[], thresholds=Thresholds()
    )
    assert clean.streams_line is None


def test_the_history_fetch_keeps_the_regular_syncs_share_and_half_of_each_window() -> None:
    now = datetime(2026, 9, 7, 12, 5, tzinfo=UTC)
    plan = plan_polling(1)
    reserve = sync_daily_reserve(plan, read_daily_limit=1000, write_reserve=20)
    assert reserve == 2 * 250 + 20  # the polls' share, as much again for their runs' details, the write reserve
    fresh = BudgetState(read_daily_limit=1000, read_short_limit=100).rolled(now)
    assert history_reads_left(fresh, now, sync_reserve=reserve) == 50  # half of the 15-minute window
    busy_day = replace(fresh, read_daily_usage=470, daily_usage=470)
    assert history_reads_left(busy_day, now, sync_reserve=reserve) == 10
    spent = replace(fresh, read_daily_usage=480, daily_usage=480)
    assert history_reads_left(spent, now, sync_reserve=reserve) == 0
    busy_window = replace(fresh, read_short_usage=49, short_usage=49)
    assert history_reads_left(busy_window, now, sync_reserve=reserve) == 1
    # many athletes: the plan projects more polls than the share, and the reserve follows it
    crowded = plan_polling(40, min_interval_s=900.0, share_pct=25.0)
    assert sync_daily_reserve(crowded, read_daily_limit=1000, write_reserve=20) >= reserve


def test_the_flare_up_analysis_never_reads_a_run_without_its_streams_as_zero() -> None:
    """Even when no note names what the run lacks (`when_clean = "none"` stores no clean note at all)."""
    from syncd.records import AnnotationRecord
    from syncd.services.pain_diary import _exposure

    clean = AnnotationRecord(1, 1, "v", (), None, START)
    waiting = _exposure(summary(), clean, True, {START})
    assert (waiting.descent_m, waiting.speed, waiting.hard_m, waiting.spike) == (None, None, None, None)
    measured = _exposure(summary(strava_detail=True), clean, True, {START})
    assert (measured.descent_m, measured.speed) == (0.0, False)
