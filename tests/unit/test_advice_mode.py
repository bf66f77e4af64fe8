"""Mode selection over a synthetic season, and what each mode does to flags and the note."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from syncd.domain.advice_mode import RED_FLAG_LINE, AdviceMode, ModeSettings, choose_mode, platform_mode
from syncd.domain.flags import Confidence, Flag, FlagCode, Severity
from syncd.domain.mode_notes import ADVICE, REST_FIRST_LINE, apply_mode, lead_lines
from syncd.domain.notes import render_note
from syncd.domain.pain import PainEntry, PainSource

SEASON_START = date(2026, 3, 2)


def _run_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 7, tzinfo=UTC)


def _tag(day: date, score: int) -> PainEntry:
    """A tag written on that day's run (so it counts from the next run on)."""
    return PainEntry(1, day, score, PainSource.TAG, activity_id=day.toordinal(), activity_start_utc=_run_start(day))


def test_a_season_switches_to_sore_after_a_painful_tag_and_back_after_the_window() -> None:
    # runs every other day for 12 weeks; pain 6 tagged on day 20, 2 on day 22, then pain-free tags
    days = [SEASON_START + timedelta(days=i) for i in range(0, 84, 2)]
    entries = [_tag(SEASON_START + timedelta(days=20), 6)] + [
        _tag(SEASON_START + timedelta(days=i), 0) for i in range(40, 84, 10)
    ]
    modes: dict[int, tuple[AdviceMode, bool]] = {}
    previous: date | None = None
    for day in days:
        decision = choose_mode(
            entries,
            run_day=day,
            run_start=_run_start(day),
            previous_run_start=_run_start(previous) if previous else None,
            previous_run_day=previous,
        )
        modes[(day - SEASON_START).days] = (decision.mode, decision.rest_first)
        previous = day
    sore_days = [i for i, (mode, _) in modes.items() if mode is AdviceMode.SORE]
    # the tagged run itself is still staying well; the next runs within 7 days (22, 24, 26) are sore
    assert sore_days == [22, 24, 26]
    assert [i for i, (_, rest) in modes.items() if rest] == [22]  # only the first note after the tag says rest
    assert all(mode is AdviceMode.STAYING_WELL for i, (mode, _) in modes.items() if i not in sore_days)


def test_no_diary_is_staying_well_and_the_reason_says_so() -> None:
    decision = choose_mode([], run_day=SEASON_START, run_start=_run_start(SEASON_START))
    assert (decision.mode, decision.reason) == (AdviceMode.STAYING_WELL, "no back pain logged")


def test_threshold_and_window_are_respected() -> None:
    day = SEASON_START + timedelta(days=10)
    three = [PainEntry(1, day - timedelta(days=1), 3, PainSource.CLI)]
    assert choose_mode(three, run_day=day, run_start=_run_start(day)).mode is AdviceMode.STAYING_WELL
    lower = ModeSettings(threshold=3)
    assert choose_mode(three, run_day=day, run_start=_run_start(day), settings=lower).mode is AdviceMode.SORE
    old = [PainEntry(1, day - timedelta(days=7), 8, PainSource.CLI)]
    assert choose_mode(old, run_day=day, run_start=_run_start(day)).mode is AdviceMode.STAYING_WELL
    assert choose_mode(old, run_day=day, run_start=_run_start(day), settings=ModeSettings(window_days=8)).mode == "sore"


def test_woke_up_sore_counts_for_that_days_run() -> None:
    day = SEASON_START
    entries = [PainEntry(1, day, 5, PainSource.WEB)]
    decision = choose_mode(entries, run_day=day, run_start=_run_start(day))
    assert (decision.mode, decision.rest_first) == (AdviceMode.SORE, True)


def test_a_later_easier_entry_means_settled() -> None:
    day = SEASON_START + timedelta(days=5)
    entries = [
        PainEntry(1, day - timedelta(days=4), 7, PainSource.CLI),
        PainEntry(1, day - timedelta(days=1), 1, PainSource.CLI),
    ]
    assert choose_mode(entries, run_day=day, run_start=_run_start(day)).mode is AdviceMode.STAYING_WELL


def test_settings_and_athlete_override_the_diary() -> None:
    day = SEASON_START
    painful = [PainEntry(1, day, 9, PainSource.CLI)]
    assert (
        choose_mode(painful, run_day=day, run_start=_run_start(day), athlete_mode="staying_well").mode == "staying_well"
    )
    assert choose_mode([], run_day=day, run_start=_run_start(day), settings=ModeSettings(mode="sore")).mode == "sore"
    # the athlete's own setting wins over the configured one; "auto" defers to the configuration
    fixed = ModeSettings(mode="sore")
    assert choose_mode(
        [], run_day=day, run_start=_run_start(day), settings=fixed, athlete_mode="staying_well"
    ).mode == ("staying_well")
    assert choose_mode([], run_day=day, run_start=_run_start(day), settings=fixed, athlete_mode="auto").mode == "sore"


