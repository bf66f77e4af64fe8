"""Strava list reads per athlete on an idle day, and how long a typical upload waits for its poll.

Run: `.venv/bin/python -m bench.polling_bench [--athletes 200]`

Athletes with generated habits (1-3 habitual times of day, weekday/weekend differences, a few odd-hour
activities; 90 days of history in their own time zone) get the schedule the daemon uses
(syncd.domain.poll_schedule). Each then lives 14 more days of the same habits: the figures are the reads on a day
with nothing new, and the wait from an upload (end + 10 min) to the poll that sees it, side by side with the former
fixed-interval polling (every 15 min, twice that outside the hours seen in the last 28 days) and with a webhook.
"""

from __future__ import annotations

import argparse
import random
import statistics
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from syncd.domain.poll_schedule import UPLOAD_LAG, Appearance, learn_schedule
from syncd.domain.rate_budget import active_hours, next_poll_at

ZONES = ["Europe/Berlin", "America/New_York", "Asia/Singapore", "Australia/Sydney", "America/Los_Angeles"]
START = datetime(2026, 6, 1, tzinfo=UTC)


def habits(rng: random.Random, days: int, first_day: datetime, zone: ZoneInfo) -> list[Appearance]:
    slots = [(rng.choice([5, 6, 7, 12, 17, 18, 19]), rng.uniform(0.4, 0.9)) for _ in range(rng.randint(1, 3))]
    weekend = rng.choice([8, 9, 10])
    out = []
    for day in range(days):
        date = (first_day + timedelta(days=day)).date()
        local = datetime(date.year, date.month, date.day, tzinfo=zone)
        for hour, chance in slots:
            if local.weekday() < 5 and rng.random() < chance:
                out.append(Appearance(local.replace(hour=hour, minute=rng.randint(0, 50)).astimezone(UTC), 2700.0))
        if local.weekday() >= 5 and rng.random() < 0.7:
            out.append(Appearance(local.replace(hour=weekend, minute=rng.randint(0, 50)).astimezone(UTC), 5400.0))
        if rng.random() < 0.04:
            out.append(Appearance(local.replace(hour=rng.randint(0, 23)).astimezone(UTC), 1800.0))
    return out


def former_reads_and_waits(
    history: list[Appearance], future: list[Appearance], day: datetime
) -> tuple[int, list[float]]:
    """The fixed-interval polling this replaces: 15 min, doubled outside the hours of the last 28 days' starts."""
    starts = [a.start_utc for a in history if a.start_utc >= day - timedelta(days=28)]
    hours = active_hours(starts)
    moment, reads = day, 0
    while moment < day + timedelta(days=1):
        moment = next_poll_at(moment, 900.0, hours)
        reads += 1
    waits = []
    for item in future:
        appeared = item.start_utc + timedelta(seconds=item.elapsed_s) + UPLOAD_LAG
        waits.append((next_poll_at(appeared - timedelta(seconds=450), 900.0, hours) - appeared).total_seconds())
    return reads, [max(w, 0.0) for w in waits]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--athletes", type=int, default=200)
    args = parser.parse_args()
    rng = random.Random(16)
    reads, hooked, waits, former_reads, former_waits = [], [], [], [], []
    for _ in range(args.athletes):
        zone = ZoneInfo(rng.choice(ZONES))
        now = START + timedelta(days=90)
        lived = habits(rng, 104, START, zone)  # the same habits before and after `now`
        history = [a for a in lived if a.start_utc < now]
        future = [a for a in lived if a.start_utc >= now]
        schedule = learn_schedule(history, zone)
        reads.append(schedule.reads_per_idle_day)
        hooked.append(learn_schedule(history, zone, webhook=True).reads_per_idle_day)
        for item in future:
            appeared = item.start_utc + timedelta(seconds=item.elapsed_s) + UPLOAD_LAG
            waits.append(schedule.worst_delay(appeared).total_seconds())
        count, late = former_reads_and_waits(history, future, now)
        former_reads.append(count)
        former_waits.extend(late)

    def minutes(values: list[float], q: int) -> float:
        return statistics.quantiles(values, n=100)[q - 1] / 60 if q < 100 else max(values) / 60

    within_hour = sum(w <= 3600 for w in waits) / len(waits)
    print(f"{args.athletes} athletes, {len(waits)} uploads over 14 days after 90 days of learned habits")
    print(f"  {'':28s} {'reads/idle day (max, median)':>30s} {'wait p50':>9s} {'p90':>7s} {'<= 1 h':>7s}")
    print(
        f"  {'adaptive (no webhook)':28s} {max(reads):>15d} {statistics.median(reads):>14.0f} "
        f"{minutes(waits, 50):7.0f} m {minutes(waits, 90):5.0f} m {within_hour:7.0%}"
    )
    former_within = sum(w <= 3600 for w in former_waits) / len(former_waits)
    print(
        f"  {'former fixed 15 min':28s} {max(former_reads):>15d} {statistics.median(former_reads):>14.0f} "
        f"{minutes(former_waits, 50):7.0f} m {minutes(former_waits, 90):5.0f} m {former_within:7.0%}"
    )
    hook_line = f"{max(hooked):>15d} {statistics.median(hooked):>14.0f}"
    print(f"  {'adaptive with a webhook':28s} {hook_line}   (events do the rest)")


if __name__ == "__main__":
    main()
