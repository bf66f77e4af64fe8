"""Golden tests on the pure digest builder (plain data in, plain data out) and on the rendered text part."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from syncd.domain.digest import (
    FlaggedRun,
    FlagGroup,
    LoadWeek,
    ShoeStatus,
    Suggestion,
    SurfaceSplit,
    WeekRun,
    build_digest,
    parse_week,
    suggest,
)
from syncd.domain.flags import Confidence, Flag, FlagCode, Severity
from syncd.domain.history import HistoryEntry
from syncd.domain.load import LoadUnit
from syncd.domain.model import Gear, Sport
from syncd.domain.rules.hard_surface import flag_from_map
from syncd.domain.surface import SurfaceBreakdown
from syncd.domain.thresholds import Thresholds
from syncd.services.digest_email import render_html, render_text
from syncd.services.digest_recipients import address_problem
from syncd.services.digests import due_week, retry_delay_s

MONDAY = date(2026, 11, 16)  # 2026-W47
OFFSET = 3600  # UTC+1


def at(day: date, hour: int = 7) -> datetime:
    """Local wall-clock time on `day` (naive, as WeekRun.start_local)."""
    return datetime(day.year, day.month, day.day, hour)


def entry(key: str, sport: Sport, local: datetime, minutes: float, km: float | None = None) -> HistoryEntry:
    return HistoryEntry(
        key=("file", key),
        sport=sport,
        start_utc=(local - timedelta(seconds=OFFSET)).replace(tzinfo=UTC),
        utc_offset_s=OFFSET,
        duration_s=minutes * 60,
        distance_m=None if km is None else km * 1000,
    )


def flag(code: FlagCode, severity: Severity = Severity.CAUTION, **evidence: float) -> Flag:
    return Flag(code, severity, Confidence.HIGH, evidence)


# what the hard_surface rule writes for a 10 km run the map knows as 6 km paved, 3 km dirt and 1 km unknown
MAPPED_ROAD = flag_from_map(SurfaceBreakdown(6000.0, 3000.0, 0.0, 1000.0, source="osm"), 10_000.0, 50.0)
assert MAPPED_ROAD is not None

WEEK_RUNS = (
    WeekRun(
        ("file", "a"),
        "Road tempo",
        Sport.RUN,
        at(MONDAY),
        10_000.0,
        3600.0,
        120.0,
        flags=(MAPPED_ROAD,),
    ),
    WeekRun(
        ("file", "b"),
        "Hill trail",
        Sport.TRAIL_RUN,
        at(MONDAY + timedelta(days=2)),
        8_000.0,
        3600.0,
        300.0,
        flags=(flag(FlagCode.DOWNHILL),),
    ),
    WeekRun(
        ("file", "c"),
        "Treadmill intervals",
        Sport.TREADMILL_RUN,
        at(MONDAY + timedelta(days=4)),
        10_000.0,
        3600.0,
        None,
        indoor=True,
        flags=(flag(FlagCode.SPEED_WORK), flag(FlagCode.LOAD_SPIKE, Severity.HIGH, acwr=2.0)),
    ),
)


def history() -> list[HistoryEntry]:
    """Ten quiet weeks (3 x 30 min a week) before W47, then W47's three hour-long runs, a ride and a yoga class."""
    entries = []
    for week in range(1, 11):
        monday = MONDAY - timedelta(weeks=week)
        for day in (0, 2, 4):
            entries.append(entry(f"old-{week}-{day}", Sport.RUN, at(monday + timedelta(days=day)), 30, 5))
    entries += [entry(run.key[1], run.sport, run.start_local, 60) for run in WEEK_RUNS]
    entries.append(entry("ride", Sport.RIDE, at(MONDAY + timedelta(days=1)), 45))
    entries.append(entry("yoga", Sport.YOGA, at(MONDAY + timedelta(days=3)), 30))
    entries.append(entry("next-week", Sport.RUN, at(MONDAY + timedelta(days=7)), 90))  # not this week
    return entries


