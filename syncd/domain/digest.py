"""The weekly digest as plain data: what one calendar week of running did to the athlete's back, and what to change.

Pure: the service hands in the week's runs with the flags their annotations carry, a history long enough for the
8-week load trend, and the athlete's gear; this module only counts, groups and chooses. Rendering (Jinja2, the chart)
and sending (SMTP) live elsewhere, so the numbers can be golden-tested without a template or a mail server.

Suggestions are drawn from RISK-FACTS.md in a fixed priority (load first, because a spike is the strongest signal;
then surface, downhill, intensity, warm-up, shoes, cross-training and strength), at most three, so the email asks
for a few concrete changes rather than listing everything.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta, tzinfo

from syncd.domain.advice_mode import AdviceMode
from syncd.domain.as_of import end_of_day, state_as_of
from syncd.domain.flags import Flag, FlagCode, Severity
from syncd.domain.history import History, HistoryEntry
from syncd.domain.load import (
    LoadStatus,
    LoadUnit,
    WeekCounts,
    daily_load,
    foster_monotony,
    iso_week_label,
    week_counts,
    week_of,
    week_span,
    week_start,
)
from syncd.domain.mode_notes import advice_for
from syncd.domain.model import Activity, Gear, Sport
from syncd.domain.notes import NEARLY_WORN_ADVICE, SHORT_ADVICE, TITLES
from syncd.domain.rules.downhill_evidence import DownhillEvidence
from syncd.domain.rules.hard_surface_evidence import HardSurfaceEvidence
from syncd.domain.rules.low_strength_evidence import WeeklySessionsEvidence
from syncd.domain.rules.registry import read_evidence
from syncd.domain.streams_math import altitude_profile
from syncd.domain.thresholds import Thresholds

TREND_WEEKS = 8
_CHRONIC_DAYS = 28
_SOFT_SPORTS = frozenset({Sport.TRAIL_RUN, Sport.TREADMILL_RUN, Sport.VIRTUAL_RUN})


@dataclass(frozen=True, slots=True)
class WeekRun:
    """One run of the week as the digest needs it; `flags` come from the activity's latest annotation."""

    key: tuple[str, str]
    name: str
    sport: Sport
    start_local: datetime
    distance_m: float | None
    duration_s: float | None
    # descent from the cleaned altitude profile the downhill rule uses (`cleaned_descent_m`), None when unknown
    elevation_loss_m: float | None = None
    indoor: bool = False
    flags: tuple[Flag, ...] = ()
    awaiting_streams: bool = False  # its samples are still on its platform (syncd.domain.streams_state)


@dataclass(frozen=True, slots=True)
class FlaggedRun:
    name: str
    start_local: datetime
    severity: Severity


@dataclass(frozen=True, slots=True)
class FlagGroup:
    """All flags of one code in the week, with the runs that raised them (oldest first)."""

    code: FlagCode
    title: str
    severity: Severity  # the highest in the group
    advice: str
    runs: tuple[FlaggedRun, ...]


@dataclass(frozen=True, slots=True)
class SurfaceSplit:
    """Metres run on hard surfaces, on soft ones (trail, grass, treadmill) and where the surface is unknown."""

    hard_m: float
    soft_m: float
    unknown_m: float


CHART_CSS_WIDTH = 440
"""CSS pixels the digest lays its load chart out at, at most: the chart adapter sizes its text for this width, so the
axis labels stay readable (about 11 px) when a phone shrinks it to 350 px."""


@dataclass(frozen=True, slots=True)
class LoadWeek:
    """Load as of the Sunday ending one week: weekly load, acute:chronic ratio (None if no baseline), monotony."""

    week: str
    week_start: date
    week_load: float
    acwr: float | None  # only when the guard allows a ratio (status "ratio"), as in the notes and the feed
    monotony: float | None
    load_status: LoadStatus = "ratio"
    break_days: int | None = None
    running_minutes: float = 0.0  # the 7 days ending on the week's Sunday

    @property
    def load_note(self) -> str:
        """What the digest says where there is no ratio to show."""
        minutes = f"{self.running_minutes:.0f} min of running this week"
        if self.load_status == "return_after_break" and self.break_days is not None:
            return f"back after {self.break_days} days without running ({minutes}): start short and easy"
        return f"not enough history yet for a ratio ({minutes})"


