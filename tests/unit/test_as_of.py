"""The one as-of state (`domain.as_of.state_as_of`) from plain data: what it cuts, takes back, counts and chooses."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from syncd.domain.advice_mode import AdviceMode, ModeSettings
from syncd.domain.as_of import DiaryInputs, Subject, end_of_day, shoe_as_of, state_as_of
from syncd.domain.digest import build_digest
from syncd.domain.history import History, HistoryEntry, HistoryRow
from syncd.domain.load import check_load, week_counts, week_start
from syncd.domain.model import Gear, Sport
from syncd.domain.pain import PainEntry, PainSource
from syncd.domain.thresholds import Thresholds
from syncd.services.feed import weekly_strip

AT = datetime(2026, 11, 26, 7, 0, tzinfo=UTC)  # a Thursday
DAY = AT.date()
T = Thresholds()


def entry(key: str, days_before: float, sport: Sport = Sport.RUN, minutes: float = 40.0) -> HistoryEntry:
    return HistoryEntry(("strava", key), sport, AT - timedelta(days=days_before), 0, minutes * 60.0, 8000.0)


def row(activity_id: int, key: str, days_before: float, group: str | None = None, **kw: object) -> HistoryRow:
    return HistoryRow(activity_id, group, entry(key, days_before, **kw))  # type: ignore[arg-type]


def rows() -> list[HistoryRow]:
    return [
        row(1, "a", 50),  # outside the 42-day window
        row(2, "b", 20),
        row(3, "c", 2, group="g"),
        row(4, "garmin-c", 2, group="g"),  # the same run from the other platform: counted once
        row(5, "walk", 1, sport=Sport.WALK, minutes=5),  # too short to count toward the weekly targets
        row(6, "yoga", 1, sport=Sport.YOGA, minutes=30),
        row(7, "later", -1),  # after the instant: never seen
    ]


def test_history_is_the_cut_before_the_instant_each_twin_group_once() -> None:
    state = state_as_of(History(rows()), AT, DAY, thresholds=T)
    assert [e.key[1] for e in state.history] == ["b", "c", "walk", "yoga"]


def test_a_run_never_sees_itself_nor_its_twin() -> None:
    subject = Subject(("strava", "c"), "strava", activity_id=3, group="g")
    state = state_as_of(History(rows()), AT - timedelta(days=2), DAY - timedelta(days=2), thresholds=T, subject=subject)
    assert [e.key[1] for e in state.history] == ["b"]


def test_load_and_week_are_the_domain_figures_over_the_cut() -> None:
    state = state_as_of(History(rows()), AT, DAY, thresholds=T)
    expected = check_load(
        list(state.history),
        DAY,
        min_history_days=T.acwr_min_history_days,
        min_chronic_minutes=T.acwr_min_chronic_min,
        break_days=T.return_break_days,
    )
    assert state.load == expected
    assert state.load.acute_minutes == 40.0  # the twins once: one 40-minute run in the 7 days
    assert state.week == week_counts(list(state.history), date(2026, 11, 23), min_session_min=T.min_session_min)
    assert (state.week.runs, state.week.low_impact, state.week.strength) == (1, 0, 1)  # the 5-minute walk is none


def test_shoes_are_taken_back_to_the_instant() -> None:
    shoes = [(Gear("s1", "Trail", 640_000.0, limit_m=600_000.0), 38_000.0), (Gear("s2", "Road", 1000.0), 5000.0)]
    state = state_as_of(History([]), AT, DAY, thresholds=T, shoes=shoes)
    assert state.shoe("s1") == Gear("s1", "Trail", 602_000.0, limit_m=600_000.0)
    assert state.shoe("s2") is not None and state.shoe("s2").distance_m == 0.0  # type: ignore[union-attr]
    assert state.shoe(None) is None and state.shoe("nope") is None
    assert shoe_as_of(Gear("x", "x", 10.0), 4.0).distance_m == 6.0


def pain(days_before: int, score: int, source: PainSource = PainSource.CLI, **kw: object) -> PainEntry:
    return PainEntry(1, DAY - timedelta(days=days_before), score, source, **kw)  # type: ignore[arg-type]


def test_mode_follows_the_diary_up_to_the_day_and_the_platform_only_its_tags() -> None:
    diary = DiaryInputs([pain(1, 6), pain(-1, 1)], ModeSettings())
    subject = Subject(("strava", "r"), "strava")
    state = state_as_of(History(rows()), AT, DAY, thresholds=T, diary=diary, subject=subject)
    assert state.mode.mode is AdviceMode.SORE  # the entry after the day is not known yet
    assert state.modes.platform.mode is AdviceMode.STAYING_WELL  # a CLI entry never reaches a platform's note
    assert [e.day for e in state.diary] == [DAY - timedelta(days=1)]


def test_an_entry_older_than_the_window_is_no_longer_in_effect() -> None:
    diary = DiaryInputs([pain(30, 7)], ModeSettings())
    state = state_as_of(History([]), AT, DAY, thresholds=T, diary=diary)
    assert state.diary == ()
    assert state.mode.mode is AdviceMode.STAYING_WELL
    assert state.mode.reason.startswith("no back pain logged in the last")


def test_a_run_and_its_day_read_the_same_diary() -> None:
    """Pain logged weekly for seven weeks, never below the threshold: a run's note and the day's page both say
    "see a clinician" (the red flag looks back beyond the mode window), with the same reason."""
    diary = DiaryInputs([pain(days, 5) for days in range(48, 0, -7)], ModeSettings())
    run = state_as_of(History([]), AT, DAY, thresholds=T, diary=diary, subject=Subject(("strava", "r"), "strava"))
    day = state_as_of(History([]), end_of_day(DAY, UTC), DAY, thresholds=T, diary=diary)
    assert run.mode.red_flag and day.mode.red_flag
    assert (run.mode.mode, run.mode.reason) == (day.mode.mode, day.mode.reason)
    quiet = DiaryInputs([pain(20, 2)], ModeSettings())  # an old, low entry: "none in the window", not "none at all"
    run = state_as_of(History([]), AT, DAY, thresholds=T, diary=quiet, subject=Subject(("strava", "r"), "strava"))
    assert run.mode.reason.startswith("no back pain logged in the last")


def test_the_athletes_own_mode_wins() -> None:
    diary = DiaryInputs([], ModeSettings(), athlete_mode="sore")
    state = state_as_of(History([]), AT, DAY, thresholds=T, diary=diary, subject=Subject(("strava", "r"), "strava"))
    assert (state.mode.mode, state.mode.reason) == (AdviceMode.SORE, "set in your settings")
    assert state.modes.platform.mode is AdviceMode.STAYING_WELL  # "sore" in the settings is health data too


def test_the_first_run_after_pain_rests_first_and_the_next_does_not() -> None:
    diary = DiaryInputs([pain(1, 6)], ModeSettings())
    first = state_as_of(History([]), AT, DAY, thresholds=T, diary=diary, subject=Subject(("strava", "r"), "strava"))
    ran = History([row(9, "since", 0.5)])
    second = state_as_of(ran, AT, DAY, thresholds=T, diary=diary, subject=Subject(("strava", "r"), "strava"))
    assert first.mode.rest_first and not second.mode.rest_first


SPORTS = [Sport.RUN, Sport.RUN, Sport.TRAIL_RUN, Sport.RIDE, Sport.WALK, Sport.SWIM, Sport.YOGA, Sport.STRENGTH]


@st.composite
def histories(draw: st.DrawFn) -> list[HistoryEntry]:
    """Up to ten weeks of activities before the strip's last Sunday, in one zone, some short, some on one day."""
    out = []
    for i in range(draw(st.integers(0, 40))):
        start = AT - timedelta(hours=draw(st.floats(1, 70 * 24)))
        sport = draw(st.sampled_from(SPORTS))
        out.append(HistoryEntry(("strava", f"h{i}"), sport, start, 3600, draw(st.floats(0, 120)) * 60.0, 5000.0))
    return out