GEAR = (
    Gear("g1", "Pegasus", 550_000.0),
    Gear("g2", "Trail shoes", 700_000.0, limit_m=800_000.0),
    Gear("g3", "Retired racers", 900_000.0, retired=True),
    Gear("g4", "Old daily trainers", 620_000.0),
    Gear("b1", "Bike", 9_000_000.0, kind="bike"),
)


def test_staying_well_puts_prevention_first_and_leaves_out_the_sore_back_levers() -> None:
    digest = build_digest(
        athlete_name="Ann", week_monday=MONDAY, runs=WEEK_RUNS, history=history(), gear=GEAR, thresholds=Thresholds()
    )
    assert digest.mode == "staying well"
    assert [s.code for s in digest.suggestions] == ["load_spike", "low_cross_training", "worn_shoes"]
    assert "Advice mode: staying well (no back pain logged)" in render_text(digest)


def test_golden_week() -> None:
    digest = build_digest(
        athlete_name="Ann",
        week_monday=MONDAY,
        runs=WEEK_RUNS,
        history=history(),
        gear=GEAR,
        thresholds=Thresholds(),
        feed_url="https://syncd.example.org/feed",
        mode="sore",
        mode_reason="back pain logged in the last 7 days",
    )
    assert (digest.week, digest.week_start, digest.week_end) == ("2026-W47", MONDAY, date(2026, 11, 22))
    assert (digest.runs, digest.distance_m, digest.duration_s, digest.flag_count) == (3, 28_000.0, 10_800.0, 4)
    assert digest.subject == "Back-care week 16\u201322 Nov 2026: 3 runs, 4 flags"
    assert digest.flag_groups == (
        FlagGroup(
            FlagCode.LOAD_SPIKE,
            "Load spike",
            Severity.HIGH,
            "Keep the next days easy or take a low-impact day.",
            (FlaggedRun("Treadmill intervals", at(MONDAY + timedelta(days=4)), Severity.HIGH),),
        ),
        FlagGroup(
            FlagCode.DOWNHILL,
            "Downhill",
            Severity.CAUTION,
            "Until it settles: keep to level ground.",  # the sore mode's wording, as the notes word it
            (FlaggedRun("Hill trail", at(MONDAY + timedelta(days=2)), Severity.CAUTION),),
        ),
        FlagGroup(
            FlagCode.HARD_SURFACE,
            "Hard surface",
            Severity.CAUTION,
            "Until it settles: grass, trails or a treadmill.",
            (FlaggedRun("Road tempo", at(MONDAY), Severity.CAUTION),),
        ),
        FlagGroup(
            FlagCode.SPEED_WORK,
            "Speed work",
            Severity.CAUTION,
            "Until it settles: no speed work, jog easy.",
            (FlaggedRun("Treadmill intervals", at(MONDAY + timedelta(days=4)), Severity.CAUTION),),
        ),
    )
    # mapped road run: 6 km paved, 1 km unknown, 3 km soft; trail and treadmill runs are soft
    assert digest.surface == SurfaceSplit(hard_m=6000.0, soft_m=21_000.0, unknown_m=1000.0)
    assert (digest.downhill_m, digest.speed_sessions) == (420.0, 1)
    # 3 x 30 min a week -> 90 min and ACWR 1.0; W47 doubles it (180 min vs a chronic 90/week): ratio 2.0.
    # Monotony of 3 equal sessions on alternate days: mean / SD = 0.87 whatever their length.
    assert digest.load_unit == "min"
    quiet_weeks = [
        LoadWeek(f"2026-W{n}", MONDAY - timedelta(weeks=47 - n), 90.0, 1.0, 0.87, running_minutes=90.0)
        for n in range(40, 47)
    ]
    assert digest.load_trend == (*quiet_weeks, LoadWeek("2026-W47", MONDAY, 180.0, 2.0, 0.87, running_minutes=180.0))
    assert (digest.low_impact, digest.low_impact_target, digest.strength, digest.strength_target) == (1, 2, 1, 3)
    assert digest.shoes == (
        ShoeStatus("Old daily trainers", 620_000.0, 600_000.0, 103.3, True),
        ShoeStatus("Pegasus", 550_000.0, 600_000.0, 91.7, False),
    )
    assert [s.code for s in digest.suggestions] == ["load_spike", "hard_surface", "downhill"]
    assert digest.feed_url == "https://syncd.example.org/feed"

    assert render_text(digest) == GOLDEN_TEXT