@dataclass(frozen=True, slots=True)
class ShoeStatus:
    name: str
    distance_m: float
    limit_m: float
    share_pct: float
    over: bool


@dataclass(frozen=True, slots=True)
class Suggestion:
    code: str
    text: str


@dataclass(frozen=True, slots=True)
class Digest:
    athlete_name: str
    week: str
    week_start: date
    week_end: date
    units: str
    runs: int
    distance_m: float
    duration_s: float
    flag_count: int
    flag_groups: tuple[FlagGroup, ...]
    surface: SurfaceSplit
    downhill_m: float
    speed_sessions: int
    load_unit: LoadUnit
    load_trend: tuple[LoadWeek, ...]  # oldest first; the last is this week
    low_impact: int
    low_impact_target: int
    strength: int
    strength_target: int
    shoes: tuple[ShoeStatus, ...]
    suggestions: tuple[Suggestion, ...]
    feed_url: str | None
    mode: str = "staying well"  # the advice mode at the week's end ("sore" or "staying well", docs/pain.md)
    mode_reason: str = "no back pain logged"
    pain_pattern: str | None = None  # what preceded flare-ups (the diary page's first sentence), with a diary
    red_flag: str | None = None  # advice_mode.RED_FLAG_LINE when the diary holds a red flag
    runs_awaiting_streams: int = 0  # the week's runs whose samples are not fetched yet: downhill, speed work lack them

    @property
    def streams_measured(self) -> bool:
        """Whether the downhill and speed-work figures measured anything: False when every run of the week still
        waits for its streams (they then say "no streams yet", never 0)."""
        return self.runs_awaiting_streams < self.runs or self.runs == 0

    @property
    def streams_line(self) -> str | None:
        """Which of the week's figures miss runs still waiting for their streams; None when none waits."""
        waiting = self.runs_awaiting_streams
        if not waiting:
            return None
        if not self.streams_measured:
            return "No streams yet for this week's runs: downhill and speed work come with them."
        verb = "has" if waiting == 1 else "have"
        return f"{waiting} of {self.runs} runs {verb} no streams yet: downhill and speed work count only the others."

    @property
    def empty(self) -> bool:
        """No runs this week: the digest is the short kind (or is skipped, per `[digest] when_empty`)."""
        return self.runs == 0

    @property
    def load(self) -> LoadWeek:
        return self.load_trend[-1]

    @property
    def span(self) -> str:
        """The week as the runner reads it ("16\u201322 Nov 2026"); `week`, the ISO code, stays the key."""
        return week_span(self.week_start)

    @property
    def subject(self) -> str:
        if self.empty:
            return f"Back-care week {self.span}: no runs"
        noun = "flag" if self.flag_count == 1 else "flags"
        return f"Back-care week {self.span}: {self.runs} run{'s' if self.runs != 1 else ''}, {self.flag_count} {noun}"


_WEEK = re.compile(r"([0-9]{4})-W([0-9]{2})")  # ASCII only: \d also matches other scripts' digits
FIRST_WEEK_YEAR, LAST_WEEK_YEAR = 1970, 2200  # no activity is outside these (the importer refuses such clocks)


def parse_week(text: str) -> date:
    """ "2026-W47" -> the Monday of that ISO week (the feed's `?week=`, `syncd digest --week`); ValueError with
    the expected form otherwise. The year is bounded: 9999-W52 once overflowed the feed's date arithmetic."""
    match = _WEEK.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"week {text!r} is not an ISO week: use the form 2026-W47")
    year = int(match.group(1))
    if not FIRST_WEEK_YEAR <= year <= LAST_WEEK_YEAR:
        raise ValueError(f"week {text!r} is out of range: use a week of {FIRST_WEEK_YEAR} to {LAST_WEEK_YEAR}")
    try:
        return date.fromisocalendar(year, int(match.group(2)), 1)
    except ValueError:
        raise ValueError(f"week {text!r} does not exist: use the form 2026-W47 with a week 01-53") from None


