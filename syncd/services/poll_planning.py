"""Each athlete's polling schedule (syncd.domain.poll_schedule) from their stored history and time zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import TYPE_CHECKING

from syncd.domain.poll_schedule import MAX_DAILY_READS, Appearance, PollSchedule, learn_schedule
from syncd.domain.rate_budget import PollPlan

if TYPE_CHECKING:
    from syncd.ports import AppearanceReads, AthleteRepository

LEARN_FROM = timedelta(days=90)  # recent habits: a new job or season changes them


def reads_allowed(plan: PollPlan | None) -> int:
    """Polls a day one athlete may spend: the issue's 12, fewer when many athletes share the app's read budget."""
    if plan is None:
        return MAX_DAILY_READS
    return max(1, min(MAX_DAILY_READS, int(plan.polls_per_day)))


def athlete_schedule(
    athletes: AthleteRepository,
    appearances: AppearanceReads,
    athlete_id: int,
    *,
    now: datetime,
    webhook: bool,
    plan: PollPlan | None = None,
) -> PollSchedule:
    """The schedule learned from the athlete's last 90 days, in their time zone (else their latest activity's)."""

    rows = appearances.recent_appearances(athlete_id, now - LEARN_FROM)
    zone = _zone(athletes.get_athlete(athlete_id).timezone_name, rows[-1][2] if rows else 0)
    seen = [Appearance(start, elapsed) for start, elapsed, _offset in rows]
    return learn_schedule(seen, zone, max_reads=reads_allowed(plan), webhook=webhook)


def _zone(name: str | None, offset_s: int) -> tzinfo:
    if name:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError  # its search path costs a start without accounts

        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return timezone(timedelta(seconds=offset_s)) if offset_s else UTC
