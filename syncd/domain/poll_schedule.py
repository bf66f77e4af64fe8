"""When to poll one athlete's account, learned from when their activities usually appear (pure: plain data in).

A self-hoster behind NAT has no webhook, so syncd polls; polling every 15-30 minutes all day costs 48-96 reads per
athlete for days where nothing happens. Most people record at habitual times (a run before work, a lunch ride),
so the activity list changes only in a few hours of their day. The schedule polls once at the end of each of those
hours (a typical upload gets its note within the hour), never in the others, plus one daily safety poll (catches
the unusual activity; each poll re-lists the last days anyway). With a webhook, only the safety poll remains.

Hours are the athlete's local hours (their time zone, so travel and daylight saving follow the clock on the wall).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo

UPLOAD_LAG = timedelta(minutes=10)  # a watch syncs to the phone, then the platform, a few minutes after the end
MAX_DAILY_READS = 12  # issue #16: at most this many list reads per athlete on a day with nothing new
SAFETY_HOUR = 3  # local: quiet for nearly everyone, and the day's activities are all uploaded by then
MIN_HISTORY = 5  # fewer appearances than this say nothing about habits: use the default day
COVERAGE = 0.9  # the polled hours should see this share of past appearances within the hour
DEFAULT_HOURS = (7, 9, 11, 13, 15, 17, 19, 21)  # no history yet: every two hours through the waking day


@dataclass(frozen=True, slots=True)
class Appearance:
    """One past activity as the schedule sees it: when it started (UTC) and how long it lasted."""

    start_utc: datetime
    elapsed_s: float


@dataclass(frozen=True, slots=True)
class PollSchedule:
    """Local hours whose end is polled (an activity appearing in hour h is seen at h+1:00) and the safety poll."""

    active_hours: tuple[int, ...]
    tz: tzinfo
    safety_hour: int | None = SAFETY_HOUR
    learned: bool = True  # False: too little history, the default day is used

    @property
    def poll_hours(self) -> tuple[int, ...]:
        """Local hours (0-23) at whose start a poll runs."""
        hours = {(h + 1) % 24 for h in self.active_hours}
        if self.safety_hour is not None:
            hours.add(self.safety_hour)
        return tuple(sorted(hours))

    @property
    def reads_per_idle_day(self) -> int:
        """List requests on a day with nothing new (one per poll)."""
        return len(self.poll_hours)

    def next_poll(self, now: datetime, *, offset: timedelta = timedelta(0)) -> datetime:
        """The first poll strictly after `now` (aware UTC in, aware out), shifted by `offset` (spreads accounts)."""
        local = now.astimezone(self.tz)
        hours = self.poll_hours or (SAFETY_HOUR,)
        for day in range(3):
            date = (local + timedelta(days=day)).date()
            for hour in hours:
                candidate = datetime.combine(date, time(hour), self.tz) + offset
                if candidate > now:
                    return candidate.astimezone(now.tzinfo)
        return now + timedelta(days=1)  # unreachable: some hour of the next days is always ahead

    def worst_delay(self, appeared: datetime) -> timedelta:
        """How long an activity that appeared at `appeared` waits for the next poll."""
        return self.next_poll(appeared) - appeared


def appearance_hours(appearances: Iterable[Appearance], tz: tzinfo) -> Counter[int]:
    """How many activities appeared (end + upload lag) in each local hour."""
    counts: Counter[int] = Counter()
    for item in appearances:
        appeared = item.start_utc + timedelta(seconds=max(item.elapsed_s, 0.0)) + UPLOAD_LAG
        counts[appeared.astimezone(tz).hour] += 1
    return counts


def learn_schedule(
    appearances: Iterable[Appearance],
    tz: tzinfo,
    *,
    max_reads: int = MAX_DAILY_READS,
    webhook: bool = False,
) -> PollSchedule:
    """The athlete's schedule: the fewest hours covering COVERAGE of past appearances, within `max_reads` polls a
    day (the safety poll included). With a webhook, the safety poll alone."""
    if webhook:
        return PollSchedule(active_hours=(), tz=tz)
    budget = max(max_reads - 1, 0)  # one read is the safety poll
    counts = appearance_hours(appearances, tz)
    total = sum(counts.values())
    if total < MIN_HISTORY:
        return PollSchedule(active_hours=DEFAULT_HOURS[:budget], tz=tz, learned=False)
    chosen: list[int] = []
    covered = 0
    for hour, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        if covered >= COVERAGE * total or len(chosen) >= budget:
            break
        chosen.append(hour)
        covered += count
    # When an active hour's poll falls on the safety hour, the two are one read.
    return PollSchedule(active_hours=tuple(sorted(chosen)), tz=tz)