def week_of_iso(label: str) -> str:
    """ "2026-W47" -> "16 Nov" (`load.week_of` of its Monday): how a page names a week it holds by its ISO code."""
    return week_of(parse_week(label))


def _flag(run: WeekRun, code: FlagCode) -> Flag | None:
    return next((flag for flag in run.flags if flag.code == code), None)


def cleaned_descent_m(activity: Activity) -> float | None:
    """Total descent from the same cleaned altitude profile as the downhill flag (not the platform's figure).

    Strava sends no elevation loss at all and GPS altitude noise inflates a raw sum, so the digest's downhill total
    is measured like the flag is. Indoor, treadmill and virtual runs have no real slope: 0. Without streams (no
    profile, so no flag either) the platform's own figure is all there is. None without altitude.
    """
    if activity.indoor or activity.sport in (Sport.TREADMILL_RUN, Sport.VIRTUAL_RUN):
        return 0.0
    if activity.streams is None:
        return activity.elevation_loss_m
    profile = altitude_profile(activity.streams)
    return None if profile is None else round(profile.total_descent_m(), 1)


def week_descent_m(runs: Sequence[WeekRun]) -> float:
    """The week's descent: each run's cleaned descent, else its downhill flag's `total_descent_m`, else nothing."""
    total = 0.0
    for run in runs:
        descent = run.elevation_loss_m
        if descent is None:
            evidence = DownhillEvidence.from_flag(_flag(run, FlagCode.DOWNHILL))
            descent = evidence.total_descent_m if evidence is not None else None
        if descent is not None and descent > 0:
            total += descent
    return total


def surface_split(runs: Sequence[WeekRun]) -> SurfaceSplit:
    """Hard vs soft metres: a hard_surface flag's mapped metres (or the whole run), trail/treadmill runs as soft.

    A mapped hard_surface flag measured its paved and unknown metres; the rest of that run is soft. A guessed flag (no
    map, so no `hard_m`) and runs without a flag or a soft sport type count as unknown: the digest must not claim
    a surface nobody measured.
    """
    hard = soft = unknown = 0.0
    for run in runs:
        distance = run.distance_m or 0.0
        flag = _flag(run, FlagCode.HARD_SURFACE)
        if flag is not None:
            evidence = HardSurfaceEvidence.from_flag(flag)
            measured = evidence.measured() if evidence is not None else None
            if measured is None:
                unknown += distance
                continue
            hard_m = min(measured.paved_m, distance) if distance else measured.paved_m
            unknown_m = min(measured.unknown_m, max(distance - hard_m, 0.0))
            hard += hard_m
            unknown += unknown_m
            soft += max(distance - hard_m - unknown_m, 0.0)
        elif run.sport in _SOFT_SPORTS or run.indoor:
            soft += distance
        else:
            unknown += distance
    return SurfaceSplit(hard_m=hard, soft_m=soft, unknown_m=unknown)


def about_week(flag: Flag, week: str) -> bool:
    """A weekly finding names the week it counted (evidence `week`) and sits on the first run of the week after:
    in a digest it belongs to that week, not to the week of the run that carries it."""
    evidence = read_evidence(flag)
    named = evidence.week if isinstance(evidence, WeeklySessionsEvidence) else None
    return named is None or named == week


def group_flags(
    runs: Sequence[WeekRun], *, mode: AdviceMode = AdviceMode.STAYING_WELL, week: str | None = None
) -> tuple[FlagGroup, ...]:
    """Flags grouped by code, most severe group first, then by how many runs raised it, then by code. Each
    group's alternative is worded for the mode in force, as the notes word it; with `week`, weekly findings about
    another week are left out."""
    grouped: dict[FlagCode, list[tuple[WeekRun, Flag]]] = {}
    for run in sorted(runs, key=lambda r: (r.start_local, r.key)):
        for flag in run.flags:
            if week is None or about_week(flag, week):
                grouped.setdefault(flag.code, []).append((run, flag))
    groups = [
        FlagGroup(
            code=code,
            title=TITLES.get(code, code.value),
            severity=(severity := max((flag.severity for _, flag in items), key=lambda s: s.rank)),
            advice=_alternative(code, severity, mode, _shared_codes(run for run, _ in items)),
            runs=tuple(FlaggedRun(run.name or "Run", run.start_local, flag.severity) for run, flag in items),
        )
        for code, items in grouped.items()
    ]
    groups.sort(key=lambda g: (-g.severity.rank, -len(g.runs), g.code.value))
    return tuple(groups)


