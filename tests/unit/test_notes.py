"""Note rendering: numbers and alternatives per flag, severity order, clinician line, defensive evidence reading."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from syncd.domain.flags import Confidence, EvidenceValue, Flag, FlagCode, Severity
from syncd.domain.notes import (
    CLEAN_LINE,
    CLOSING_LINE,
    SEVERITY_MARKS,
    SHORT_ADVICE,
    line_severity,
    render_flag,
    render_note,
)

FULL_EVIDENCE: dict[FlagCode, dict[str, EvidenceValue]] = {
    FlagCode.HARD_SURFACE: {
        "surface": "paved",
        "source": "map",
        "distance_m": 10_100.0,
        "hard_m": 8213.4,
        "share_pct": 81.2,
        "unknown_m": 0.0,
    },
    FlagCode.DOWNHILL: {
        "total_descent_m": 245.3,
        "descent_per_km_m": 22.1,
        "steep_distance_m": 640.0,
        "steepest_grade_pct": -11.6,
    },
    FlagCode.SPEED_WORK: {
        "trigger": "laps",
        "reps": 6,
        "rep_distance_m": 400.0,
        "rep_duration_s": 90.0,
        "rep_pace_s_per_km": 224.6,
        "easy_pace_s_per_km": 330.0,
        "top_zone_share_pct": None,
    },
    FlagCode.NO_WARMUP: {
        "first_pace_s_per_km": 295.0,
        "main_pace_s_per_km": 300.0,
        "window_s": 600.0,
        "window_m": 2030.0,
    },
    FlagCode.WORN_SHOES: {"gear_name": "Pegasus 40", "gear_distance_m": 641_000.0, "limit_m": 600_000.0},
    FlagCode.LOAD_SPIKE: {
        "method": "rolling_uncoupled",
        "acute_load": 312.4,
        "chronic_load": 192.8,
        "acwr": 1.62,
        "load_unit": "min",
    },
    FlagCode.MONOTONY: {"monotony": 2.31},
    FlagCode.LOW_CROSS_TRAINING: {"sessions": 0, "target": 2, "week": "2026-W47"},
    FlagCode.LOW_STRENGTH: {"sessions": 1, "target": 3},
    FlagCode.LONG_RUN_SPIKE: {
        "basis": "distance",
        "run_m": 21000.0,
        "longest_m": 12500.0,
        "longer_pct": 68.0,
        "band": "30-100",
        "window_days": 30,
        "next_m": 13750.0,
    },
}

# What each line must show in metric and imperial, proving the numbers come from evidence and are converted.
EXPECTED_METRIC = {
    FlagCode.HARD_SURFACE: ["8.2 km", "81%"],
    FlagCode.DOWNHILL: ["245 m down", "22 m/km", "640 m", "steepest 12%"],
    FlagCode.SPEED_WORK: ["6 \u00d7 400 m at 3:45 /km (your easy pace 5:30 /km)", "interval laps"],
    FlagCode.NO_WARMUP: ["started at 4:55 /km, the pace of the rest of the run"],
    FlagCode.WORN_SHOES: ["Pegasus 40", "641 km", "600 km"],
    FlagCode.LOAD_SPIKE: ["acute:chronic 1.62", "312 min in 7 days vs 193/week before"],
    FlagCode.MONOTONY: ["2.31"],
    FlagCode.LOW_CROSS_TRAINING: ["0 of 2", "last week"],
    FlagCode.LOW_STRENGTH: ["1 of 3", "last week"],
    FlagCode.LONG_RUN_SPIKE: ["21 km, 68% longer than your longest run of the previous 30 days (12.5 km)", "13.8 km"],
}
EXPECTED_IMPERIAL = {
    FlagCode.HARD_SURFACE: ["5.1 mi", "81%"],
    FlagCode.DOWNHILL: ["805 ft down", "117 ft/mi", "0.4 mi"],
    FlagCode.SPEED_WORK: ["6 \u00d7 0.25 mi at 6:01 /mi (your easy pace 8:51 /mi)"],
    FlagCode.NO_WARMUP: ["started at 7:55 /mi"],
    FlagCode.WORN_SHOES: ["398 mi", "373 mi"],
}


def flag(
    code: FlagCode,
    severity: Severity = Severity.CAUTION,
    evidence: dict[str, EvidenceValue] | None = None,
    advice: str = "",
    confidence: Confidence = Confidence.HIGH,
) -> Flag:
    return Flag(code, severity, confidence, FULL_EVIDENCE[code] if evidence is None else evidence, advice)


@pytest.mark.parametrize("code", list(FlagCode))
def test_each_code_shows_its_numbers_and_an_alternative(code: FlagCode) -> None:
    line = render_flag(flag(code))
    for fragment in EXPECTED_METRIC[code]:
        assert fragment in line, (fragment, line)
    assert line.endswith(SHORT_ADVICE[code])
    assert "\n" not in line


@pytest.mark.parametrize("code", list(EXPECTED_IMPERIAL))
def test_imperial_converts_every_number(code: FlagCode) -> None:
    line = render_flag(flag(code), "imperial")
    for fragment in EXPECTED_IMPERIAL[code]:
        assert fragment in line, (fragment, line)
    assert " km" not in line and "/km" not in line


def test_flags_ordered_by_severity_with_rule_order_breaking_ties() -> None:
    flags = [
        flag(FlagCode.LOW_STRENGTH, Severity.INFO),
        flag(FlagCode.HARD_SURFACE, Severity.CAUTION),
        flag(FlagCode.LOAD_SPIKE, Severity.HIGH),
        flag(FlagCode.DOWNHILL, Severity.CAUTION),
    ]
    note = render_note(flags)
    assert note is not None
    lines = note.split("\n")
    assert [line_severity(line) for line in lines] == [
        Severity.HIGH,
        Severity.CAUTION,
        Severity.CAUTION,
        Severity.INFO,
        None,
    ]
    assert lines[1].startswith(SEVERITY_MARKS[Severity.CAUTION] + " Hard surface")
    assert lines[2].startswith(SEVERITY_MARKS[Severity.CAUTION] + " Downhill")
    assert lines[-1] == CLOSING_LINE
    assert "clinician" in CLOSING_LINE and "not a diagnosis" in CLOSING_LINE


def test_four_flags_fit_a_phone_screen() -> None:
    codes = [FlagCode.LOAD_SPIKE, FlagCode.HARD_SURFACE, FlagCode.DOWNHILL, FlagCode.LOW_STRENGTH]
    for units in ("metric", "imperial"):
        note = render_note([flag(code) for code in codes], units=units)
        assert note is not None
        assert len(note) <= 600, (len(note), note)


def test_hard_surface_without_a_map_and_on_a_track() -> None:
    likely: dict[str, EvidenceValue] = {"surface": "likely_paved", "source": "sport_type", "distance_m": 9000.0}
    assert "9 km probably on roads (no surface map)" in render_flag(flag(FlagCode.HARD_SURFACE, evidence=likely))
    track: dict[str, EvidenceValue] = {"surface": "track", "source": "sport_type", "distance_m": 6000.0}
    assert "6 km on a running track" in render_flag(flag(FlagCode.HARD_SURFACE, evidence=track))


def test_load_spike_labels_ewma_and_skips_unknown_load_units() -> None:
    line = render_flag(flag(FlagCode.LOAD_SPIKE, evidence={"acwr": 1.4, "method": "EWMA", "acute_load": 3.0}))
    assert "acute:chronic EWMA 1.4 (aim 0.8\u20131.3)" in line
    trimp: dict[str, EvidenceValue] = {"acwr": 1.5, "acute_load": 410.0, "chronic_load": 250.0, "load_unit": "trimp"}
    assert "410 TRIMP in 7 days vs 250/week before" in render_flag(flag(FlagCode.LOAD_SPIKE, evidence=trimp))
    odd_unit: dict[str, EvidenceValue] = {
        "acwr": 1.5,
        "acute_load": 410.0,
        "chronic_load": 250.0,
        "load_unit": "furlongs",
    }
    assert "410" not in render_flag(flag(FlagCode.LOAD_SPIKE, evidence=odd_unit))


def test_speed_work_triggers_and_heart_rate_share() -> None:
    tempo = {"trigger": "tempo", "reps": 1, "rep_duration_s": 1260.0, "rep_pace_s_per_km": 250.0}
    assert "a 21 min effort at 4:10 /km, a sustained tempo effort" in render_flag(
        flag(FlagCode.SPEED_WORK, evidence=tempo)  # type: ignore[arg-type]
    )
    zones = {"trigger": "hr_zones", "top_zone_share_pct": 34.6, "easy_pace_s_per_km": None}
    line = render_flag(flag(FlagCode.SPEED_WORK, evidence=zones))  # type: ignore[arg-type]
    assert "Speed work: 35% of the time in top heart-rate zones." in line
    assert "much time" not in line


def test_no_warmup_when_the_hard_part_started_at_once() -> None:
    cold = {"first_pace_s_per_km": None, "main_pace_s_per_km": 250.0, "window_s": 40.0}
    assert "No warm-up: hard from the start (4:10 /km)." in render_flag(flag(FlagCode.NO_WARMUP, evidence=cold))  # type: ignore[arg-type]
    by_distance = {"first_pace_s_per_km": 280.0, "window_m": 1500.0}
    assert "first 1.5 km at 4:40 /km, not clearly easier" in render_flag(
        flag(FlagCode.NO_WARMUP, evidence=by_distance)  # type: ignore[arg-type]
    )


def test_no_warmup_says_what_happened() -> None:
    def line(**ev: EvidenceValue) -> str:
        return render_flag(flag(FlagCode.NO_WARMUP, evidence=dict(ev)))

    assert "only 2 min at 6:25 /km before the first fast effort (4:10 /km)" in line(
        kind="too_short", first_pace_s_per_km=385.0, main_pace_s_per_km=250.0, window_s=120.0
    )
    assert "the fast efforts (4:10 /km) began from the first step" in line(
        kind="too_short", first_pace_s_per_km=None, main_pace_s_per_km=250.0, window_s=4.0
    )
    assert "first 10 min at 4:40 /km, barely slower than the 4:30 /km that followed" in line(
        kind="not_easier", first_pace_s_per_km=280.0, main_pace_s_per_km=270.0, window_s=600.0
    )
    hill = line(
        kind="not_easier",
        first_pace_s_per_km=330.0,
        main_pace_s_per_km=250.0,
        window_s=600.0,
        opening_grade_pct=8.0,
        first_flat_pace_s_per_km=262.0,
    )
    assert "first 10 min at 5:30 /km up a 8% climb, as hard as 4:22 /km on the flat (then 4:10 /km)" in hill
    by_heart = line(
        kind="hr_not_easier",
        first_pace_s_per_km=322.0,
        main_pace_s_per_km=222.0,
        window_s=480.0,
        opening_hr_bpm=180,
        main_hr_bpm=186,
    )
    assert (
        "heart rate already 180 bpm in the first 8 min, close to the 186 bpm of the hard part"
        " (the watch's pace, 5:22 /km, looked easier)"
    ) in by_heart


def test_monotony_speaks_of_rest_and_daily_load_with_the_week_load() -> None:
    """Not "these 7 days were alike": a week of a long run, reps and hills with a run every day reads 1.97."""
    ev: dict[str, EvidenceValue] = {"monotony": 2.45, "week_load": 420.0, "load_unit": "trimp", "rest_days": 0}
    line = render_flag(flag(FlagCode.MONOTONY, evidence=ev))
    assert "no rest day in these 7 days, and little change in load from day to day (monotony 2.45, 420 TRIMP)" in line
    one = render_flag(flag(FlagCode.MONOTONY, evidence={**ev, "rest_days": 1}))
    assert "only 1 rest day in these 7 days, and little change in load on the others (monotony 2.45" in one
    older = render_flag(flag(FlagCode.MONOTONY, evidence={k: v for k, v in ev.items() if k != "rest_days"}))
    assert "little change in load from day to day over these 7 days (monotony 2.45, 420 TRIMP)" in older


def test_speed_work_names_which_easy_pace_it_used() -> None:
    ev: dict[str, EvidenceValue] = {
        "trigger": "intervals",
        "reps": 8,
        "rep_distance_m": 200.0,
        "rep_pace_s_per_km": 295.0,
        "easy_pace_s_per_km": 382.0,
        "easy_source": "this_run",
    }
    assert "(this run's easy parts 6:22 /km)" in render_flag(flag(FlagCode.SPEED_WORK, evidence=ev))


def test_clean_run() -> None:
    assert render_note([]) == f"{CLEAN_LINE}\n{CLOSING_LINE}"
    sore = render_note([], lead=["Mode: sore (back pain logged in the last 7 days)."])
    assert sore is not None and sore.endswith(CLOSING_LINE)  # every note ends with the disclaimer
    assert render_note([], when_clean="none") is None


def test_note_uses_the_short_alternative_not_the_rules_long_advice() -> None:
    assert set(SHORT_ADVICE) == set(FlagCode)
    line = render_flag(flag(FlagCode.HARD_SURFACE, advice="A long paragraph of advice\nthat belongs in the feed."))
    assert line.endswith(SHORT_ADVICE[FlagCode.HARD_SURFACE])
    assert "paragraph" not in line


def test_low_confidence_is_said_and_explained() -> None:
    low = render_flag(flag(FlagCode.HARD_SURFACE, confidence=Confidence.LOW))
    assert "(possible; thin evidence)" in low and "(uncertain)" not in low
    assert "possible" not in render_flag(flag(FlagCode.HARD_SURFACE, confidence=Confidence.MEDIUM))


def test_no_iso_week_codes_and_no_static_stretching() -> None:
    weekly = render_flag(flag(FlagCode.LOW_STRENGTH, evidence={"sessions": 1, "target": 3, "week": "2026-W47"}))
    assert "W47" not in weekly and "1 of 3 core/strength sessions last week" in weekly
    assert "stretch" not in render_flag(flag(FlagCode.NO_WARMUP)).lower()
    assert "drills" in render_flag(flag(FlagCode.NO_WARMUP))


def test_missing_evidence_leaves_numbers_out() -> None:
    line = render_flag(flag(FlagCode.WORN_SHOES, evidence={"gear_name": None, "gear_distance_m": math.nan}))
    assert line == f"{SEVERITY_MARKS[Severity.CAUTION]} Worn shoes. {SHORT_ADVICE[FlagCode.WORN_SHOES]}"
    partial = render_flag(flag(FlagCode.HARD_SURFACE, evidence={"share_pct": 64.6, "hard_m": "lots"}))
    assert "65% on road or pavement" in partial
    assert "lots" not in partial
    unknown_trigger = render_flag(flag(FlagCode.SPEED_WORK, evidence={"reps": 4, "trigger": "weird_internal"}))
    assert "4 fast efforts" in unknown_trigger and "weird_internal" not in unknown_trigger


def test_bad_options_fail_with_the_fix() -> None:
    with pytest.raises(ValueError, match="use 'metric' or 'imperial'"):
        render_note([flag(FlagCode.MONOTONY)], units="furlongs")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="use 'line' or 'none'"):
        render_note([], when_clean="never")  # type: ignore[arg-type]


evidence_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(alphabet="abcxyz _", max_size=20),  # no digits or junk words, so any junk seen is ours
)
all_keys = sorted({key for evidence in FULL_EVIDENCE.values() for key in evidence} | {"extra"})


@pytest.mark.hypothesis_heavy
@settings(max_examples=400)
@given(
    codes=st.lists(st.sampled_from(list(FlagCode)), min_size=1, max_size=6),
    evidence=st.dictionaries(st.sampled_from(all_keys), evidence_values),
    severity=st.sampled_from(list(Severity)),
    units=st.sampled_from(["metric", "imperial"]),
)
def test_any_evidence_renders_without_crashing_or_leaking_junk(
    codes: list[FlagCode], evidence: dict[str, EvidenceValue], severity: Severity, units: str
) -> None:
    note = render_note([flag(code, severity, evidence) for code in codes], units=units)  # type: ignore[arg-type]
    assert note is not None
    lines = note.split("\n")
    assert len(lines) == len(codes) + 1
    for line in lines[:-1]:
        assert line_severity(line) is severity
        for junk in ("None", "nan", "inf", "True", "False", "-"):
            # the only hyphens we print are in fixed words; a negative number must never appear
            if junk == "-":
                assert not any(ch == "-" and nxt.isdigit() for ch, nxt in itertools.pairwise(line)), line
            else:
                assert junk not in line, line


def test_a_nearly_worn_shoe_is_not_told_to_be_replaced_yet() -> None:
    shoe: dict[str, EvidenceValue] = {"gear_name": "Trail Shoes", "gear_distance_m": 540_000.0, "limit_m": 600_000.0}
    nearly = render_flag(flag(FlagCode.WORN_SHOES, Severity.INFO, evidence=shoe))
    assert "Trail Shoes at 540 km (limit 600 km). Nearly due (usual replacement: 480\u2013800 km)" in nearly
    over = render_flag(flag(FlagCode.WORN_SHOES, Severity.CAUTION, evidence={**shoe, "gear_distance_m": 602_000.0}))
    assert "at 602 km (limit 600 km). Usual replacement: 480\u2013800 km; plan a new pair." in over
    assert "back" not in over  # says what is known, no claim about the back
    imperial = render_flag(flag(FlagCode.WORN_SHOES, Severity.CAUTION, evidence=shoe), units="imperial")
    assert "300\u2013500 mi" in imperial and "km" not in imperial


def test_the_shoe_line_says_whose_limit_and_no_doubt_about_the_distance() -> None:
    """A shoe at 640 km read "Worn shoes (possible; thin evidence): ... (limit 600 km)": the doubt is about the
    limit, so the line names where the limit comes from and leaves the distance plain."""
    ev: dict[str, EvidenceValue] = {
        "gear_name": "Trail Shoes",
        "gear_distance_m": 640_000.0,
        "limit_m": 600_000.0,
        "limit_source": "default",
    }
    line = render_flag(flag(FlagCode.WORN_SHOES, evidence=ev))
    assert "Worn shoes: Trail Shoes at 640 km (syncd's default limit 600 km)" in line
    assert "thin evidence" not in line
    own = render_flag(flag(FlagCode.WORN_SHOES, evidence={**ev, "limit_source": "gear", "limit_m": 700_000.0}))
    assert "Trail Shoes at 640 km (your limit 700 km)" in own
