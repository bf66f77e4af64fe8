"""Training-load metrics over an athlete's history: plain inputs (HistoryEntry, dates), plain dataclass outputs.

Shared by the load rules (load_spike, monotony, low_cross_training, low_strength), the weekly digest and the feed,
so nothing here knows about flags or thresholds. All dates are the athlete's local calendar dates, taken from each
entry's own `utc_offset_s` (an entry recorded across a DST change keeps the offset it was recorded with).

Sources (RISK-FACTS.md): acute:chronic workload ratio 7/28 days, uncoupled (Gabbett 2016; Windt & Gabbett 2018;
EWMA per Williams et al. 2017); Foster (1998) monotony = weekly mean daily load / its SD; calendar-week targets
for low-impact and strength sessions.

Load is session duration in minutes by default. When the athlete's maximum heart rate is known and every counted
session carries an average heart rate, Banister's TRIMP is used instead; a series never mixes the two units.
Plain Python on purpose: a rule sees ~40 entries, where NumPy's per-call overhead would dominate.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from syncd.domain.history import HISTORY_DAYS, HistoryEntry
from syncd.domain.model import LOW_IMPACT_SPORTS, RUN_SPORTS, STRENGTH_SPORTS, Sport

LoadUnit = Literal["min", "trimp"]
AcwrMethod = Literal["rolling_uncoupled", "ewma_uncoupled"]

# Banister TRIMP needs a resting heart rate the platforms rarely send; 60 bpm is a typical adult value. The ACWR
# and monotony are ratios of loads, so this constant (and the TRIMP scale) largely cancels out.
DEFAULT_RESTING_HR = 60.0
# Banister's weighting (male coefficients; sex is not known here and the ratios barely move with them).
_TRIMP_A = 0.64
_TRIMP_B = 1.92


def local_date(entry: HistoryEntry) -> date:
    """`entry.local_date` (computed once per entry, see HistoryEntry), as a function for the rules' key= uses."""
    return entry.local_date


def trimp(
    duration_s: float, average_hr: float | None, max_hr: float | None, resting_hr: float = DEFAULT_RESTING_HR
) -> float | None:
    """Banister TRIMP: minutes x HRr x 0.64 e^(1.92 HRr), HRr = heart-rate reserve fraction clipped to [0, 1].

    None when the heart rate or maximum is missing or implausible, so callers fall back to duration.
    """
    if average_hr is None or max_hr is None or not (max_hr > resting_hr) or not math.isfinite(average_hr):
        return None
    if duration_s <= 0 or not math.isfinite(duration_s):
        return 0.0
    reserve = min(max((average_hr - resting_hr) / (max_hr - resting_hr), 0.0), 1.0)
    return duration_s / 60.0 * reserve * _TRIMP_A * math.exp(_TRIMP_B * reserve)


def duration_load(duration_s: float) -> float:
    """Duration load in minutes; negative or non-finite durations (bad payloads) count as nothing."""
    if duration_s <= 0 or not math.isfinite(duration_s):
        return 0.0
    return duration_s / 60.0


def trimp_possible(max_hr: float | None) -> bool:
    """Whether a maximum heart rate allows TRIMP at all (without one every load is in minutes)."""
    return max_hr is not None and max_hr > DEFAULT_RESTING_HR


def choose_unit(entries: Iterable[HistoryEntry], max_hr: float | None) -> LoadUnit:
    """TRIMP only when it can be computed for every entry; one unit per series keeps loads comparable."""
    if not trimp_possible(max_hr):
        return "min"
    return "trimp" if all(e.average_heart_rate is not None for e in entries) else "min"


def entry_load(entry: HistoryEntry, unit: LoadUnit = "min", max_hr: float | None = None) -> float:
    """The load of one session in `unit`; asking for TRIMP without the heart rates falls back to minutes."""
    if unit == "trimp":
        value = trimp(entry.duration_s, entry.average_heart_rate, max_hr)
        if value is not None:
            return value
    return duration_load(entry.duration_s)


@dataclass(frozen=True, slots=True)
class DailyLoad:
    """Load per local calendar day from `start` to `end` inclusive; days without sessions are 0 (rest days)."""

    start: date
    loads: tuple[float, ...]
    unit: LoadUnit

    @property
    def end(self) -> date:
        return self.start + timedelta(days=len(self.loads) - 1)

    def on(self, day: date) -> float:
        index = (day - self.start).days
        return self.loads[index] if 0 <= index < len(self.loads) else 0.0

    def between(self, first: date, last: date) -> tuple[float, ...]:
        """Loads of the days first..last inclusive that the series covers (days outside it are left out)."""
        lo = max((first - self.start).days, 0)
        hi = min((last - self.start).days + 1, len(self.loads))
        return self.loads[lo:hi] if hi > lo else ()