GOLDEN_TEXT = "\n".join(
    [
        "Your back-care week, 16\u201322 Nov 2026 (Mon 16 Nov - Sun 22 Nov)",
        "for Ann",
        "",
        "Advice mode: sore (back pain logged in the last 7 days)",
        "",
        "Runs: 3, 28 km, 3 h 00 min",
        "Back-care flags: 4",
        "",
        "- Load spike (1 run, high): Keep the next days easy or take a low-impact day.",
        "    Fri 20 Nov: Treadmill intervals",
        "- Downhill (1 run, caution): Until it settles: keep to level ground.",
        "    Wed 18 Nov: Hill trail",
        "- Hard surface (1 run, caution): Until it settles: grass, trails or a treadmill.",
        "    Mon 16 Nov: Road tempo",
        "- Speed work (1 run, caution): Until it settles: no speed work, jog easy.",
        "    Fri 20 Nov: Treadmill intervals",
        "",
        "Surface: 6 km hard, 21 km soft or treadmill, 1 km unknown",
        "Downhill: 420 m of descent",
        "Speed-work sessions: 1",
        "Load: acute:chronic 2.00 (sweet spot 0.8-1.3)",  # no monotony from minutes (issue 28)
        "Load trend (8 weeks, minutes / acute:chronic):",
        "  week of 28 Sep: 90 / 1.00",
        "  week of 5 Oct: 90 / 1.00",
        "  week of 12 Oct: 90 / 1.00",
        "  week of 19 Oct: 90 / 1.00",
        "  week of 26 Oct: 90 / 1.00",
        "  week of 2 Nov: 90 / 1.00",
        "  week of 9 Nov: 90 / 1.00",
        "  week of 16 Nov: 180 / 2.00",
        "Low-impact sessions: 1 of 2",
        "Strength sessions: 1 of 3",
        "",
        "Shoes:",
        "  Old daily trainers: 620 km of 600 km (103%, replace them)",
        "  Pegasus: 550 km of 600 km (92%, nearly worn)",
        "",
        "Next week:",
        "  1. For information: this week's running is well above your recent weeks (the acute:chronic ratio is "
        "debated, and one long run matters more than the weekly sum). An easy low-impact session next week does no "
        "harm.",
        "  2. Move at least two runs off asphalt and concrete: grass paths, dirt trails or a treadmill "
        "soften every landing.",
        "  3. Choose level routes next week: running downhill produces higher landing forces.",
        "",
        "Your feed: https://syncd.example.org/feed",
        "",
        "Advice only, not a diagnosis: if back pain persists, see a clinician.",
        "",
    ]
)


def test_a_week_without_runs_is_short_and_suggests_an_easy_restart() -> None:
    quiet = [e for e in history() if not (MONDAY <= e.local_date <= MONDAY + timedelta(days=6))]
    digest = build_digest(athlete_name="", week_monday=MONDAY, runs=(), history=quiet, gear=(), thresholds=Thresholds())
    assert digest.empty and digest.runs == 0 and digest.flag_count == 0 and digest.flag_groups == ()
    assert digest.subject == "Back-care week 16\u201322 Nov 2026: no runs"
    assert digest.load.week_load == 0.0 and digest.load.acwr == 0.0 and digest.load.monotony is None
    assert digest.suggestions == (Suggestion("rest_week", digest.suggestions[0].text),)
    assert "see a clinician" in digest.suggestions[0].text
    text = render_text(digest)
    assert "No runs recorded this week." in text and "Runs:" not in text


