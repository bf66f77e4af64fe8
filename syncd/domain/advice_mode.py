"""Which of the two situations a run's advice is written for (RISK-FACTS.md, "Two situations").

*sore*: the runner logged back pain >= `threshold` within the `window_days` up to the run (defaults: 4 of 10 in
the last 7 days). Surface, downhill and speed work are the levers, so those flags are cautions, and the first note
after a painful entry says to keep moving gently for a day or two (walking, easy running within comfort; NICE NG59
and the Cochrane review of advice to stay active: not bed rest).

*Red flags* (RISK-FACTS.md, NICE NG59 and cauda equina guidance), whatever the mode: an entry in the window scoring
RED_FLAG_SCORE (7) or more, a diary note naming leg pain or numbness, weakness, bladder or bowel changes, fever or
night pain, or painful entries going back over six weeks with none below the threshold between. Then every place
the mode shows (note, diary page, digest) carries RED_FLAG_LINE: see a clinician promptly, do not run through it.
*staying well*: otherwise, and for runners without a diary. Prevention (low-impact sessions, shoes, warm-up,
strength) leads; surface, downhill and speed work are information only.

A setting (`[advice] mode`, or the athlete's own) can fix the mode. Only entries known before the run count:
a tag written on this run, or on a later one, steers the *next* note, so re-annotating gives the same answer.
The note written to a platform takes its mode from `platform_mode`: only the athlete's own tags on that platform.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Literal

from syncd.domain.pain import PainEntry, PainSource

DEFAULT_THRESHOLD = 4
DEFAULT_WINDOW_DAYS = 7
# Severe pain: a score this high in the window is a red flag on its own.
RED_FLAG_SCORE = 7
# Pain that has not settled for this long needs a clinician (NICE NG59: about six weeks).
PERSISTENT_DAYS = 42
# Symptoms in the runner's own words that need a clinician promptly (NICE NG59; cauda equina guidance). Kept to
# the unambiguous ones; "numb", "tingling", "pins and needles" cover saddle and leg numbness.
_RED_FLAG_WORDS = re.compile(
    r"\bnumb|tingl|pins and needles|weakness|\bweak legs?\b|legs? (?:feels? |felt )?(?:weak|gave way|giving way)|"
    r"bladder|bowel|incontinen|saddle|fever|night pain|pain at night|wakes? me up|woke me|leg pain|down my leg|"
    r"shooting pain|sciatica|after a fall|\bfell\b|accident",
    re.IGNORECASE,
)
# The diary form's tick box for those symptoms: stored in the entry's note, in words the red-flag check reads.
SYMPTOMS_TICKED = "ticked: numbness, leg weakness, bladder or bowel changes, fever or night pain"


def with_symptoms(note: str | None, ticked: bool) -> str | None:
    """The entry's note with the tick box's words added when it was ticked (one place the tick is kept)."""
    if not ticked:
        return note
    text = (note or "").strip()
    return f"{text} ({SYMPTOMS_TICKED})" if text else SYMPTOMS_TICKED


RED_FLAG_LINE = (
    "See a clinician promptly: severe pain, numbness, weakness, bladder or bowel changes, fever, night pain or pain "
    "lasting over six weeks need a check first. Do not run through it."
)


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
    """The mode for one run and why, in a few words (no scores, no dates). `choose_mode`'s reason may name the
    diary (syncd's own pages); `platform_mode`'s names only what the athlete wrote on that platform."""

    mode: AdviceMode
    reason: str
    rest_first: bool = False  # sore, and the first run after the painful entry: a day or two easy first
    red_flag: bool = False  # the diary holds a red flag: see a clinician promptly (RED_FLAG_LINE)

    @property
    def code(self) -> str:
        """Part of the stored annotation version: a change of mode re-renders the note."""
        return f"{self.mode.value}{'+rest' if self.rest_first else ''}{'+redflag' if self.red_flag else ''}"


@dataclass(frozen=True, slots=True)
class RunModes:
    """A run's two decisions: `note` for syncd's own note (feed, JSON), `platform` for the note on its platform."""

    note: ModeDecision
    platform: ModeDecision


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


@dataclass(frozen=True, slots=True)
class _When:
    """The run a mode is decided for: its local day, its UTC start, and the run before it (if any)."""

    run_day: date
    run_start: datetime
    previous_run_start: datetime | None
    previous_run_day: date | None


@dataclass(frozen=True, slots=True)
class _Reasons:
    """How a decision from the diary is worded: syncd's own pages may name the diary, a platform's note may not."""

    painful: str
    eased: str
    none: str  # nothing logged at all
    quiet: str  # entries exist, none painful in the window


def red_flag(entries: Iterable[PainEntry], settings: ModeSettings, run_day: date) -> bool:
    """Whether the entries known before the run hold a red flag: severe pain or a named symptom in the window, or
    pain that has not settled for over six weeks (painful entries that far back, none below the threshold since)."""
    first_day = run_day - timedelta(days=settings.window_days - 1)
    known = sorted((e for e in entries if e.day <= run_day), key=lambda e: e.day)
    recent = [e for e in known if first_day <= e.day]
    if any(e.score >= RED_FLAG_SCORE or (e.note and _RED_FLAG_WORDS.search(e.note)) for e in recent):
        return True
    if not any(e.score >= settings.threshold for e in recent):
        return False
    settled = max((e.day for e in known if e.score < settings.threshold), default=None)
    painful_since = min(
        (e.day for e in known if e.score >= settings.threshold and (settled is None or e.day > settled)),
        default=run_day,
    )
    return (run_day - painful_since).days > PERSISTENT_DAYS


def _from_diary(entries: Iterable[PainEntry], reasons: _Reasons, settings: ModeSettings, when: _When) -> ModeDecision:
    """The mode from the entries known before the run: sore when painful in the window (and whether this is the first
    run since), else staying well because it eased (a later, lower entry), is quiet (entries, none painful in the
    window) or none was logged; one decision, worded by the caller."""
    run_day = when.run_day
    first_day = run_day - timedelta(days=settings.window_days - 1)
    known = [e for e in entries if _known_before(e, run_day, when.run_start)]
    alarm = red_flag(known, settings, run_day)
    recent = [e for e in known if first_day <= e.day <= run_day]
    painful = [e for e in recent if e.score >= settings.threshold]
    if painful:
        latest_day = max(e.day for e in painful)
        # a later entry on a later day that says the pain is below the threshold means it has settled
        if not [e for e in recent if e.day > latest_day and e.score < settings.threshold]:
            rest_first = any(_after_previous_run(e, when.previous_run_start, when.previous_run_day) for e in painful)
            return ModeDecision(AdviceMode.SORE, reasons.painful, rest_first, alarm)
        return ModeDecision(AdviceMode.STAYING_WELL, reasons.eased, red_flag=alarm)
    return ModeDecision(AdviceMode.STAYING_WELL, reasons.quiet if known else reasons.none, red_flag=alarm)


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
    """The mode for a run on `run_day` (local) starting at `run_start` (UTC), from the diary before it.

    Its reason may name the diary: it is for syncd's own feed, digest and JSON (authenticated). The note written
    to a platform uses `platform_mode`."""
    entries = list(entries)
    fixed = athlete_mode if athlete_mode not in (None, "auto") else settings.mode
    if fixed in ("sore", "staying_well"):
        known = [e for e in entries if _known_before(e, run_day, run_start)]
        chosen = AdviceMode.SORE if fixed == "sore" else AdviceMode.STAYING_WELL
        return ModeDecision(chosen, "set in your settings", red_flag=red_flag(known, settings, run_day))
    days = settings.window_days
    reasons = _Reasons(
        painful=f"back pain logged in the last {days} days",
        eased="your last diary entry says the pain has eased",
        none="no back pain logged",
        quiet=f"no back pain logged in the last {days} days",
    )
    return _from_diary(entries, reasons, settings, _When(run_day, run_start, previous_run_start, previous_run_day))


def platform_mode(
    entries: Iterable[PainEntry],
    *,
    platform: str,
    run_day: date,
    run_start: datetime,
    settings: ModeSettings = ModeSettings(),
    athlete_mode: ModeSetting | None = None,
    previous_run_start: datetime | None = None,
    previous_run_day: date | None = None,
) -> ModeDecision:
    """The mode as the note on the run's own `platform` may show it (docs/pain.md, "Privacy").

    Pain is health data, so what a platform's note says may depend only on what the athlete wrote on that platform:
    their #back tags on their runs there. Entries from the CLI or the feed, tags on another platform and a mode
    fixed to sore in the settings are left out; then the note is the one every runner without a diary gets
    (staying well, whose advice is worded "... if sore"), and its reason claims nothing about a diary. A mode fixed
    to staying well says nothing about pain and is kept.
    """
    fixed = athlete_mode if athlete_mode not in (None, "auto") else settings.mode
    own = [e for e in entries if e.source is PainSource.TAG and e.activity_source == platform]
    if fixed == "staying_well":
        known = [e for e in own if _known_before(e, run_day, run_start)]
        return ModeDecision(
            AdviceMode.STAYING_WELL, "set in your settings", red_flag=red_flag(known, settings, run_day)
        )
    neutral = neutral_reason(settings)
    reasons = _Reasons(
        painful=f"your #back tag in the last {settings.window_days} days",
        eased="your latest #back tag says it has eased",
        none=neutral,
        quiet=neutral,
    )
    return _from_diary(own, reasons, settings, _When(run_day, run_start, previous_run_start, previous_run_day))


def neutral_reason(settings: ModeSettings = ModeSettings()) -> str:
    """The platform note's reason when no tag of the athlete's on that platform decides: true for every runner,
    with or without a diary, so it reveals nothing."""
    return f"no #back tag of {settings.threshold}+ on earlier runs here in the last {settings.window_days} days"