@pytest.mark.parametrize("bad", [{"mode": "panic"}, {"threshold": 0}, {"threshold": 11}, {"window_days": 0}])
def test_bad_settings_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        ModeSettings(**bad)  # type: ignore[arg-type]


FLAGS = (
    Flag(FlagCode.HARD_SURFACE, Severity.CAUTION, Confidence.HIGH, {"hard_m": 8000.0, "share_pct": 90.0}),
    Flag(FlagCode.SPEED_WORK, Severity.HIGH, Confidence.HIGH, {"reps": 6}),
    Flag(FlagCode.DOWNHILL, Severity.INFO, Confidence.HIGH, {"total_descent_m": 120.0}),
    Flag(FlagCode.LOW_STRENGTH, Severity.CAUTION, Confidence.HIGH, {"sessions": 0, "target": 3}),
)


def test_sore_mode_makes_levers_cautions_and_says_rest_first() -> None:
    decision = choose_mode(
        [PainEntry(1, SEASON_START, 6, PainSource.WEB)], run_day=SEASON_START, run_start=_run_start(SEASON_START)
    )
    flags = apply_mode(FLAGS, decision.mode)
    severities = {f.code: f.severity for f in flags}
    assert severities[FlagCode.DOWNHILL] is Severity.CAUTION and severities[FlagCode.SPEED_WORK] is Severity.HIGH
    note = render_note(flags, lead=lead_lines(decision))
    assert note is not None
    lines = note.splitlines()
    assert lines[0] == "Mode: sore (back pain logged in the last 7 days)."
    assert lines[1] == REST_FIRST_LINE
    assert "6" not in lines[0]  # never the score


def test_staying_well_makes_levers_information_and_prevention_leads() -> None:
    decision = choose_mode([], run_day=SEASON_START, run_start=_run_start(SEASON_START))
    steep = Flag(FlagCode.DOWNHILL, Severity.HIGH, Confidence.HIGH, advice="Keep to level ground.")
    flags = apply_mode((*FLAGS, steep), decision.mode)
    assert {f.code: f.severity for f in flags}[FlagCode.SPEED_WORK] is Severity.INFO
    assert flags[-1].advice == "Fine while your back is well. If it gets sore: Keep to level ground."
    note = render_note(flags, lead=lead_lines(decision))
    assert note is not None
    lines = note.splitlines()
    assert lines[0] == "Mode: staying well (no back pain logged)."
    assert lines[1].startswith("\u25b2 Little strength work")
    assert "Rest a day" not in note


def test_a_tag_on_the_same_run_from_another_platform_does_not_count_for_its_twin() -> None:
    day = SEASON_START
    strava_copy = PainEntry(1, day, 7, PainSource.TAG, activity_id=1, activity_start_utc=_run_start(day))
    garmin_start = _run_start(day) + timedelta(seconds=40)
    assert choose_mode([strava_copy], run_day=day, run_start=garmin_start).mode is AdviceMode.STAYING_WELL
    later = _run_start(day) + timedelta(hours=9)
    assert choose_mode([strava_copy], run_day=day, run_start=later).mode is AdviceMode.SORE


def _on(platform: str, entry: PainEntry) -> PainEntry:
    return replace(entry, activity_source=platform)


def test_the_platform_mode_reasons_only_from_that_platforms_own_tags() -> None:
    day = date(2026, 5, 10)
    run = {"run_day": day, "run_start": _run_start(day)}
    earlier = day - timedelta(days=2)
    private = [
        PainEntry(1, earlier, 8, PainSource.CLI, note="woke up sore"),
        replace(_on("strava", _tag(earlier, 7)), source=PainSource.WEB),  # the feed's form on a Strava run
        _on("garmin", _tag(earlier, 6)),  # the same run's twin on Garmin: written there, not on Strava
    ]
    assert choose_mode(private, **run).mode is AdviceMode.SORE  # syncd's own note follows the whole diary
    neutral = platform_mode(private, platform="strava", **run)
    assert neutral == platform_mode([], platform="strava", **run)  # exactly what a runner without a diary gets
    assert neutral.mode is AdviceMode.STAYING_WELL and not neutral.rest_first
    assert neutral.reason == "no #back tag of 4+ on earlier runs here in the last 7 days"
    # a fixed sore mode is not written on the platform either; a fixed staying-well mode says nothing about pain
    assert platform_mode(private, platform="strava", athlete_mode="sore", **run) == neutral
    assert platform_mode([], platform="strava", settings=ModeSettings(mode="sore"), **run) == neutral
    assert platform_mode([], platform="strava", athlete_mode="staying_well", **run).reason == "set in your settings"

    own = [*private, _on("strava", _tag(earlier, 6))]
    sore = platform_mode(own, platform="strava", **run)
    assert (sore.mode, sore.reason, sore.rest_first) == (AdviceMode.SORE, "your #back tag in the last 7 days", True)
    eased = [*own, _on("strava", _tag(day - timedelta(days=1), 1))]
    assert platform_mode(eased, platform="strava", **run).reason == "your latest #back tag says it has eased"
    # Garmin's note sees Garmin's tag only
    assert platform_mode(own, platform="garmin", **run).mode is AdviceMode.SORE


