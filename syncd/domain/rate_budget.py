"""Strava's rate limits as plain data: parse the headers, do the window maths, plan polling.

Why our own budget: stravalib's limiter sleeps the calling thread, and it only knows what one process saw. Strava
counts per application across every worker, so the numbers from the latest response are the truth, stored in the
database and shared (adapters/db/rate_budget.py). Windows (Strava docs): 15 minutes starting at :00/:15/:30/:45
UTC, and a day starting at 00:00 UTC. Pure: no I/O, no clock.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

SHORT_WINDOW = timedelta(minutes=15)
# "writeback_read" is the read of the activity's current description that precedes every write-back: it counts as a
# read, but like the write it may use the reserve, or a tight budget would hold every note at that read.
Kind = Literal["read", "write", "writeback_read"]

# Strava's default application limits (DESIGN.md), used until a response tells us the real ones.
DEFAULT_SHORT_LIMIT = 200
DEFAULT_DAILY_LIMIT = 2000
DEFAULT_READ_SHORT_LIMIT = 100
DEFAULT_READ_DAILY_LIMIT = 1000


@dataclass(frozen=True, slots=True)
class RateSnapshot:
    """What one response said: limits and usage of the 15-minute and daily windows (None: header absent)."""

    short_limit: int | None = None
    short_usage: int | None = None
    daily_limit: int | None = None
    daily_usage: int | None = None
    read_short_limit: int | None = None
    read_short_usage: int | None = None
    read_daily_limit: int | None = None
    read_daily_usage: int | None = None

    @property
    def empty(self) -> bool:
        return all(getattr(self, name) is None for name in self.__slots__)


def _pair(value: str | None) -> tuple[int | None, int | None]:
    """ "200,2000" -> (200, 2000); anything malformed -> (None, None) (a bad header must never stop a sync)."""
    if not value:
        return None, None
    parts = [p.strip() for p in value.split(",")]
    if len(parts) < 2:
        return None, None
    try:
        short, daily = int(parts[0]), int(parts[1])
    except ValueError:
        return None, None
    if short < 0 or daily < 0:
        return None, None
    return short, daily


def parse_headers(headers: Mapping[str, str]) -> RateSnapshot:
    """Read `X-RateLimit-Limit/Usage` (all requests) and `X-ReadRateLimit-Limit/Usage` (reads), case-insensitively."""
    lowered = {k.lower(): v for k, v in headers.items()}
    short_limit, daily_limit = _pair(lowered.get("x-ratelimit-limit"))
    short_usage, daily_usage = _pair(lowered.get("x-ratelimit-usage"))
    read_short_limit, read_daily_limit = _pair(lowered.get("x-readratelimit-limit"))
    read_short_usage, read_daily_usage = _pair(lowered.get("x-readratelimit-usage"))
    return RateSnapshot(
        short_limit,
        short_usage,
        daily_limit,
        daily_usage,
        read_short_limit,
        read_short_usage,
        read_daily_limit,
        read_daily_usage,
    )


def short_window_start(now: datetime) -> datetime:
    """Start of the 15-minute window containing `now` (:00/:15/:30/:45 UTC)."""
    now = now.astimezone(UTC)
    return now.replace(minute=now.minute - now.minute % 15, second=0, microsecond=0)


def daily_window_start(now: datetime) -> datetime:
    now = now.astimezone(UTC)
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def next_short_reset(now: datetime) -> datetime:
    return short_window_start(now) + SHORT_WINDOW


def next_daily_reset(now: datetime) -> datetime:
    return daily_window_start(now) + timedelta(days=1)


@dataclass(frozen=True, slots=True)
class BudgetState:
    """The shared budget as stored; usage counts belong to the windows starting at the given times."""

    short_limit: int = DEFAULT_SHORT_LIMIT
    short_usage: int = 0
    daily_limit: int = DEFAULT_DAILY_LIMIT
    daily_usage: int = 0
    read_short_limit: int = DEFAULT_READ_SHORT_LIMIT
    read_short_usage: int = 0
    read_daily_limit: int = DEFAULT_READ_DAILY_LIMIT
    read_daily_usage: int = 0
    short_window_start: datetime | None = None
    daily_window_start: datetime | None = None

    def rolled(self, now: datetime) -> BudgetState:
        """The same budget seen at `now`: usage of windows that have ended counts as zero."""
        short_start, day_start = short_window_start(now), daily_window_start(now)
        short_stale = self.short_window_start is None or self.short_window_start < short_start
        day_stale = self.daily_window_start is None or self.daily_window_start < day_start
        return BudgetState(
            short_limit=self.short_limit,
            short_usage=0 if short_stale else self.short_usage,
            daily_limit=self.daily_limit,
            daily_usage=0 if day_stale else self.daily_usage,
            read_short_limit=self.read_short_limit,
            read_short_usage=0 if short_stale else self.read_short_usage,
            read_daily_limit=self.read_daily_limit,
            read_daily_usage=0 if day_stale else self.read_daily_usage,
            short_window_start=short_start,
            daily_window_start=day_start,
        )


@dataclass(frozen=True, slots=True)
class Decision:
    """May a request go now? If not, `resume_at` is when the window that blocks it resets."""

    allowed: bool
    resume_at: datetime | None = None
    reason: str = ""


def decide(state: BudgetState, kind: Kind, now: datetime, *, write_reserve: int = 0) -> Decision:
    """Whether one more request of `kind` fits, keeping `write_reserve` requests of each window for write-backs.

    Sync reads stop `write_reserve` short of both the read limits and the overall limits, so a burst of syncing
    never starves the notes we owe athletes. A write-back (its read of the description, then its write) may use
    everything that is left; so a reserve of 2n keeps room for n write-backs in each window.
    """
    s = state.rolled(now)
    reserve = write_reserve if kind == "read" else 0
    counts_as_read = kind != "write"
    if s.daily_usage + 1 > s.daily_limit - reserve or (
        counts_as_read and s.read_daily_usage + 1 > s.read_daily_limit - reserve
    ):
        return Decision(False, next_daily_reset(now), f"daily Strava {kind} budget used up")
    if s.short_usage + 1 > s.short_limit - reserve or (
        counts_as_read and s.read_short_usage + 1 > s.read_short_limit - reserve
    ):
        return Decision(False, next_short_reset(now), f"15-minute Strava {kind} budget used up")
    return Decision(True)


def after_spend(state: BudgetState, kind: Kind, now: datetime) -> BudgetState:
    """The budget with one more request of `kind` counted (a read counts in both the read and overall totals)."""
    s = state.rolled(now)
    read = 0 if kind == "write" else 1
    return BudgetState(
        short_limit=s.short_limit,
        short_usage=s.short_usage + 1,
        daily_limit=s.daily_limit,
        daily_usage=s.daily_usage + 1,
        read_short_limit=s.read_short_limit,
        read_short_usage=s.read_short_usage + read,
        read_daily_limit=s.read_daily_limit,
        read_daily_usage=s.read_daily_usage + read,
        short_window_start=s.short_window_start,
        daily_window_start=s.daily_window_start,
    )


def observed(state: BudgetState, snap: RateSnapshot, now: datetime) -> BudgetState:
    """Merge what a response said: Strava's counts are the truth, but never go below what we already counted in
    this window (another worker's request may have been counted by us but not yet by the response we read)."""
    s = state.rolled(now)

    def pick(ours: int, theirs: int | None) -> int:
        return ours if theirs is None else max(ours, theirs)

    return BudgetState(
        short_limit=snap.short_limit or s.short_limit,
        short_usage=pick(s.short_usage, snap.short_usage),
        daily_limit=snap.daily_limit or s.daily_limit,
        daily_usage=pick(s.daily_usage, snap.daily_usage),
        read_short_limit=snap.read_short_limit or s.read_short_limit,
        read_short_usage=pick(s.read_short_usage, snap.read_short_usage),
        read_daily_limit=snap.read_daily_limit or s.read_daily_limit,
        read_daily_usage=pick(s.read_daily_usage, snap.read_daily_usage),
        short_window_start=s.short_window_start,
        daily_window_start=s.daily_window_start,
    )


def exhausted(state: BudgetState, now: datetime) -> BudgetState:
    """After a 429: treat the short window as used up (Strava said so, whatever our counts claim)."""
    s = state.rolled(now)
    return BudgetState(
        short_limit=s.short_limit,
        short_usage=max(s.short_usage, s.short_limit),
        daily_limit=s.daily_limit,
        daily_usage=s.daily_usage,
        read_short_limit=s.read_short_limit,
        read_short_usage=max(s.read_short_usage, s.read_short_limit),
        read_daily_limit=s.read_daily_limit,
        read_daily_usage=s.read_daily_usage,
        short_window_start=s.short_window_start,
        daily_window_start=s.daily_window_start,
    )


# ---- history streams: only what the regular sync leaves -------------------------------------------------------

# The history backfill never uses more than this share of a 15-minute window, so a poll and the details of the
# runs it finds always find room in the same window.
HISTORY_SHORT_SHARE = 0.5


def sync_daily_reserve(plan: PollPlan | None, *, read_daily_limit: int, write_reserve: int) -> int:
    """Reads a day the regular sync may need: its polls (the plan's share of the daily reads, or more if the plan
    projects more), as much again for the details of the runs those polls find, and the write-backs' reserve."""
    share = plan.share_pct if plan is not None else 25.0
    polls = max(plan.projected_daily_reads if plan is not None else 0.0, read_daily_limit * share / 100.0)
    return math.ceil(2 * polls) + write_reserve


def history_reads_left(state: BudgetState, now: datetime, *, sync_reserve: int) -> int:
    """Requests the history backfill may still send now: what is left of today's budget (reads and overall) after
    `sync_reserve`, and at most HISTORY_SHORT_SHARE of the current 15-minute window, less what it already holds."""
    s = state.rolled(now)
    day = min(s.read_daily_limit - s.read_daily_usage, s.daily_limit - s.daily_usage) - sync_reserve
    short = min(
        int(s.read_short_limit * HISTORY_SHORT_SHARE) - s.read_short_usage,
        int(s.short_limit * HISTORY_SHORT_SHARE) - s.short_usage,
    )
    return max(0, min(day, short))


# ---- polling plan ------------------------------------------------------------------------------------------

DAY_S = 86_400.0


@dataclass(frozen=True, slots=True)
class PollPlan:
    """How often each athlete is polled and what that costs a day (one list request per poll)."""

    interval_s: float
    polls_per_day: float
    projected_daily_reads: float
    share_pct: float


def plan_polling(
    athletes: int,
    *,
    read_daily_limit: int = DEFAULT_READ_DAILY_LIMIT,
    share_pct: float = 25.0,
    min_interval_s: float = 900.0,
    webhook: bool = False,
) -> PollPlan:
    """The shortest interval (>= min_interval_s) at which polls of all athletes stay within `share_pct` of the
    daily read budget. Strava has no multi-athlete list call, so the cost grows with the athletes; with the
    webhook on, polling is only a daily safety re-scan."""
    if athletes <= 0:
        return PollPlan(interval_s=min_interval_s, polls_per_day=0.0, projected_daily_reads=0.0, share_pct=share_pct)
    if webhook:
        interval = DAY_S
    else:
        allowed_reads = max(read_daily_limit * share_pct / 100.0, 1.0)
        interval = max(min_interval_s, DAY_S * athletes / allowed_reads)
    per_day = DAY_S / interval
    return PollPlan(
        interval_s=interval, polls_per_day=per_day, projected_daily_reads=per_day * athletes, share_pct=share_pct
    )


def active_hours(starts: list[datetime]) -> frozenset[int]:
    """UTC hours (0-23) in which the athlete has started activities, with the hour after each (uploads lag)."""
    hours: set[int] = set()
    for start in starts:
        hour = start.astimezone(UTC).hour
        hours.update({hour, (hour + 1) % 24})
    return frozenset(hours)


POLL_JITTER = 0.10  # each poll's interval varies by up to ±10 %, so accounts linked together spread out


def next_poll_at(now: datetime, interval_s: float, hours: frozenset[int], jitter: float = 0.0) -> datetime:
    """When to poll next: after `interval_s`, but outside the athlete's usual hours at a relaxed pace (twice the
    interval), so the budget goes where new runs are likely. With no history every hour counts as active.

    `jitter` is a fraction of the interval (the caller draws it, e.g. uniformly in ±POLL_JITTER; clamped to ±0.5):
    the interval becomes `interval_s * (1 + jitter)`, so accounts polled together drift apart."""
    interval = timedelta(seconds=interval_s * (1.0 + max(-0.5, min(0.5, jitter))))
    if not hours or now.astimezone(UTC).hour in hours or (now + interval).astimezone(UTC).hour in hours:
        return now + interval
    return now + 2 * interval
