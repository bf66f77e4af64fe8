"""The adaptive polling schedule, on plain data: learned hours, reads per idle day, delay after a typical upload."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from syncd.domain.poll_schedule import MAX_DAILY_READS, Appearance, learn_schedule

BERLIN = ZoneInfo("Europe/Berlin")
START = datetime(2026, 8, 1, tzinfo=UTC)


def _habits(days: int = 90, seed: int = 1) -> list[Appearance]:
    """A runner before work on weekdays (06:30-07:15 local) and a long run on Saturday late morning; a few
    evening rides; now and then something at an odd hour."""
    rng = random.Random(seed)
    out = []
    for day in range(days):
        date = START + timedelta(days=day)
        local_day = datetime(date.year, date.month, date.day, tzinfo=BERLIN)
        weekday = local_day.weekday()
        if weekday < 5 and rng.random() < 0.8:
            out.append(Appearance(local_day.replace(hour=6, minute=rng.randint(15, 45)).astimezone(UTC), 2400.0))
        if weekday == 5:
            out.append(Appearance(local_day.replace(hour=9, minute=rng.randint(0, 30)).astimezone(UTC), 6000.0))
        if weekday in (1, 3) and rng.random() < 0.5:
            out.append(Appearance(local_day.replace(hour=18, minute=rng.randint(0, 40)).astimezone(UTC), 3600.0))
        if rng.random() < 0.03:
            out.append(Appearance(local_day.replace(hour=rng.randint(0, 23)).astimezone(UTC), 1800.0))
    return out


def test_habitual_uploads_get_their_note_within_the_hour_on_at_most_twelve_reads_a_day() -> None:
    history = _habits()
    schedule = learn_schedule(history, BERLIN)
    assert schedule.learned
    assert schedule.reads_per_idle_day <= MAX_DAILY_READS
    assert 8 in schedule.poll_hours  # 06:15-06:45 runs of 40 min appear 07:05-07:35, seen by the 08:00 poll
    delays = [schedule.worst_delay(a.start_utc + timedelta(seconds=a.elapsed_s + 600)) for a in history]
    within_hour = sum(d <= timedelta(hours=1) for d in delays) / len(delays)
    assert within_hour >= 0.85
    assert max(delays) <= timedelta(days=1)  # the odd one waits at most for the daily safety poll


def test_polls_follow_the_local_clock_across_daylight_saving() -> None:
    schedule = learn_schedule(_habits(), BERLIN)
    summer = schedule.next_poll(datetime(2026, 7, 1, 4, 30, tzinfo=UTC))  # 06:30 CEST
    winter = schedule.next_poll(datetime(2026, 12, 1, 5, 30, tzinfo=UTC))  # 06:30 CET
    assert summer.astimezone(BERLIN).hour == winter.astimezone(BERLIN).hour
    assert summer.utcoffset() == timedelta(0)


def test_with_a_webhook_only_the_daily_safety_poll_remains() -> None:
    schedule = learn_schedule(_habits(), BERLIN, webhook=True)
    assert schedule.reads_per_idle_day == 1
    now = datetime(2026, 11, 2, 12, tzinfo=UTC)
    assert timedelta(0) < schedule.next_poll(now) - now <= timedelta(days=1)


def test_no_history_uses_a_default_day_within_the_budget() -> None:
    schedule = learn_schedule([], UTC)
    assert not schedule.learned and schedule.reads_per_idle_day <= MAX_DAILY_READS


def test_a_tight_shared_budget_thins_the_polls_but_keeps_the_busiest_hours() -> None:
    full = learn_schedule(_habits(), BERLIN)
    thin = learn_schedule(_habits(), BERLIN, max_reads=3)
    assert thin.reads_per_idle_day <= 3
    assert set(thin.active_hours) <= set(full.active_hours) and 7 in thin.active_hours  # the weekday run


def test_next_poll_is_always_strictly_ahead() -> None:
    schedule = learn_schedule(_habits(), BERLIN)
    moment = datetime(2026, 10, 24, 0, 0, tzinfo=UTC)
    for _ in range(200):
        following = schedule.next_poll(moment)
        assert following > moment
        moment = following