def test_a_calm_week_still_gets_one_suggestion() -> None:
    runs = (WeekRun(("file", "x"), "Easy", Sport.TRAIL_RUN, at(MONDAY), 5000.0, 1800.0),)
    entries = [entry("x", Sport.TRAIL_RUN, at(MONDAY), 30)]
    entries += [entry(f"s{d}", Sport.STRENGTH, at(MONDAY + timedelta(days=d)), 20) for d in (1, 3, 5)]
    entries += [entry(f"w{d}", Sport.WALK, at(MONDAY + timedelta(days=d)), 40) for d in (2, 4)]
    digest = build_digest(
        athlete_name="", week_monday=MONDAY, runs=runs, history=entries, gear=(), thresholds=Thresholds()
    )
    assert [s.code for s in digest.suggestions] == ["keep_going"]
    assert digest.subject == "Back-care week 16\u201322 Nov 2026: 1 run, 0 flags"


def test_runs_outside_the_week_and_other_sports_are_ignored() -> None:
    outside = WeekRun(("file", "o"), "Next Monday", Sport.RUN, at(MONDAY + timedelta(days=7)), 5000.0, 1800.0)
    ride = WeekRun(("file", "r"), "Ride", Sport.RIDE, at(MONDAY), 30_000.0, 3600.0)
    digest = build_digest(
        athlete_name="", week_monday=MONDAY, runs=(outside, ride), history=(), gear=(), thresholds=Thresholds()
    )
    assert digest.runs == 0


def test_build_digest_wants_a_monday() -> None:
    with pytest.raises(ValueError, match="not a Monday"):
        build_digest(
            athlete_name="",
            week_monday=MONDAY + timedelta(days=1),
            runs=(),
            history=(),
            gear=(),
            thresholds=Thresholds(),
        )


@pytest.mark.parametrize(("label", "monday"), [("2026-W47", MONDAY), ("2027-W01", date(2027, 1, 4))])
def test_parse_week(label: str, monday: date) -> None:
    assert parse_week(label) == monday


@pytest.mark.parametrize("label", ["2026-47", "2026-W54", "week 3", ""])
def test_parse_week_rejects_nonsense(label: str) -> None:
    with pytest.raises(ValueError, match="use the form 2026-W47"):
        parse_week(label)


BERLIN = ZoneInfo("Europe/Berlin")


@pytest.mark.parametrize(
    ("now", "zone", "weekday", "hour", "expected"),
    [
        (datetime(2026, 11, 23, 6, 0, tzinfo=UTC), BERLIN, "monday", 7, date(2026, 11, 16)),  # 07:00 Berlin
        (datetime(2026, 11, 23, 5, 59, tzinfo=UTC), BERLIN, "monday", 7, date(2026, 11, 9)),  # 06:59 Berlin
        (datetime(2026, 11, 22, 23, 30, tzinfo=UTC), ZoneInfo("Pacific/Auckland"), "monday", 7, date(2026, 11, 16)),
        (datetime(2026, 11, 23, 12, 0, tzinfo=UTC), ZoneInfo("America/Los_Angeles"), "monday", 7, date(2026, 11, 9)),
        (datetime(2026, 11, 29, 9, 0, tzinfo=UTC), UTC, "sunday", 9, date(2026, 11, 16)),
        (datetime(2026, 11, 29, 8, 0, tzinfo=UTC), UTC, "sunday", 9, date(2026, 11, 9)),
    ],
)
def test_due_week_in_the_athletes_own_time_zone(
    now: datetime, zone: ZoneInfo, weekday: str, hour: int, expected: date
) -> None:
    assert due_week(now, zone, weekday, hour) == expected