def daily_load(
    entries: Iterable[HistoryEntry],
    start: date,
    end: date,
    *,
    max_hr: float | None = None,
    sports: Collection[Sport] | None = RUN_SPORTS,
    unit: LoadUnit | None = None,
) -> DailyLoad:
    """Sum session loads per local day over start..end; `sports=None` counts every sport.

    The unit is chosen from the counted sessions (see `choose_unit`) unless given.
    """
    if end < start:
        raise ValueError(f"daily_load: end {end} is before start {start}")
    dated = [
        (day, e) for e in entries if (sports is None or e.sport in sports) and start <= (day := e.local_date) <= end
    ]
    chosen: LoadUnit = unit if unit is not None else choose_unit((e for _, e in dated), max_hr)
    loads = [0.0] * ((end - start).days + 1)
    for day, entry in dated:
        loads[(day - start).days] += entry_load(entry, chosen, max_hr)
    return DailyLoad(start=start, loads=tuple(loads), unit=chosen)


def sessions_until(entries: Iterable[HistoryEntry], current: HistoryEntry) -> list[HistoryEntry]:
    """`current` plus the entries that started no later than it: the history as the athlete had it then.

    Re-annotating an old run later must give the same answer, so sessions recorded after it never count.
    """
    before = [e for e in entries if e.start_utc <= current.start_utc and e.key != current.key]
    before.append(current)
    return before


def history_span_days(entries: Iterable[HistoryEntry], as_of: date) -> int:
    """Local calendar days from the earliest entry to `as_of`, both included (0 without earlier entries).

    Tells rules whether the athlete's recording covers a window at all: a quiet week inside the span means rest,
    a week before the span means "we do not know".
    """
    earliest = min((day for e in entries if (day := e.local_date) <= as_of), default=None)
    return 0 if earliest is None else (as_of - earliest).days + 1


@dataclass(frozen=True, slots=True)
class AcuteChronic:
    """Acute and chronic load as weekly equivalents (mean daily load x 7) and their ratio (None if chronic is 0)."""

    acute_load: float
    chronic_load: float
    ratio: float | None
    method: AcwrMethod
    unit: LoadUnit
    chronic_days: int  # days of the chronic window the series actually covers


def _ratio(acute: float, chronic: float) -> float | None:
    return acute / chronic if chronic > 0 else None


def rolling_acwr(series: DailyLoad, as_of: date, acute_days: int = 7, chronic_days: int = 28) -> AcuteChronic:
    """Rolling, uncoupled ACWR: acute = the `acute_days` ending on `as_of`; chronic = the days before them.

    Uncoupled (Windt & Gabbett 2018): the chronic mean excludes the acute window, so a spike is not diluted into
    its own baseline. The chronic mean is taken over the covered days only, so a short history is not read as
    rest. Days of the acute window before the series start count as rest.
    """
    acute = sum(series.between(as_of - timedelta(days=acute_days - 1), as_of)) / acute_days
    chronic_window = series.between(as_of - timedelta(days=chronic_days - 1), as_of - timedelta(days=acute_days))
    chronic = sum(chronic_window) / len(chronic_window) if chronic_window else 0.0
    return AcuteChronic(
        acute_load=acute * 7,
        chronic_load=chronic * 7,
        ratio=_ratio(acute, chronic),
        method="rolling_uncoupled",
        unit=series.unit,
        chronic_days=len(chronic_window),
    )


def _ewma(values: Sequence[float], span: int, seed: float) -> float:
    smoothing = 2.0 / (span + 1)
    level = seed
    for value in values:
        level = value * smoothing + (1.0 - smoothing) * level
    return level