def _shared_codes(runs: Iterable[WeekRun]) -> frozenset[FlagCode]:
    """The flag codes every one of these runs carries: a group's alternative is the notes' own wording when all its
    runs share it (speed work that always began cold: "warm up first"), the plain one when they differ."""
    shared: frozenset[FlagCode] | None = None
    for run in runs:
        codes = frozenset(flag.code for flag in run.flags)
        shared = codes if shared is None else shared & codes
    return shared or frozenset()


def _alternative(code: FlagCode, severity: Severity, mode: AdviceMode, codes: frozenset[FlagCode]) -> str:
    """The alternative the notes give for this code in this mode (a shoe only nearly worn: "nearly due")."""
    worded = advice_for(mode, codes).get(code)
    if worded is not None:
        return worded
    if code is FlagCode.WORN_SHOES and severity is Severity.INFO:
        return NEARLY_WORN_ADVICE
    return SHORT_ADVICE.get(code, "")


def load_trend(
    history: Sequence[HistoryEntry],
    monday: date,
    *,
    weeks: int = TREND_WEEKS,
    max_hr: float | None = None,
    thresholds: Thresholds | None = None,
    zone: tzinfo = UTC,
) -> tuple[LoadUnit, tuple[LoadWeek, ...]]:
    """Weekly running load, guarded ACWR and Foster monotony as of each of the last `weeks` Sundays.

    Same formulas and the same guard as the load_spike and monotony rules (syncd.domain.load.check_load), so the
    digest never shows a ratio the notes would not ("not enough history yet", "back after N days" instead). Each
    week's verdict is the athlete's state as that Sunday ended in `zone` (`domain.as_of`: the 42 local days ending on
    it, as the notes and the strip see them), not a recompute over the longer history the trend reads.
    """
    t = thresholds or Thresholds()
    first = monday - timedelta(weeks=weeks - 1)
    series = daily_load(history, first - timedelta(days=_CHRONIC_DAYS), monday + timedelta(days=6), max_hr=max_hr)
    rows = History(history)
    trend = []
    for index in range(weeks):
        start = first + timedelta(weeks=index)
        sunday = start + timedelta(days=6)
        check = state_as_of(rows, end_of_day(sunday, zone), sunday, thresholds=t, max_hr=max_hr).load
        mono = foster_monotony(series, sunday)
        trend.append(
            LoadWeek(
                week=iso_week_label(start),
                week_start=start,
                week_load=round(mono.week_load, 1),
                acwr=None if check.ratio is None else round(check.ratio, 2),
                monotony=None if mono.monotony is None else round(mono.monotony, 2),
                load_status=check.status,
                break_days=check.break_days,
                running_minutes=round(check.acute_minutes, 1),
            )
        )
    return series.unit, tuple(trend)


def shoe_statuses(gear: Sequence[Gear], thresholds: Thresholds) -> tuple[ShoeStatus, ...]:
    """Shoes in use at or past `shoe_nearly_worn_pct` of their limit (their own, else `shoe_limit_km`)."""
    found = []
    for item in gear:
        if item.retired or item.kind != "shoe":
            continue
        limit = item.limit_m if item.limit_m and item.limit_m > 0 else thresholds.shoe_limit_km * 1000.0
        if limit <= 0:
            continue
        share = item.distance_m / limit * 100.0
        if share >= thresholds.shoe_nearly_worn_pct:
            found.append(ShoeStatus(item.name or item.gear_id, item.distance_m, limit, round(share, 1), share >= 100))
    found.sort(key=lambda s: (-s.share_pct, s.name))
    return tuple(found)


