"""Which of the two situations a run's advice is written for (RISK-FACTS.md, "Two situations").

*sore*: the runner logged back pain >= `threshold` within the `window_days` up to the run (defaults: 4 of 10 in
the last 7 days). Surface, downhill and speed work are the levers, so those flags are cautions, and the first note
after a painful entry says to rest a day or two first.
*staying well*: otherwise, and for runners without a diary. Prevention (low-impact sessions, shoes, warm-up,
strength) leads; surface, downhill and speed work are information only.

A setting (`[advice] mode`, or the athlete's own) can fix the mode. Only entries known before the run count:
a tag written on this run, or on a later one, steers the *next* note, so re-annotating gives the same answer.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Literal

from syncd.domain.pain import PainEntry

DEFAULT_THRESHOLD = 4
DEFAULT_WINDOW_DAYS = 7


class AdviceMode(StrEnum):
    SORE = "sore"
    STAYING_WELL = "staying_well"

    @property
    def label(self) -> str:
        """How notes, the feed and the digest name it."""
        return "sore" if self is AdviceMode.SORE else "staying well"


ModeSetting = Literal["auto", "sore", "staying_well"]
MODE_SETTINGS: tuple[str, ...] = ("auto", "sore", "staying_well")


@dataclass(frozen=True, slots=True)
class ModeSettings:
    """`[advice]`: `mode` auto (from the diary), sore or staying_well; the diary threshold and window."""

    mode: ModeSetting = "auto"
    threshold: int = DEFAULT_THRESHOLD
    window_days: int = DEFAULT_WINDOW_DAYS

    def __post_init__(self) -> None:
        if self.mode not in MODE_SETTINGS:
            raise ValueError(f"advice mode {self.mode!r}: use auto, sore or staying_well")
        if not 1 <= self.threshold <= 10:
            raise ValueError(f"advice threshold {self.threshold}: use a pain score from 1 to 10")
        if not 1 <= self.window_days <= 60:
            raise ValueError(f"advice window_days {self.window_days}: use 1 to 60 days")

    def fingerprint(self) -> str:
        return f"{self.mode}:{self.threshold}:{self.window_days}"


@dataclass(frozen=True, slots=True)
class ModeDecision:
    """The mode for one run and why, in a few words that are safe to write on a platform (no scores, no dates)."""

    mode: AdviceMode
    reason: str
    rest_first: bool = False  # sore, and the first run after the painful entry: rest a day or two first

    @property
    def code(self) -> str:
        """Part of the stored annotation version: a change of mode re-renders the note."""
        return f"{self.mode.value}{'+rest' if self.rest_first else ''}"


# Runs starting this close together are the same run recorded on two platforms (Garmin and Strava): a tag on one
# copy must not count for the other.
SAME_RUN = timedelta(minutes=5)


def _known_before(entry: PainEntry, run_day: date, run_start: datetime) -> bool:
    """An entry counts for a run when it describes a time before the run started."""
    if entry.activity_start_utc is not None:
        return entry.activity_start_utc < run_start - SAME_RUN
    return entry.day <= run_day  # "woke up sore": a day entry counts for that day's runs


def _after_previous_run(entry: PainEntry, previous_run_start: datetime | None, previous_run_day: date | None) -> bool:
    """True when no run came between the painful entry and this run (so this is the first note after it)."""
    if previous_run_start is None or previous_run_day is None:
        return True
    if entry.activity_start_utc is not None:
        return entry.activity_start_utc >= previous_run_start
    return entry.day > previous_run_day


def choose_mode(
    entries: Iterable[PainEntry],
    *,
    run_day: date,
    run_start: datetime,
    settings: ModeSettings = ModeSettings(),
    athlete_mode: ModeSetting | None = None,
    previous_run_start: datetime | None = None,
    previous_run_day: date | None = None,
) -> ModeDecision:
    """The mode for a run on `run_day` (local) starting at `run_start` (UTC), from the diary before it."""
    fixed = athlete_mode if athlete_mode not in (None, "auto") else settings.mode
    if fixed == "sore":
        return ModeDecision(AdviceMode.SORE, "set in your settings")
    if fixed == "staying_well":
        return ModeDecision(AdviceMode.STAYING_WELL, "set in your settings")
    first_day = run_day - timedelta(days=settings.window_days - 1)
    known = [e for e in entries if _known_before(e, run_day, run_start)]
    recent = [e for e in known if first_day <= e.day <= run_day]
    painful = [e for e in recent if e.score >= settings.threshold]
    days = settings.window_days
    if painful:
        latest_day = max(e.day for e in painful)
        # a later entry on a later day that says the pain is below the threshold means it has settled
        settled = [e for e in recent if e.day > latest_day and e.score < settings.threshold]
        if not settled:
            rest_first = any(_after_previous_run(e, previous_run_start, previous_run_day) for e in painful)
            return ModeDecision(AdviceMode.SORE, f"back pain logged in the last {days} days", rest_first)
        return ModeDecision(AdviceMode.STAYING_WELL, "your last diary entry says the pain has eased")
    if not known:
        return ModeDecision(AdviceMode.STAYING_WELL, "no back pain logged")
    return ModeDecision(AdviceMode.STAYING_WELL, f"no back pain logged in the last {days} days")