def ewma_acwr(series: DailyLoad, as_of: date, acute_days: int = 7, chronic_days: int = 28) -> AcuteChronic:
    """EWMA ACWR (Williams et al. 2017, lambda = 2/(N+1)), uncoupled: chronic as of the day before the acute window.

    Seeded with the mean of the first `acute_days` of the series: seeding with 0 would read the weeks before the
    athlete started recording as rest and inflate the ratio on short histories.
    """
    days = series.between(series.start, as_of)
    if not days:
        return AcuteChronic(0.0, 0.0, None, "ewma_uncoupled", series.unit, 0)
    seed_days = days[:acute_days]
    seed = sum(seed_days) / len(seed_days)
    acute = _ewma(days, acute_days, seed)
    chronic_part = days[: max(len(days) - acute_days, 0)]
    chronic = _ewma(chronic_part, chronic_days, seed)
    return AcuteChronic(
        acute_load=acute * 7,
        chronic_load=chronic * 7,
        ratio=_ratio(acute, chronic),
        method="ewma_uncoupled",
        unit=series.unit,
        chronic_days=len(chronic_part),
    )


# Monotony is undefined when every day carries the same load (SD 0); report this cap instead of infinity.
MONOTONY_CAP = 10.0


@dataclass(frozen=True, slots=True)
class Monotony:
    """Foster (1998) over `days` local days; monotony None when there was no load at all."""

    week_load: float
    mean_daily_load: float
    sd_daily_load: float
    monotony: float | None
    strain: float | None  # week_load x monotony (Foster's "strain")
    unit: LoadUnit
    rest_days: int = 0  # days of the window without load: the note says "no rest day" rather than "alike"


def foster_monotony(series: DailyLoad, as_of: date, days: int = 7) -> Monotony:
    """Mean daily load / population SD over the `days` ending on `as_of`, rest days counting as 0."""
    window = [series.on(as_of - timedelta(days=offset)) for offset in range(days)]
    total = sum(window)
    mean = total / days
    sd = math.sqrt(sum((x - mean) ** 2 for x in window) / days)
    if total <= 0:
        value: float | None = None
    elif sd <= 1e-9 * mean:
        value = MONOTONY_CAP
    else:
        value = min(mean / sd, MONOTONY_CAP)
    return Monotony(
        week_load=total,
        mean_daily_load=mean,
        sd_daily_load=sd,
        monotony=value,
        strain=None if value is None else total * value,
        unit=series.unit,
        rest_days=sum(1 for x in window if x <= 0),
    )


def week_start(day: date) -> date:
    """Monday of the calendar (ISO) week holding `day`."""
    return day - timedelta(days=day.weekday())