_SUGGESTIONS: dict[str, str] = {
    "load_spike": (
        "For information: this week's running is well above your recent weeks (the acute:chronic ratio is debated, "
        "and one long run matters more than the weekly sum). An easy low-impact session next week does no harm."
    ),
    "long_run_spike": (
        "One run was much longer than your longest of the month before: build your long run by about 10 % at a "
        "time, and keep the runs after it short and easy."
    ),
    "monotony": (
        "Plan a rest day or two each week, alternate harder days with easy ones, and mix in low-impact sessions."
    ),
    "hard_surface": (
        "Move at least two runs off asphalt and concrete: grass paths, dirt trails or a treadmill soften every landing."
    ),
    "downhill": "Choose level routes next week: running downhill produces higher landing forces.",
    "speed_work": "Drop the speed work for now: light jogging and easy medium-long runs instead.",
    "no_warmup": "Start every run gently: ten easy minutes and a few dynamic drills before picking up the pace.",
    "worn_shoes": "A shoe is past its limit: running shoes are commonly replaced at about 480-800 km.",
    "low_cross_training": (
        "Swap a run for a low-impact session: elliptical, stationary bike, swimming, aqua-jogging or a brisk walk."
    ),
    "low_strength": (
        "Do core, hip-flexor and glute exercises three times a week, about 10 repetitions each; a physical "
        "therapist can tailor them."
    ),
    "rest_week": (
        "No runs this week: if back pain kept you off your feet, start again with short, easy runs on soft ground, "
        "and see a clinician if it has not settled."
    ),
    "keep_going": "A calm week for your back: keep the easy runs on soft, level ground and keep the strength work up.",
}
# worn_shoes when the week's shoe flag said "nearly due" and no shoe is past its limit: "past its limit" would
# contradict the digest's own shoe line (575 km of 600 km)
_NEARLY_DUE = (
    "A shoe is nearly due: running shoes are commonly replaced at about 480-800 km; rotate a new pair in on easy runs."
)
_PRIORITY = (
    "long_run_spike",
    "load_spike",
    "hard_surface",
    "downhill",
    "speed_work",
    "worn_shoes",
    "no_warmup",
    "monotony",
    "low_cross_training",
    "low_strength",
)


_PREVENTION_FIRST = (
    "long_run_spike",
    "load_spike",
    "low_cross_training",
    "worn_shoes",
    "no_warmup",
    "low_strength",
    "monotony",
)


def _monotonous(load: LoadWeek, unit: LoadUnit, thresholds: Thresholds) -> bool:
    """The monotony rule's own test (syncd.domain.rules.monotony): heart-rate load only, and a week under load."""
    if load.monotony is None or unit != "trimp" or load.week_load < thresholds.monotony_min_week_load_trimp:
        return False
    return load.monotony >= thresholds.monotony_caution


def suggest(
    *,
    codes: set[str],
    load: LoadWeek,
    thresholds: Thresholds,
    surface: SurfaceSplit,
    shoes: Sequence[ShoeStatus],
    low_impact: int,
    strength: int,
    runs: int,
    limit: int = 3,
    sore: bool = False,
    load_unit: LoadUnit = "min",
) -> tuple[Suggestion, ...]:
    """One to three suggestions for next week, from the week's flags and totals (RISK-FACTS.md, in priority order).

    Totals can raise a suggestion that no single run's flag raised (e.g. the week's ratio, or two low-impact
    sessions missing when the weekly flag sat on a run the athlete deleted).
    """
    wanted = set(codes)
    if load.acwr is not None and load.acwr > thresholds.acwr_caution:
        wanted.add("load_spike")
    if _monotonous(load, load_unit, thresholds):
        wanted.add("monotony")
    if surface.hard_m > 0 and surface.hard_m >= surface.soft_m:
        wanted.add("hard_surface")
    if any(shoe.over for shoe in shoes):
        wanted.add("worn_shoes")
    if runs and low_impact < thresholds.low_impact_sessions_per_week:
        wanted.add("low_cross_training")
    if runs and strength < thresholds.strength_sessions_per_week:
        wanted.add("low_strength")
    # sore now: surface, downhill and speed work are the levers; staying well: prevention leads and those three are
    # left out (RISK-FACTS.md, "Two situations")
    priority = _PRIORITY if sore else _PREVENTION_FIRST
    texts = _SUGGESTIONS if any(shoe.over for shoe in shoes) else {**_SUGGESTIONS, "worn_shoes": _NEARLY_DUE}
    chosen = [Suggestion(code, texts[code]) for code in priority if code in wanted][:limit]
    if not chosen:
        code = "keep_going" if runs else "rest_week"
        chosen = [Suggestion(code, _SUGGESTIONS[code])]
    return tuple(chosen)