def test_the_platform_note_of_a_private_sore_mode_is_the_note_without_a_diary() -> None:
    """Flags, wording and mode line: nothing on the platform depends on entries made off it."""
    flags = FLAGS
    day = date(2026, 5, 10)
    run = {"run_day": day, "run_start": _run_start(day)}
    cli = [PainEntry(1, day, 9, PainSource.CLI)]

    def platform_note(entries: list[PainEntry]) -> str | None:
        decision = platform_mode(entries, platform="strava", **run)
        return render_note(apply_mode(flags, decision.mode), lead=lead_lines(decision), advice=ADVICE[decision.mode])

    note = platform_note(cli)
    assert note == platform_note([])
    assert note is not None
    for words in ("Mode: sore", "settle", "Rest a day", "massage", "logged", "diary"):
        assert words not in note
    assert "9" not in note.splitlines()[0]  # the score
    # the lever advice is the conditional wording every runner gets ("... if sore"), never "until it settles"
    assert "grass or trails if sore" in note


# ---- red flags (issue 28; RISK-FACTS.md "Red flags"): a clear "see a clinician promptly", never "run through it" ----


def _entry(day: date, score: int, note: str = "") -> PainEntry:
    return PainEntry(athlete_id=1, day=day, score=score, source=PainSource.WEB, note=note)


@pytest.mark.parametrize(
    ("entries", "expected"),
    [
        ([(0, 7, "")], True),  # severe pain
        ([(0, 6, "")], False),
        ([(1, 3, "left leg feels numb after the run")], True),
        ([(1, 2, "pins and needles down my leg")], True),
        ([(1, 5, "woke me up at 3am")], True),
        ([(1, 4, "some trouble with my bladder")], True),
        ([(1, 4, "core feels weak, need more planks")], False),  # a weak core is not leg weakness
        ([(1, 4, "stiff after sitting")], False),
        ([(20, 5, "numb toes")], False),  # outside the window
        ([(50, 5, ""), (30, 5, ""), (1, 5, "")], True),  # painful for over six weeks
        ([(50, 5, ""), (30, 2, ""), (1, 5, "")], False),  # it settled in between
    ],
)
def test_red_flags(entries: list[tuple[int, int, str]], expected: bool) -> None:
    run_day = date(2026, 5, 10)
    diary = [_entry(run_day - timedelta(days=ago), score, note) for ago, score, note in entries]
    start = datetime(2026, 5, 10, 7, 0, tzinfo=UTC)
    decision = choose_mode(diary, run_day=run_day, run_start=start)
    assert decision.red_flag is expected
    lines = lead_lines(decision)
    assert (RED_FLAG_LINE in lines) is expected
    if expected:  # never advice to run on in the same breath
        assert REST_FIRST_LINE not in lines and "+redflag" in decision.code
    # a mode fixed in the settings still says it
    fixed = choose_mode(diary, run_day=run_day, run_start=start, athlete_mode="staying_well")
    assert fixed.red_flag is expected


def test_sore_says_keep_moving_gently_not_rest() -> None:
    run_day = date(2026, 5, 10)
    decision = choose_mode([_entry(run_day, 5)], run_day=run_day, run_start=datetime(2026, 5, 10, 18, tzinfo=UTC))
    assert decision.rest_first and not decision.red_flag
    (_, first) = lead_lines(decision)
    assert "Keep moving gently" in first and "not bed rest" in first and not first.startswith("Rest")


def test_the_symptoms_tick_is_a_red_flag() -> None:
    from syncd.domain.advice_mode import SYMPTOMS_TICKED, with_symptoms

    assert with_symptoms("stiff", False) == "stiff"
    assert with_symptoms("stiff", True) == f"stiff ({SYMPTOMS_TICKED})"
    assert with_symptoms("", True) == SYMPTOMS_TICKED
    run_day = date(2026, 5, 10)
    ticked = _entry(run_day, 1, with_symptoms(None, True) or "")
    assert choose_mode([ticked], run_day=run_day, run_start=datetime(2026, 5, 10, 18, tzinfo=UTC)).red_flag