def iso_week_label(day: date) -> str:
    """ISO week of `day` as "2026-W47" (the ISO year, which differs from the calendar year around 1 January)."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def week_span(monday: date) -> str:
    """The week starting `monday` as a runner reads it: "16-22 Nov 2026", "30 Nov - 6 Dec 2026", "29 Dec 2025 -
    4 Jan 2026" (en dashes). The ISO code ("2026-W47") stays the key of URLs and commands; a person is not asked to
    know which week is W47 (issue 28)."""
    sunday = monday + timedelta(days=6)
    if monday.year != sunday.year:
        return f"{monday.day} {monday:%b %Y} \u2013 {sunday.day} {sunday:%b %Y}"
    if monday.month != sunday.month:
        return f"{monday.day} {monday:%b} \u2013 {sunday.day} {sunday:%b %Y}"
    return f"{monday.day}\u2013{sunday.day} {sunday:%b %Y}"


def week_of(monday: date) -> str:
    """A short name for the week starting `monday` in a list or on a chart axis: "16 Nov" (its Monday)."""
    return f"{monday.day} {monday:%b}"


def week_end_utc(monday: date, utc_offset_s: int) -> datetime:
    """The instant (aware UTC) the week starting `monday` ends for an athlete at `utc_offset_s`."""
    local_end = datetime.combine(monday + timedelta(days=7), time(0))
    return (local_end - timedelta(seconds=utc_offset_s)).replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class WeekCounts:
    """Sessions in one local calendar week (Monday-Sunday); the *_sports fields are sorted and unique."""

    week_start: date
    week: str
    runs: int
    low_impact: int
    strength: int
    low_impact_sports: tuple[Sport, ...]
    strength_sports: tuple[Sport, ...]


def counts_as_session(entry: HistoryEntry, min_session_min: float) -> bool:
    """Whether `entry` counts toward a week's sessions: a run always; a low-impact session only when it lasted
    `min_session_min` minutes (`[rules] min_session_min`: a 2-minute walk, or one without a duration, is not
    cross-training); a strength session also when it has no duration (a logged routine often has no timer)."""
    minutes = entry.duration_s / 60.0
    if entry.sport in LOW_IMPACT_SPORTS:
        return minutes >= min_session_min
    if entry.sport in STRENGTH_SPORTS:
        return entry.duration_s <= 0 or minutes >= min_session_min
    return True


def week_counts(entries: Iterable[HistoryEntry], monday: date, *, min_session_min: float = 0.0) -> WeekCounts:
    """Count runs, low-impact and strength sessions whose local date falls in the week starting `monday`.

    The one count of a week's sessions (the weekly rules, the digest, the feed's strip): what counts is
    `counts_as_session`. Entries with the same key are counted once.
    """
    if monday.weekday() != 0:
        raise ValueError(f"week_counts: {monday} is not a Monday; pass week_start(day)")
    sunday = monday + timedelta(days=6)
    seen: set[tuple[str, str]] = set()
    runs = 0
    low: list[Sport] = []
    strength: list[Sport] = []
    for entry in entries:
        if not (monday <= entry.local_date <= sunday) or entry.key in seen:
            continue
        if not counts_as_session(entry, min_session_min):
            continue
        seen.add(entry.key)
        if entry.sport in RUN_SPORTS:
            runs += 1
        elif entry.sport in LOW_IMPACT_SPORTS:
            low.append(entry.sport)
        elif entry.sport in STRENGTH_SPORTS:
            strength.append(entry.sport)
    return WeekCounts(
        week_start=monday,
        week=iso_week_label(monday),
        runs=runs,
        low_impact=len(low),
        strength=len(strength),
        low_impact_sports=tuple(sorted(set(low))),
        strength_sports=tuple(sorted(set(strength))),
    )


def is_last_run_of_week(entries: Iterable[HistoryEntry], current: HistoryEntry) -> bool:
    """True when no other run in `current`'s local calendar week started after it (ties broken by key).

    Weekly findings are attached to one run per week, the last, so they appear once.
    """
    monday = week_start(current.local_date)
    sunday = monday + timedelta(days=6)
    mark = (current.start_utc, current.key)
    return not any(
        e.sport in RUN_SPORTS and (e.start_utc, e.key) > mark and monday <= e.local_date <= sunday
        for e in entries
        if e.key != current.key
    )


LoadStatus = Literal["ratio", "not_enough_history", "return_after_break"]
LoadLevel = Literal["none", "ok", "caution", "high"]


@dataclass(frozen=True, slots=True)
class LoadCheck:
    """The one guarded load verdict the rule, the feed strip and the digest all show.

    `ratio` is set only when status is "ratio": with too little history or after a break a ratio is noise (a
    10-minute jog after three weeks off reads "27.0"), so the running minutes of the last 7 days are shown
    instead, and a return after a break is judged against the running done before it.
    """

    status: LoadStatus
    unit: LoadUnit
    acute_load: float  # the 7 days ending on `as_of`, in `unit`
    chronic_load: float  # mean weekly load of the covered days of the 21 before them, in `unit`
    ratio: float | None
    acute_minutes: float  # running minutes in the 7 days ending on `as_of`
    history_days: int
    break_days: int | None = None  # days without a run before this week's first run (return_after_break)
    before_break_minutes: float | None = None  # mean weekly running minutes in the 28 days before the break

    def level(self, caution: float, high: float) -> LoadLevel:
        """Ratio level against the configured thresholds; "none" when there is no ratio to judge."""
        if self.ratio is None:
            return "none"
        return "high" if self.ratio > high else "caution" if self.ratio > caution else "ok"

    def return_too_big(self, first_week_pct: float, min_week_minutes: float = 0.0) -> bool:
        """A return whose first week already holds more than `first_week_pct` % of the usual week before it and
        more than `min_week_minutes` (an absolute floor: 30 minutes after 12-minute weeks is no load problem)."""
        if self.status != "return_after_break" or not self.before_break_minutes:
            return False
        return self.acute_minutes > max(self.before_break_minutes * first_week_pct / 100.0, min_week_minutes)


def _return_after_break(
    runs: Sequence[tuple[date, HistoryEntry]],
    as_of: date,
    earliest: date,
    *,
    acute_days: int,
    chronic_days: int,
    gap: int,
) -> tuple[int, float] | None:
    """(days without a run, weekly minutes before the break) when this week's running follows a break."""
    acute_first = as_of - timedelta(days=acute_days - 1)
    first_back = min((day for day, _ in runs if day >= acute_first), default=None)
    last_before = max((day for day, _ in runs if day < acute_first), default=None)
    if first_back is None or last_before is None or (days := (first_back - last_before).days - 1) < gap:
        return None
    window_first = max(last_before - timedelta(days=chronic_days - 1), earliest)
    before = sum(duration_load(e.duration_s) for day, e in runs if window_first <= day <= last_before)
    # the usual week over the days the history covers, never less than a week: one 53-minute run recorded the day
    # before the break is a 53-minute week, not 53 min x 7
    return days, before / max((last_before - window_first).days + 1, 7) * 7