@given(history=histories())
@settings(max_examples=60, deadline=None)
def test_the_strip_and_the_digest_show_each_weeks_state(history: list[HistoryEntry]) -> None:
    """Property: for random histories, each week of the feed's strip (counts, load verdict) and the digest's week
    (low-impact and strength counts, the trend's last load verdict) are the as-of state's as that week ended."""
    zone = timezone(timedelta(hours=1))
    last_monday = week_start(DAY)
    strip = weekly_strip(history, last_monday, T, weeks=4, today=last_monday + timedelta(days=6), zone=zone)
    rows = History(history)
    for week in strip:
        sunday = week.monday + timedelta(days=6)
        state = state_as_of(rows, end_of_day(sunday, zone), sunday, thresholds=T)
        assert (week.runs, week.low_impact, week.strength) == (
            state.week.runs,
            state.week.low_impact,
            state.week.strength,
        )
        assert (week.load_status, week.break_days) == (state.load.status, state.load.break_days)
        assert week.acwr == (None if state.load.ratio is None else round(state.load.ratio, 2))
    sunday = last_monday + timedelta(days=6)
    state = state_as_of(rows, end_of_day(sunday, zone), sunday, thresholds=T)
    digest = build_digest(
        athlete_name="", week_monday=last_monday, runs=(), history=history, gear=(), thresholds=T, zone=zone
    )
    assert (digest.low_impact, digest.strength) == (state.week.low_impact, state.week.strength)
    last = digest.load_trend[-1]
    assert (last.load_status, last.break_days) == (state.load.status, state.load.break_days)
    assert last.acwr == (None if state.load.ratio is None else round(state.load.ratio, 2))
