"""The feed's pure view-model parts: ISO week parsing, the weekly strip and the shoe gauge."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from syncd.domain.digest import parse_week
from syncd.domain.history import HistoryEntry
from syncd.domain.model import Gear, Sport
from syncd.domain.thresholds import Thresholds
from syncd.services.feed import shoe_views, weekly_strip


def entry(n: int, sport: Sport, day: date, minutes: float) -> HistoryEntry:
    return HistoryEntry(
        key=("file", str(n)),
        sport=sport,
        start_utc=datetime(day.year, day.month, day.day, 7, tzinfo=UTC),
        utc_offset_s=0,
        duration_s=minutes * 60,
    )


def test_parse_week() -> None:
    assert parse_week("2026-W47") == date(2026, 11, 16)
    assert parse_week("2021-W01") == date(2021, 1, 4)  # ISO year differs from calendar year
    for bad in ("2026-47", "W47", "2026-W60", ""):
        with pytest.raises(ValueError, match="2026-W47"):
            parse_week(bad)


def test_weekly_strip_counts_load_acwr_and_targets() -> None:
    history = []
    n = 0
    # Four steady weeks of 3 x 30 min runs, then a week of 3 x 60 min, plus one ride and two strength sessions.
    for week in range(5):
        monday = date(2026, 10, 19 + 7 * week) if week < 2 else date(2026, 11, 2 + 7 * (week - 2))
        for offset in (0, 2, 4):
            n += 1
            history.append(entry(n, Sport.RUN, date.fromordinal(monday.toordinal() + offset), 60 if week == 4 else 30))
    last = date(2026, 11, 16)
    history += [
        entry(100, Sport.RIDE, date(2026, 11, 17), 45),
        entry(101, Sport.STRENGTH, date(2026, 11, 18), 20),
        entry(102, Sport.YOGA, date(2026, 11, 19), 20),
    ]
    strip = weekly_strip(history, last, Thresholds(), weeks=5, today=date(2026, 11, 22))
    assert [w.week for w in strip] == ["2026-W47", "2026-W46", "2026-W45", "2026-W44", "2026-W43"]
    newest = strip[0]
    assert newest.runs == 3 and newest.load == 180 and newest.load_unit == "min"
    assert (newest.low_impact, newest.low_impact_target) == (1, 2)
    assert (newest.strength, newest.strength_target) == (2, 3)
    assert newest.acwr == 2.0 and newest.acwr_level == "high"  # 180 min vs 90 min a week before
    assert strip[1].acwr == 1.0 and strip[1].acwr_level == "ok"
    assert strip[-1].acwr is None  # nothing before the first week


def test_shoe_views_use_own_limit_or_default() -> None:
    shoes = shoe_views(
        [
            Gear("a", "Old", 700_000.0),
            Gear("b", "New", 100_000.0, limit_m=800_000.0),
            Gear("c", "Near", 550_000.0),
            Gear("bike", "Bike", 1.0, kind="bike"),
        ],
        Thresholds(),
        "metric",
    )
    assert [(s.name, s.state, s.share_pct) for s in shoes] == [
        ("Old", "over", 116.7),
        ("Near", "near", 91.7),
        ("New", "ok", 12.5),
    ]
    assert shoes[0].distance == "700 km" and shoes[0].limit == "600 km"


def test_weekly_strip_guards_the_ratio_and_takes_thresholds_from_config() -> None:
    """Issue #13: the strip showed "ACWR 31.09" on a week of data and hard-coded 1.3/1.5."""
    runs = [entry(n, Sport.RUN, date.fromordinal(date(2026, 10, 19).toordinal() + 2 * n), 30) for n in range(14)]
    strip = weekly_strip(runs[:3], date(2026, 10, 19), Thresholds(), weeks=1, today=date(2026, 10, 25))
    assert strip[0].acwr is None and strip[0].load_note == "not enough history yet"
    steady = [*runs, entry(50, Sport.RUN, date(2026, 11, 16), 60), entry(51, Sport.RUN, date(2026, 11, 18), 60)]
    lenient = weekly_strip(
        steady, date(2026, 11, 16), Thresholds(acwr_caution=3.0, acwr_high=4.0), weeks=1, today=date(2026, 11, 22)
    )
    strict = weekly_strip(
        steady, date(2026, 11, 16), Thresholds(acwr_caution=0.5, acwr_high=0.6), weeks=1, today=date(2026, 11, 22)
    )
    assert lenient[0].acwr == strict[0].acwr is not None
    assert (lenient[0].acwr_level, strict[0].acwr_level) == ("ok", "high")
    # back after three weeks off with a 10-minute jog: no ratio, a plain statement
    back = [*runs, entry(60, Sport.RUN, date(2026, 12, 7), 10)]
    strip = weekly_strip(back, date(2026, 12, 7), Thresholds(), weeks=1, today=date(2026, 12, 13))
    assert strip[0].acwr is None and strip[0].acwr_level == "none"
    assert strip[0].load_note == "back after 22 days off"  # last run 14 Nov, back on 7 Dec