def build_digest(
    *,
    athlete_name: str,
    week_monday: date,
    runs: Sequence[WeekRun],
    history: Sequence[HistoryEntry],
    gear: Sequence[Gear],
    thresholds: Thresholds,
    week: WeekCounts | None = None,
    zone: tzinfo = UTC,
    units: str = "metric",
    feed_url: str | None = None,
    max_hr: float | None = None,
    mode: str = "staying well",
    mode_reason: str = "no back pain logged",
    pain_pattern: str | None = None,
    red_flag: str | None = None,
) -> Digest:
    """The digest of the local calendar week starting `week_monday` (in `zone`): `runs` are the week's runs; `history`
    covers the 8 trend weeks and 42 days before them; `gear`, `week`, the mode: the state as the week ended."""
    if week_monday.weekday() != 0:
        raise ValueError(f"build_digest: {week_monday} is not a Monday; pass week_start(day)")
    sunday = week_monday + timedelta(days=6)
    week_runs = [r for r in runs if r.sport.is_run and week_monday <= r.start_local.date() <= sunday]
    unit, trend = load_trend(history, week_monday, max_hr=max_hr, thresholds=thresholds, zone=zone)
    counts = week or week_counts(history, week_start(week_monday), min_session_min=thresholds.min_session_min)
    label = iso_week_label(week_monday)
    groups = group_flags(week_runs, mode=AdviceMode.SORE if mode == "sore" else AdviceMode.STAYING_WELL, week=label)
    digest = Digest(
        athlete_name=athlete_name,
        week=label,
        week_start=week_monday,
        week_end=sunday,
        units=units,
        runs=len(week_runs),
        distance_m=sum(r.distance_m or 0.0 for r in week_runs),
        duration_s=sum(r.duration_s or 0.0 for r in week_runs),
        flag_count=sum(len(group.runs) for group in groups),
        flag_groups=groups,
        surface=surface_split(week_runs),
        downhill_m=week_descent_m(week_runs),
        speed_sessions=sum(1 for r in week_runs if _flag(r, FlagCode.SPEED_WORK) is not None),
        load_unit=unit,
        load_trend=trend,
        low_impact=counts.low_impact,
        low_impact_target=thresholds.low_impact_sessions_per_week,
        strength=counts.strength,
        strength_target=thresholds.strength_sessions_per_week,
        shoes=shoe_statuses(gear, thresholds),
        suggestions=(),
        feed_url=feed_url,
        mode=mode,
        mode_reason=mode_reason,
        pain_pattern=pain_pattern,
        red_flag=red_flag,
        runs_awaiting_streams=sum(1 for r in week_runs if r.awaiting_streams),
    )
    return replace(digest, suggestions=_suggestions(digest, trend[-1], thresholds))


def _suggestions(digest: Digest, load: LoadWeek, thresholds: Thresholds) -> tuple[Suggestion, ...]:
    return suggest(
        codes={group.code.value for group in digest.flag_groups},
        load=load,
        thresholds=thresholds,
        surface=digest.surface,
        shoes=digest.shoes,
        low_impact=digest.low_impact,
        strength=digest.strength,
        runs=digest.runs,
        sore=digest.mode == "sore",
        load_unit=digest.load_unit,
    )