def test_retry_backoff_doubles_and_is_capped() -> None:
    assert [retry_delay_s(n) for n in (1, 2, 3)] == [300.0, 600.0, 1200.0]
    assert retry_delay_s(50) == 6 * 3600.0


@pytest.mark.parametrize(
    ("address", "ok"),
    [
        ("runner@example.org", True),
        ("Ann Runner <ann@example.org>", True),
        ("not an address", False),
        ("ann@localhost", False),
        ("ann@example.org\r\nBcc: x@example.org", False),
        ("", False),
    ],
)
def test_address_problem(address: str, ok: bool) -> None:
    assert (address_problem(address) is None) is ok


def test_the_digest_shows_no_ratio_the_notes_would_not() -> None:
    """Issue #13: a red "5.26" after one week of data, and "27.0" for a 10-minute jog after three weeks off."""
    week = [entry(f"r{i}", Sport.RUN, at(MONDAY + timedelta(days=i)), 40) for i in (0, 2, 4)]
    digest = build_digest(athlete_name="", week_monday=MONDAY, runs=(), history=week, gear=(), thresholds=Thresholds())
    assert digest.load.acwr is None and digest.load.load_status == "not_enough_history"
    assert "not enough history yet for a ratio (120 min of running this week)" in render_text(digest)
    before = [entry(f"b{i}", Sport.RUN, at(MONDAY - timedelta(days=60 - 2 * i)), 40) for i in range(18)]
    back = [*before, entry("jog", Sport.RUN, at(MONDAY + timedelta(days=2)), 10)]
    digest = build_digest(athlete_name="", week_monday=MONDAY, runs=(), history=back, gear=(), thresholds=Thresholds())
    assert digest.load.acwr is None and digest.load.load_status == "return_after_break"
    assert "back after 27 days without running (10 min of running this week)" in render_text(digest)
    assert "load_spike" not in {s.code for s in digest.suggestions}


def test_guessed_surfaces_stay_unknown_and_downhill_comes_from_the_cleaned_profile() -> None:
    """Issue #13: "Hard surfaces 37 km" from guesses, and "Downhill: 0 m" beside a run flagged with 355 m."""
    from syncd.domain.digest import surface_split, week_descent_m

    guessed = WeekRun(
        ("s", "1"), "Road?", Sport.RUN, at(MONDAY), 12_000.0, 3600.0, flags=(flag(FlagCode.HARD_SURFACE),)
    )
    assert surface_split([guessed]) == SurfaceSplit(hard_m=0.0, soft_m=0.0, unknown_m=12_000.0)
    strava = WeekRun(
        ("s", "2"),
        "Hills",
        Sport.RUN,
        at(MONDAY),
        9000.0,
        3600.0,
        None,
        flags=(flag(FlagCode.DOWNHILL, total_descent_m=355.0),),
    )
    assert week_descent_m([strava]) == 355.0


def test_cleaned_descent_is_the_downhill_rules_figure_on_a_real_run() -> None:
    from dataclasses import replace
    from pathlib import Path

    from syncd.adapters.files import load_activities
    from syncd.domain.digest import cleaned_descent_m
    from syncd.domain.rules import downhill
    from syncd.domain.rules.context import RuleContext

    real = Path(__file__).resolve().parents[1] / "fixtures" / "real"
    (parsed,) = load_activities(real / "run.fit")
    hilly = replace(parsed.activity, elevation_loss_m=None)  # as from Strava: no loss figure at all
    flag = downhill.evaluate(RuleContext(hilly))
    assert flag is not None
    assert cleaned_descent_m(hilly) == pytest.approx(flag.evidence["total_descent_m"], abs=0.5)
    (noisy,) = load_activities(real / "Morning_Run_with_H10.gpx")  # flat course, ~250 m of GPS altitude "loss"
    descent = cleaned_descent_m(noisy.activity)
    assert descent is not None and descent < (noisy.activity.elevation_loss_m or 0.0) / 2


