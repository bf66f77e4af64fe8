"""What the history-reading rules judge a run by, as of the run's end (the run in it), computed once, here.

An `AsOf` taken for a run is the athlete at the run's *start*: its history, its load before the run. The rules
judge the run *with* it: the guarded 7/28-day load of the run's day with the run in it (load_spike), last calendar
week's sessions when the run opens its week (low_cross_training, low_strength), Foster's monotony of the 7 days
ending on the run (monotony), the longest run of the 30 days before it (long_run_spike). `run_figures` computes
them from the state's history and the run; a note built by the services reads them from its run's state
(`AsOf.run`), a rule run without a service (benches, tests, a file on the CLI) through `RuleContext.figures`, which
calls this same function, so no rule computes its own and a surface showing the same figure reads the same one.

Over the load of a day and the counts of a week these are the day's and the week's own functions (`load_as_of`,
`load.week_counts`): for the last run of a day the load here is the day-end state's, and last week's counts here are
that week's end state's (`tests/unit/test_run_figures_agree.py`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from syncd.domain.history import HistoryEntry
from syncd.domain.load import (
    LoadCheck,
    Monotony,
    WeekCounts,
    check_load,
    daily_load,
    foster_monotony,
    history_span_days,
    sessions_until,
    trimp_possible,
    week_counts,
    week_start,
)
from syncd.domain.rules.long_run_spike_evidence import can_judge
from syncd.domain.thresholds import Thresholds

# Foster's week: the 7 local days ending on the run's date.
MONOTONY_DAYS = 7


@dataclass(frozen=True, slots=True)
class RunFigures:
    """One run's figures as of its end; `history` (the state's) holds what started before it, in any order.

    `load`: the guarded load as of the run's local day, this run and the runs before it in. `last_week`: the
    sessions of the calendar week before the run's, when the run is the first run of its week and the history
    reaches back to that week's Monday (None otherwise). `monotony`: Foster's monotony of the 7 days ending on the
    run when it reaches `monotony_caution` under load for the first time this calendar week (None otherwise).
    `longest_before`: (longest distance m, longest time s) of the runs of the `long_run_history_days` before the
    run, None when the recording starts inside that window or holds no run there."""

    load: LoadCheck
    last_week: WeekCounts | None
    monotony: Monotony | None
    longest_before: tuple[float, float] | None


def run_figures(
    history: Sequence[HistoryEntry], run: HistoryEntry, thresholds: Thresholds, *, max_hr: float | None = None
) -> RunFigures:
    """The one computation of a run's figures (`run`: the run itself as a history entry, `history.summarize`)."""
    return RunFigures(
        load=load_as_of(sessions_until(history, run), run.local_date, thresholds, max_hr=max_hr),
        last_week=last_week_counts(history, run, thresholds),
        monotony=first_monotony_of_week(history, run, thresholds, max_hr),
        longest_before=longest_before(history, run.start_utc, timedelta(days=thresholds.long_run_history_days)),
    )


def load_as_of(
    history: Sequence[HistoryEntry], day: date, thresholds: Thresholds, *, max_hr: float | None = None
) -> LoadCheck:
    """The guarded 7/28-day running load as of `day` under the configured guards (the rule, the strip, the
    digest)."""
    return check_load(
        history,
        day,
        min_history_days=thresholds.acwr_min_history_days,
        min_chronic_minutes=thresholds.acwr_min_chronic_min,
        break_days=thresholds.return_break_days,
        max_hr=max_hr,
    )


def last_week_counts(history: Sequence[HistoryEntry], run: HistoryEntry, t: Thresholds) -> WeekCounts | None:
    """The sessions of the calendar week before this run's, or None when this is not the first run of its week
    or the history does not cover last week. Counted as every week is (`load.week_counts`)."""
    monday = week_start(run.local_date)
    days = [(e.local_date, e) for e in history if e.start_utc < run.start_utc]
    if any(e.sport.is_run and day >= monday for day, e in days):
        return None  # not the first run of its week
    last_monday = monday - timedelta(days=7)
    if not any(day <= last_monday for day, _ in days):
        return None  # the history does not cover last week
    counted = [e for day, e in days if last_monday <= day < monday]
    return week_counts(counted, last_monday, min_session_min=t.min_session_min)


def first_monotony_of_week(
    history: Sequence[HistoryEntry], run: HistoryEntry, t: Thresholds, max_hr: float | None
) -> Monotony | None:
    """The monotony of the 7 days ending on `run` when it crosses the caution level, unless an earlier run of
    the run's calendar week (each judged as it was when it was run) already crossed it."""
    result = _monotony(history, run, t, max_hr)
    if result is None:
        return None
    monday = week_start(run.local_date)
    earlier = [e for e in history if e.sport.is_run and monday <= e.local_date and e.start_utc < run.start_utc]
    for entry in earlier:
        if _monotony(history, entry, t, max_hr) is not None:
            return None
    return result


def _monotony(
    history: Sequence[HistoryEntry], current: HistoryEntry, t: Thresholds, max_hr: float | None
) -> Monotony | None:
    """Foster's monotony of the 7 days ending on `current`'s date, as known when it started; None unless flagged."""
    if not trimp_possible(max_hr):
        return None  # the loads would be minutes (choose_unit), which never judge monotony: nothing to sum
    today = current.local_date
    entries = sessions_until(history, current)
    if history_span_days(entries, today) < MONOTONY_DAYS:
        return None
    series = daily_load(entries, today - timedelta(days=MONOTONY_DAYS - 1), today, max_hr=max_hr)
    result = foster_monotony(series, today, MONOTONY_DAYS)
    if result.unit != "trimp":
        return None  # minutes cannot tell an easy day from a hard one: no monotony without heart rates
    minimum = t.monotony_min_week_load_trimp
    if result.monotony is None or result.week_load < minimum or result.monotony < t.monotony_caution:
        return None
    return result


def longest_before(history: Sequence[HistoryEntry], start: datetime, window: timedelta) -> tuple[float, float] | None:
    """(longest distance, longest time) of the runs in the `window` before `start` (0 when unknown), or None when
    the recording starts inside the window or holds no run there. One pass: a rule sees ~40 entries per run."""
    first = start - window
    earliest = start
    longest_m = longest_s = 0.0
    last_run: datetime | None = None
    for entry in history:
        when = entry.start_utc
        if when >= start:
            continue
        # comparisons rather than min()/max() calls: the same answers (max keeps the first of equals, and a NaN
        # never replaces a value either way) at a fraction of the cost per entry
        if when < earliest:  # noqa: PLR1730 (see above)
            earliest = when
        if when >= first and entry.sport.is_run:
            if last_run is None or when > last_run:
                last_run = when
            if (distance := entry.distance_m or 0.0) > longest_m:
                longest_m = distance
            if entry.duration_s > longest_s:  # noqa: PLR1730
                longest_s = entry.duration_s
    if not can_judge(start, earliest, last_run, window):
        return None
    return longest_m, longest_s


__all__ = [
    "MONOTONY_DAYS",
    "RunFigures",
    "first_monotony_of_week",
    "last_week_counts",
    "load_as_of",
    "longest_before",
    "run_figures",
]
