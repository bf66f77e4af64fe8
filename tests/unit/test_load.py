"""Load metrics on plain HistoryEntry data: units, local dates, ACWR, monotony and calendar weeks."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from syncd.domain.history import HistoryEntry
from syncd.domain.load import (
    MONOTONY_CAP,
    DailyLoad,
    choose_unit,
    daily_load,
    entry_load,
    ewma_acwr,
    foster_monotony,
    history_span_days,
    is_last_run_of_week,
    iso_week_label,
    local_date,
    rolling_acwr,
    sessions_until,
    trimp,
    week_counts,
    week_end_utc,
    week_of,
    week_span,
    week_start,
)
from syncd.domain.model import Sport

_counter = iter(range(1_000_000))


def entry(
    local: datetime,
    sport: Sport = Sport.RUN,
    minutes: float = 30.0,
    offset_h: float = 0.0,
    hr: float | None = None,
    key: str | None = None,
) -> HistoryEntry:
    """An entry that started at local wall-clock time `local` for an athlete at UTC+offset_h."""
    offset_s = int(offset_h * 3600)
    return HistoryEntry(
        key=("file", key or f"e{next(_counter)}"),
        sport=sport,
        start_utc=(local - timedelta(seconds=offset_s)).replace(tzinfo=UTC),
        utc_offset_s=offset_s,
        duration_s=minutes * 60.0,
        average_heart_rate=hr,
    )


def series(loads: list[float], start: date = date(2026, 10, 1)) -> DailyLoad:
    return DailyLoad(start=start, loads=tuple(loads), unit="min")


# --- per-session load ---------------------------------------------------------------------------------------


def test_trimp_matches_banister_formula_by_hand() -> None:
    # 60 min at 150 bpm, max 190, rest 60: HRr = 90/130, TRIMP = 60 * HRr * 0.64 * e^(1.92 HRr) = 100.44
    assert trimp(3600, 150, 190) == pytest.approx(100.440, abs=1e-3)
    assert trimp(1800, 150, 190) == pytest.approx(50.220, abs=1e-3)


def test_trimp_clips_reserve_and_needs_heart_rates() -> None:
    assert trimp(3600, 50, 190) == 0.0  # below resting
    assert trimp(3600, 230, 190) == trimp(3600, 190, 190)  # above max is clipped to max
    assert trimp(3600, None, 190) is None
    assert trimp(3600, 150, None) is None
    assert trimp(3600, 150, 55) is None  # max below resting: nonsense, not a number
    assert trimp(0, 150, 190) == 0.0


def test_trimp_rises_with_heart_rate() -> None:
    values = [trimp(3600, hr, 190) for hr in (100, 130, 160, 185)]
    assert values == sorted(values) and len(set(values)) == 4


def test_hr_load_without_max_hr_falls_back_to_duration() -> None:
    e = entry(datetime(2026, 11, 2, 7), minutes=45, hr=150)
    assert entry_load(e, "trimp", None) == 45.0
    assert choose_unit([e], None) == "min"
    assert daily_load([e], e.local_date, e.local_date, max_hr=None).loads == (45.0,)


def test_unit_is_trimp_only_when_every_session_has_heart_rate() -> None:
    with_hr = entry(datetime(2026, 11, 2, 7), hr=150)
    without = entry(datetime(2026, 11, 3, 7))
    assert choose_unit([with_hr], 190) == "trimp"
    assert choose_unit([with_hr, without], 190) == "min"
    d = daily_load([with_hr], with_hr.local_date, with_hr.local_date, max_hr=190)
    assert d.unit == "trimp" and d.loads[0] == pytest.approx(trimp(1800, 150, 190))


def test_zero_negative_and_nan_durations_carry_no_load() -> None:
    day = datetime(2026, 11, 2, 7)
    entries = [entry(day, minutes=0), entry(day, minutes=-5), entry(day, minutes=math.nan), entry(day, minutes=10)]
    assert daily_load(entries, day.date(), day.date()).loads == (10.0,)


def test_ultra_counts_in_full() -> None:
    ultra = entry(datetime(2026, 11, 7, 6), minutes=300)
    assert daily_load([ultra], ultra.local_date, ultra.local_date).loads == (300.0,)


@given(
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)),
    st.integers(min_value=-14 * 3600, max_value=14 * 3600),
)
def test_fast_local_date_matches_the_model(start: datetime, offset_s: int) -> None:
    e = HistoryEntry(("f", "x"), Sport.RUN, start.replace(tzinfo=UTC), offset_s, 60.0)
    assert local_date(e) == e.local_date


# --- daily series -------------------------------------------------------------------------------------------


def test_daily_load_uses_each_entrys_local_date_and_counts_runs_only_by_default() -> None:
    # 23:30 local at +02:00 is 21:30 UTC the same day; 00:30 local at +02:00 is 22:30 UTC the day before.
    late = entry(datetime(2026, 11, 2, 23, 30), minutes=20, offset_h=2)
    early = entry(datetime(2026, 11, 3, 0, 30), minutes=40, offset_h=2)
    ride = entry(datetime(2026, 11, 3, 9), sport=Sport.RIDE, minutes=90, offset_h=2)
    assert early.start_utc.date() == date(2026, 11, 2)
    d = daily_load([late, early, ride], date(2026, 11, 1), date(2026, 11, 4))
    assert d.loads == (0.0, 20.0, 40.0, 0.0)
    assert d.end == date(2026, 11, 4)
    everything = daily_load([late, early, ride], date(2026, 11, 1), date(2026, 11, 4), sports=None)
    assert everything.loads == (0.0, 20.0, 130.0, 0.0)


def test_daily_load_across_a_dst_change_keeps_each_sessions_offset() -> None:
    # Europe/Berlin leaves summer time on 2026-10-25: +02:00 before, +01:00 after. 00:15 local either side.
    before = entry(datetime(2026, 10, 24, 0, 15), minutes=30, offset_h=2)
    after = entry(datetime(2026, 10, 26, 0, 15), minutes=50, offset_h=1)
    d = daily_load([before, after], date(2026, 10, 23), date(2026, 10, 26))
    assert d.loads == (0.0, 30.0, 0.0, 50.0)


def test_daily_load_ignores_sessions_outside_the_range_and_rejects_reversed_ranges() -> None:
    e = entry(datetime(2026, 11, 10, 8))
    assert daily_load([e], date(2026, 11, 1), date(2026, 11, 9)).loads == (0.0,) * 9
    with pytest.raises(ValueError, match="before start"):
        daily_load([], date(2026, 11, 2), date(2026, 11, 1))


def test_daily_series_window_helpers() -> None:
    s = series([1, 2, 3, 4])
    assert s.on(date(2026, 10, 2)) == 2 and s.on(date(2026, 9, 30)) == 0 and s.on(date(2026, 10, 9)) == 0
    assert s.between(date(2026, 9, 1), date(2026, 10, 2)) == (1, 2)
    assert s.between(date(2026, 10, 3), date(2026, 12, 1)) == (3, 4)
    assert s.between(date(2026, 10, 5), date(2026, 10, 9)) == ()


def test_history_span_days() -> None:
    today = date(2026, 11, 20)
    assert history_span_days([], today) == 0
    assert history_span_days([entry(datetime(2026, 11, 20, 8))], today) == 1
    entries = [entry(datetime(2026, 11, 1, 8)), entry(datetime(2026, 11, 10, 8)), entry(datetime(2026, 12, 1, 8))]
    assert history_span_days(entries, today) == 20  # 1..20 November; the December entry is in the future
    assert history_span_days([entry(datetime(2026, 12, 1, 8))], today) == 0  # only future entries: no span yet


def test_sessions_until_drops_later_sessions_and_the_current_one_from_history() -> None:
    current = entry(datetime(2026, 11, 5, 8), key="now")
    earlier = entry(datetime(2026, 11, 5, 6))
    later = entry(datetime(2026, 11, 5, 18))
    duplicate = entry(datetime(2026, 11, 5, 8), key="now")
    assert sessions_until([later, earlier, duplicate], current) == [earlier, current]


# --- acute:chronic ------------------------------------------------------------------------------------------


def test_rolling_acwr_is_one_for_steady_training() -> None:
    s = series([30.0] * 28)
    r = rolling_acwr(s, s.end)
    assert r.ratio == pytest.approx(1.0)
    assert r.acute_load == pytest.approx(210.0) and r.chronic_load == pytest.approx(210.0)
    assert r.method == "rolling_uncoupled" and r.chronic_days == 21


def test_rolling_acwr_is_uncoupled_from_the_acute_week() -> None:
    # 21 days of 20 min then a week of 40 min: uncoupled ratio is exactly 2 (coupled would be 40/25 = 1.6).
    s = series([20.0] * 21 + [40.0] * 7)
    assert rolling_acwr(s, s.end).ratio == pytest.approx(2.0)


def test_rolling_acwr_uses_only_covered_chronic_days() -> None:
    # Only 14 chronic days recorded: they are the baseline, the missing week before is not read as rest.
    s = series([30.0] * 14 + [30.0] * 7)
    r = rolling_acwr(s, s.end)
    assert r.chronic_days == 14 and r.ratio == pytest.approx(1.0)


def test_rolling_acwr_without_chronic_load_has_no_ratio() -> None:
    s = series([0.0] * 21 + [30.0] * 7)
    assert rolling_acwr(s, s.end).ratio is None
    assert rolling_acwr(series([]), date(2026, 10, 1)).ratio is None


def test_ewma_acwr_steady_spike_and_empty() -> None:
    steady = series([30.0] * 42)
    assert ewma_acwr(steady, steady.end).ratio == pytest.approx(1.0)
    spike = series([30.0] * 35 + [60.0] * 7)
    r = ewma_acwr(spike, spike.end)
    assert r.method == "ewma_uncoupled" and r.ratio is not None and 1.5 < r.ratio < 2.0
    assert r.chronic_load == pytest.approx(210.0)  # chronic ends before the spike week
    assert ewma_acwr(series([30.0]), date(2026, 9, 1)).ratio is None


@pytest.mark.hypothesis_heavy  # many examples, tenths of a second: the full suite runs it, the quick unit run does not
@given(
    st.lists(st.integers(min_value=0, max_value=300), min_size=28, max_size=42),
    st.floats(min_value=0.1, max_value=10),
)
def test_acwr_does_not_depend_on_the_load_scale(minutes: list[int], k: float) -> None:
    a, b = series([float(x) for x in minutes]), series([x * k for x in minutes])
    for fn in (rolling_acwr, ewma_acwr):
        ra, rb = fn(a, a.end).ratio, fn(b, b.end).ratio
        assert (ra is None) == (rb is None)
        if ra is not None:
            assert ra == pytest.approx(rb, rel=1e-6)


# --- monotony -----------------------------------------------------------------------------------------------


def test_foster_monotony_known_week() -> None:
    s = series([60, 0, 60, 0, 60, 0, 60])
    m = foster_monotony(s, s.end)
    mean = 240 / 7
    sd = math.sqrt((4 * (60 - mean) ** 2 + 3 * mean**2) / 7)
    assert m.week_load == 240 and m.mean_daily_load == pytest.approx(mean)
    assert m.sd_daily_load == pytest.approx(sd) and m.monotony == pytest.approx(mean / sd)
    assert m.strain == pytest.approx(240 * mean / sd)


def test_foster_monotony_identical_days_is_capped_and_no_load_is_none() -> None:
    same = series([45.0] * 7)
    assert foster_monotony(same, same.end).monotony == MONOTONY_CAP
    rest = series([0.0] * 7)
    m = foster_monotony(rest, rest.end)
    assert m.monotony is None and m.strain is None and m.week_load == 0


def test_foster_monotony_counts_days_before_the_series_as_rest() -> None:
    s = series([30.0, 30.0])
    assert foster_monotony(s, s.end).week_load == 60.0


@given(st.lists(st.floats(min_value=0, max_value=600), min_size=7, max_size=7))
def test_monotony_is_bounded_and_scale_free(loads: list[float]) -> None:
    m = foster_monotony(series(loads), date(2026, 10, 7))
    if m.monotony is not None:
        assert 0 <= m.monotony <= MONOTONY_CAP
        doubled = foster_monotony(series([2 * x for x in loads]), date(2026, 10, 7))
        assert doubled.monotony == pytest.approx(m.monotony)


# --- calendar weeks -----------------------------------------------------------------------------------------


def test_week_start_and_iso_labels() -> None:
    assert week_start(date(2026, 11, 29)) == date(2026, 11, 23)  # Sunday -> Monday
    assert week_start(date(2026, 11, 23)) == date(2026, 11, 23)
    assert iso_week_label(date(2026, 11, 23)) == "2026-W48"
    assert iso_week_label(date(2026, 1, 1)) == "2026-W01"
    assert iso_week_label(date(2027, 1, 1)) == "2026-W53"  # ISO year, not calendar year


def test_a_week_is_named_by_its_dates_for_a_person() -> None:
    """Issue 28: runners read dates, not ISO week codes; a week across a month or a year says both ends."""
    assert week_span(date(2026, 11, 16)) == "16\u201322 Nov 2026"
    assert week_span(date(2026, 11, 30)) == "30 Nov \u2013 6 Dec 2026"
    assert week_span(date(2026, 12, 28)) == "28 Dec 2026 \u2013 3 Jan 2027"
    assert week_of(date(2026, 11, 16)) == "16 Nov"


def test_week_end_utc_is_local_midnight_after_sunday() -> None:
    assert week_end_utc(date(2026, 11, 23), 7200) == datetime(2026, 11, 29, 22, tzinfo=UTC)
    assert week_end_utc(date(2026, 11, 23), -5 * 3600) == datetime(2026, 11, 30, 5, tzinfo=UTC)


def test_week_boundary_sunday_night_and_monday_morning_at_plus_two() -> None:
    sunday = entry(datetime(2026, 11, 29, 23, 30), Sport.SWIM, offset_h=2)
    monday = entry(datetime(2026, 11, 30, 0, 10), Sport.RIDE, offset_h=2)
    assert sunday.start_utc.date() == monday.start_utc.date() == date(2026, 11, 29)  # same UTC day
    this_week = week_counts([sunday, monday], date(2026, 11, 23))
    next_week = week_counts([sunday, monday], date(2026, 11, 30))
    assert (this_week.low_impact, this_week.low_impact_sports) == (1, (Sport.SWIM,))
    assert (next_week.low_impact, next_week.low_impact_sports) == (1, (Sport.RIDE,))
    assert this_week.week == "2026-W48" and next_week.week == "2026-W49"


def test_week_counts_by_kind_dedupes_keys_and_counts_untimed_sessions() -> None:
    mon = datetime(2026, 11, 23, 7)
    entries = [
        entry(mon, Sport.RUN),
        entry(mon + timedelta(days=1), Sport.TRAIL_RUN),
        entry(mon + timedelta(days=1), Sport.WALK),
        entry(mon + timedelta(days=2), Sport.RIDE, key="r"),
        entry(mon + timedelta(days=2), Sport.RIDE, key="r"),  # same activity twice
        entry(mon + timedelta(days=3), Sport.STRENGTH, minutes=0),
        entry(mon + timedelta(days=4), Sport.YOGA),
        entry(mon + timedelta(days=5), Sport.OTHER),
        entry(mon + timedelta(days=7), Sport.STRENGTH),  # next week
    ]
    c = week_counts(entries, date(2026, 11, 23))
    assert (c.runs, c.low_impact, c.strength) == (2, 2, 2)
    assert c.low_impact_sports == (Sport.RIDE, Sport.WALK)
    assert c.strength_sports == (Sport.STRENGTH, Sport.YOGA)


def test_week_counts_empty_and_non_monday() -> None:
    c = week_counts([], date(2026, 11, 23))
    assert (c.runs, c.low_impact, c.strength, c.low_impact_sports) == (0, 0, 0, ())
    with pytest.raises(ValueError, match="not a Monday"):
        week_counts([], date(2026, 11, 24))


def test_is_last_run_of_week() -> None:
    run = entry(datetime(2026, 11, 26, 7), key="b")
    later_ride = entry(datetime(2026, 11, 28, 7), Sport.RIDE)
    next_week_run = entry(datetime(2026, 11, 30, 0, 10), offset_h=2)
    assert is_last_run_of_week([later_ride, next_week_run], run)
    later_run = entry(datetime(2026, 11, 29, 23, 30), offset_h=2)
    assert not is_last_run_of_week([later_run], run)
    same_start_other_key = entry(datetime(2026, 11, 26, 7), key="c")
    assert not is_last_run_of_week([same_start_other_key], run)
    assert is_last_run_of_week([], run)


def test_a_two_minute_walk_is_not_a_low_impact_session() -> None:
    """Issue #13: sessions shorter than `[rules] min_session_min` count toward no weekly target."""
    from datetime import UTC, date, datetime

    from syncd.domain.history import HistoryEntry
    from syncd.domain.load import week_counts
    from syncd.domain.model import Sport

    def session(n: int, sport: Sport, minutes: float) -> HistoryEntry:
        return HistoryEntry(("file", str(n)), sport, datetime(2026, 11, 17, 7 + n, tzinfo=UTC), 0, minutes * 60.0)

    week = [
        session(1, Sport.WALK, 2),
        session(2, Sport.RIDE, 45),
        session(3, Sport.STRENGTH, 0),  # logged without a timer: still a session
        session(4, Sport.YOGA, 5),
        session(5, Sport.RUN, 4),
    ]
    counts = week_counts(week, date(2026, 11, 16), min_session_min=15.0)
    assert (counts.runs, counts.low_impact, counts.strength) == (1, 1, 1)
    assert week_counts(week, date(2026, 11, 16)).low_impact == 2  # without a minimum, as before