def test_a_red_flag_shows_under_the_mode_line_in_text_and_html() -> None:
    from syncd.domain.advice_mode import RED_FLAG_LINE

    quiet = [e for e in history() if not (MONDAY <= e.local_date <= MONDAY + timedelta(days=6))]
    common = {"athlete_name": "", "week_monday": MONDAY, "runs": (), "history": quiet, "gear": ()}
    digest = build_digest(**common, thresholds=Thresholds(), mode="sore", red_flag=RED_FLAG_LINE)  # type: ignore[arg-type]
    lines = render_text(digest).splitlines()
    assert lines[lines.index("Advice mode: sore (no back pain logged)") + 1] == RED_FLAG_LINE
    assert "See a clinician promptly" in render_html(digest, None)
    plain = build_digest(**common, thresholds=Thresholds())  # type: ignore[arg-type]
    assert "promptly" not in render_text(plain)


@pytest.mark.parametrize(("over", "expected"), [(False, "A shoe is nearly due"), (True, "A shoe is past its limit")])
def test_the_shoe_suggestion_says_past_its_limit_only_when_a_shoe_is(over: bool, expected: str) -> None:
    # the demo's week: a "nearly due" (info) shoe flag and the shoe line "575 km of 600 km (96%)"; the suggestion
    # said "A shoe is past its limit" beside it
    shoe = ShoeStatus("Trail Shoes", 620_000.0 if over else 575_000.0, 600_000.0, 103.3 if over else 95.8, over)
    [suggestion] = suggest(
        codes={"worn_shoes"},
        load=LoadWeek("2026-W48", MONDAY, 200.0, 1.0, None),
        thresholds=Thresholds(),
        surface=SurfaceSplit(hard_m=0.0, soft_m=0.0, unknown_m=0.0),
        shoes=(shoe,),
        low_impact=2,
        strength=3,
        runs=3,
    )
    assert suggestion.code == "worn_shoes" and suggestion.text.startswith(expected)
    assert ("past its limit" in suggestion.text) is over


@pytest.mark.parametrize(
    ("unit", "week_load", "suggested"),
    [("trimp", 500.0, True), ("trimp", 300.0, False), ("min", 500.0, False)],
)
def test_monotony_is_suggested_only_where_the_monotony_rule_would_flag_it(
    unit: LoadUnit, week_load: float, suggested: bool
) -> None:
    # the demo's digest W48: monotony 5.79 on a light week (the rule needs 450+ TRIMP and stays silent on minutes,
    # issue 28), yet the digest would suggest varying the days
    [*codes] = (
        s.code
        for s in suggest(
            codes=set(),
            load=LoadWeek("2026-W48", MONDAY, week_load, 1.0, 5.79),
            thresholds=Thresholds(),
            surface=SurfaceSplit(hard_m=0.0, soft_m=0.0, unknown_m=0.0),
            shoes=(),
            low_impact=2,
            strength=3,
            runs=7,
            load_unit=unit,
        )
    )
    assert codes == (["monotony"] if suggested else ["keep_going"])


def test_monotony_is_shown_only_from_heart_rate_load() -> None:
    """Issue 28: monotony on minutes says nothing of how alike the days were, so the digest shows it only from a
    heart-rate load (TRIMP), with what the figure means; from minutes the notes never flag it, nor does the digest."""
    digest = build_digest(
        athlete_name="Ann", week_monday=MONDAY, runs=WEEK_RUNS, history=history(), gear=GEAR, thresholds=Thresholds()
    )
    assert digest.load_unit == "min" and digest.load.monotony is not None
    assert "monotony" not in render_text(digest).split("Load trend")[0]
    trimp = replace(digest, load_unit="trimp")
    assert "monotony 0.87 (from heart rate; above 2 is high)" in render_text(trimp)
    assert "monotony <b>0.87</b> (from heart rate; above 2 is high)" in render_html(trimp, None)