def _window_minutes(
    runs: Sequence[tuple[date, HistoryEntry]], first: date, span: int, acute_days: int, chronic_days: int
) -> tuple[float, float]:
    """(acute minutes, chronic weekly minutes over the days the history covers) of the window starting `first`."""
    minutes = [0.0] * chronic_days
    for day, entry in runs:
        if day >= first:
            minutes[(day - first).days] += duration_load(entry.duration_s)
    covered = minutes[max(chronic_days - span, 0) : chronic_days - acute_days]
    return sum(minutes[chronic_days - acute_days :]), (sum(covered) / len(covered) * 7 if covered else 0.0)


def _earliest_and_runs(
    entries: Sequence[HistoryEntry], first_day: date, as_of: date
) -> tuple[date | None, list[tuple[date, HistoryEntry]]]:
    """The earliest local day in first_day..as_of and the runs of those days (dated, in order), in one pass: every
    run's rules ask this."""
    earliest: date | None = None
    runs: list[tuple[date, HistoryEntry]] = []
    for entry in entries:
        day = entry.local_date
        if first_day <= day <= as_of:
            if earliest is None or day < earliest:
                earliest = day
            if entry.sport in RUN_SPORTS:
                runs.append((day, entry))
    return earliest, runs


def check_load(
    entries: Sequence[HistoryEntry],
    as_of: date,
    *,
    min_history_days: int,
    min_chronic_minutes: float,
    break_days: int,
    max_hr: float | None = None,
    acute_days: int = 7,
    chronic_days: int = 28,
) -> LoadCheck:
    """Running load as of `as_of` (local date) from the entries of the `HISTORY_DAYS` local days ending on it.

    Local days only, never the instant `entries` were cut at: a run's state (cut at its start) and its day's state
    (cut at the day's end) hold different instants' history, and for the day's last run both must give the same
    load, the same usual week before a break and the same covered days (issue 27). Entries of other days are
    ignored; the history window (`history.HISTORY_WINDOW`) holds these days whole.

    Order of the guards: a history shorter than `min_history_days` is "not enough history"; a run after
    `break_days` or more without one is a return; a chronic week below `min_chronic_minutes` is again "not enough
    history"; only then is the ratio (rolling, uncoupled as `rolling_acwr`; TRIMP when `max_hr` allows) reported.
    """
    earliest, runs = _earliest_and_runs(entries, as_of - timedelta(days=HISTORY_DAYS - 1), as_of)
    span = 0 if earliest is None else (as_of - earliest).days + 1
    first = as_of - timedelta(days=chronic_days - 1)
    acute_minutes, chronic_minutes = _window_minutes(runs, first, span, acute_days, chronic_days)
    base = LoadCheck(
        status="not_enough_history",
        unit="min",
        acute_load=acute_minutes,
        chronic_load=chronic_minutes,
        ratio=None,
        acute_minutes=acute_minutes,
        history_days=span,
    )
    if span < min_history_days:
        return base
    assert earliest is not None
    back = _return_after_break(runs, as_of, earliest, acute_days=acute_days, chronic_days=chronic_days, gap=break_days)
    if back is not None:
        gap, weekly = back
        return replace(base, status="return_after_break", break_days=gap, before_break_minutes=weekly)
    if chronic_minutes < min_chronic_minutes:
        return base
    if choose_unit((e for day, e in runs if day >= first), max_hr) == "min":
        return replace(base, status="ratio", ratio=(acute_minutes / acute_days) / (chronic_minutes / 7))
    series = daily_load([e for _, e in runs], as_of - timedelta(days=min(span, chronic_days) - 1), as_of, max_hr=max_hr)
    result = rolling_acwr(series, as_of, acute_days, chronic_days)
    if result.ratio is None:
        return base
    return replace(
        base,
        status="ratio",
        unit=result.unit,
        acute_load=result.acute_load,
        chronic_load=result.chronic_load,
        ratio=result.ratio,
    )
