"""What preceded the flare-ups: the week before each flare-up against the other weeks, in one runner's diary.

Built for small, dependent, personal data (docs/pain.md, "What preceded the flare-ups"):
- The unit is the **week before a diary entry** (the 7 days before its day; a tag written on a run adds that
  day's runs before it). A *flare-up week* ends in a painful entry (score >= `painful_from`) with no painful entry
  in the week before; an *other week* ends in an entry below `painful_from` outside a flare-up. Weeks never
  overlap: flare-ups always count, other weeks are taken at least 7 days apart and clear of the flare-ups.
- **Sore-mode weeks are left out**: when any of a week's days was in sore mode (the advice then drops speed work,
  hills and hard surfaces) its low exposures say what the advice asked for, not what keeps the back well
  (confounding by indication). They are counted and shown.
- **Missing is not 0**: a week with a run whose figure was never measured (no streams, no annotation, no surface
  map) has no value for that exposure unless the measured runs already cross the line; it is left out of that
  exposure's comparison and named.
- **The test** keeps the weeks' order: the flare-up labels are rotated and reversed against the exposures (every
  circular shift and its mirror image, 2n alignments), which keeps the autocorrelation of training blocks and of
  seasonal pain. The statistic is the difference in the share of exposed weeks (not standardised: see
  `differences`); the five exposures are handled together by a **Westfall-Young step-down maxT**, each exposure
  judged against the maximum over itself and the weaker ones in every alignment, so looking at five exposures costs
  what it should (family-wise 5 %) and a second pattern is not penalised for the first.
- Shares carry **Wilson 95 % intervals**, honest at n = 3.
- **Power from the runner's own counts**: whether a strong pattern (risk 0.12 -> 0.62 after an exposure found in a
  third of weeks) would most likely be detected with these counts; if not, how many more weeks are needed. Below
  that the analysis says "too few entries to tell yet", never "nothing stands out".
Findings are associations in one runner's diary, never causes, and are worded that way.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from statistics import NormalDist
from typing import TYPE_CHECKING, Literal

from syncd.domain.as_of import day_load
from syncd.domain.history import History, HistoryEntry
from syncd.domain.load import LoadCheck
from syncd.domain.model import Sport
from syncd.domain.pain import PainEntry
from syncd.domain.thresholds import Thresholds

if TYPE_CHECKING:
    from syncd.domain.model import FloatArray

VERSION = 4  # 4: the load ratio is the as-of state's (domain.as_of.day_load)
WEEK = 7


@dataclass(frozen=True, slots=True)
class ExposureSession:
    """One activity as the analysis sees it (the service fills it from the store and the run's stored flags).

    None means "not measured for this run" (no streams, no annotation, no surface map): never read as 0.
    """

    start_utc: datetime
    day: date  # local date
    sport: Sport
    duration_s: float = 0.0
    hard_m: float | None = 0.0  # paved metres the surface rule measured (0: measured, not a mostly paved run)
    descent_m: float | None = 0.0  # descent of the downhill rule's cleaned profile on runs it flagged, else 0
    speed: bool | None = False  # the speed-work rule flagged it
    spike: bool | None = False  # the long-run-spike rule flagged it (None: it could not judge, e.g. no month before)


@dataclass(frozen=True, slots=True)
class LoadInputs:
    """What the load of a day is computed from, as the as-of state computes it (`domain.as_of.day_load`): the
    athlete's history (the stored rows, each twin group once), the zone their days end in, their maximum heart rate
    (TRIMP when set). Without it (synthetic diaries) the sessions themselves are the history, in UTC."""

    history: History
    zone: tzinfo = UTC
    max_hr: float | None = None


@dataclass(frozen=True, slots=True)
class Window:
    """The sessions of one week before an entry, and the load as that week's last day ended."""

    sessions: Sequence[ExposureSession]
    as_of: date  # the week's last day
    load: LoadCheck  # the as-of state's guarded 7/28-day load on `as_of`


Value = Callable[[Window, "AnalysisSettings"], float | None]


@dataclass(frozen=True, slots=True)
class Exposure:
    key: str
    label: str  # "speed sessions"
    unit: str  # "" for counts
    cutoff: float  # a week is exposed when value >= cutoff (more_is_risky) or < cutoff (otherwise)
    more_is_risky: bool
    phrase: str  # "a week with 2+ speed sessions"
    value: Value

    def exposed(self, value: float) -> bool:
        return value >= self.cutoff if self.more_is_risky else value < self.cutoff


def _runs(w: Window) -> list[ExposureSession]:
    return [s for s in w.sessions if s.sport.is_run]


def _run_sum(pick: Callable[[ExposureSession], float | None], cutoff: float) -> Value:
    """The week's total over its runs; unknown when a run was not measured, unless the rest already reach the line."""

    def value(w: Window, _s: AnalysisSettings) -> float | None:
        figures = [pick(s) for s in _runs(w)]
        known = sum(f for f in figures if f is not None)
        return known if None not in figures or known >= cutoff else None

    return value


def _load_ratio(w: Window, _s: AnalysisSettings) -> float | None:
    """The guarded acute:chronic ratio of running the as-of state gives for the week's last day (the digest's and
    the diary page's): None without enough history or after a break, where a ratio is noise."""
    return w.load.ratio if w.load.status == "ratio" else None


EXPOSURES: tuple[Exposure, ...] = (
    Exposure("speed_sessions", "speed sessions", "", 2.0, True, "a week with 2+ speed sessions",
             _run_sum(lambda r: None if r.speed is None else float(r.speed), 2.0)),
    Exposure("descent_m", "descent on hilly runs", "m", 200.0, True, "a week with 200+ m of descent on hilly runs",
             _run_sum(lambda r: r.descent_m, 200.0)),
    Exposure("hard_km", "km on mostly paved runs", "km", 20.0, True, "a week with 20+ km on mostly paved runs",
             _run_sum(lambda r: None if r.hard_m is None else r.hard_m / 1000.0, 20.0)),
    Exposure("long_run_spikes", "long-run spikes", "", 1.0, True, "a week with a long-run spike (over 10 % past "
             "the month's longest run)", _run_sum(lambda r: None if r.spike is None else float(r.spike), 1.0)),
    Exposure("load_ratio", "load ratio", "", 1.3, True, "a week with a load ratio of 1.3+ (its running vs the 3 "
             "weeks before)", _load_ratio),
)  # fmt: skip

# The strong pattern the power check asks about (docs/pain.md): the exposure in a third of weeks, a flare-up after
# 62 % of exposed weeks and 12 % of the others (the planted relation of the tests).
STRONG_PREVALENCE, STRONG_RISK_EXPOSED, STRONG_RISK_OTHER = 1 / 3, 0.62, 0.12
TARGET_POWER = 0.8


@dataclass(frozen=True, slots=True)
class AnalysisSettings:
    painful_from: int = 4
    window_days: int = 7  # how long a painful entry keeps the advice in sore mode ([advice] window_days)
    alpha: float = 0.05  # family-wise, over all exposures
    min_weeks_per_group: int = 2  # an exposure with fewer known weeks in a group is not tested
    thresholds: Thresholds = field(default_factory=Thresholds)


@dataclass(frozen=True, slots=True)
class Week:
    """The week before one diary entry: a flare-up week or another week, and the exposures in it."""

    day: date  # the entry's day; the week is the 7 days before it
    flare: bool
    sore: bool  # some of its days were in sore mode: shown, left out of the comparison
    values: dict[str, float | None]

    @property
    def first_day(self) -> date:
        return self.day - timedelta(days=WEEK)

    def exposed(self, exposure: Exposure) -> bool | None:
        value = self.values.get(exposure.key)
        return None if value is None else exposure.exposed(value)


@dataclass(frozen=True, slots=True)
class Share:
    """k of n weeks, with a Wilson 95 % interval."""

    k: int
    n: int

    @property
    def value(self) -> float:
        return self.k / self.n if self.n else math.nan

    @property
    def interval(self) -> tuple[float, float]:
        return wilson(self.k, self.n)


@dataclass(frozen=True, slots=True)
class Comparison:
    exposure: Exposure
    flare: Share  # flare-up weeks that were exposed
    other: Share  # other weeks that were exposed
    difference: float  # share of exposed flare-up weeks minus share of exposed other weeks (the test statistic)
    p_value: float  # family-wise, Westfall-Young step-down over the maximum statistic of the exposures
    finding: bool
    missing: tuple[date, ...]  # compared weeks without a value for this exposure (their entry days)

    @property
    def tested(self) -> bool:
        return not math.isnan(self.p_value)


Status = Literal["no_entries", "no_flare_ups", "too_few", "finding", "no_pattern"]


@dataclass(frozen=True, slots=True)
class Power:
    detectable: bool  # a strong pattern would most likely (80 %) be found with these counts
    weeks_needed: int  # compared weeks such a pattern needs (at this runner's share of flare-up weeks)
    more_weeks: int  # about how many more weeks with diary entries that takes (0 when detectable)


@dataclass(frozen=True, slots=True)
class PainAnalysis:
    status: Status
    settings: AnalysisSettings
    weeks: tuple[Week, ...]  # every candidate week in date order, sore ones included (the chart shows them)
    comparisons: tuple[Comparison, ...]
    alignments: int  # how many orderings the test compared the diary with
    power: Power

    @property
    def compared(self) -> tuple[Week, ...]:
        return tuple(w for w in self.weeks if not w.sore)

    @property
    def flare_ups(self) -> int:
        return sum(w.flare for w in self.compared)

    @property
    def other_weeks(self) -> int:
        return sum(not w.flare for w in self.compared)

    @property
    def sore_weeks(self) -> tuple[Week, ...]:
        return tuple(w for w in self.weeks if w.sore)

    @property
    def findings(self) -> tuple[Comparison, ...]:
        """Findings, the strongest first."""
        return tuple(sorted((c for c in self.comparisons if c.finding), key=lambda c: (c.p_value, -c.difference)))

    def sentences(self) -> tuple[str, ...]:
        """At most three plain sentences, the strongest association first (docs/pain.md)."""
        from syncd.domain.pain_wording import sentences

        return sentences(self)

    def digest_sentence(self) -> str | None:
        """The digest's one sentence, the page's first: the strongest finding, else the power-aware status ("too few
        entries to tell yet: about N more weeks ..."); None without diary entries (the digest then says nothing)."""
        if self.status == "no_entries":
            return None
        return self.sentences()[0]


def wilson(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """Wilson score interval of k successes in n (0..1); (0, 1) when n is 0."""
    if n <= 0:
        return 0.0, 1.0
    p = k / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


# ---- the weeks --------------------------------------------------------------------------------------------------


def _day_scores(entries: Sequence[PainEntry]) -> dict[date, int]:
    by_day: dict[date, int] = {}
    for entry in entries:
        by_day[entry.day] = max(entry.score, by_day.get(entry.day, 0))
    return by_day


def sore_days(entries: Sequence[PainEntry], settings: AnalysisSettings) -> set[date]:
    """Days the diary put the advice in sore mode: a painful entry within `window_days` up to the day, not followed
    by a lower one on a later day (the rule of `advice_mode.choose_mode`, one pass over the days)."""
    scores = _day_scores(entries)
    if not scores:
        return set()
    painful = {d for d, v in scores.items() if v >= settings.painful_from}
    low = {e.day for e in entries if e.score < settings.painful_from}
    result: set[date] = set()
    last_painful: date | None = None
    last_low: date | None = None
    day, end = min(scores), max(scores) + timedelta(days=settings.window_days)
    while day <= end:
        if day in painful:
            last_painful = day
        if day in low:
            last_low = day
        recent = last_painful is not None and (day - last_painful).days < settings.window_days
        if recent and not (last_low is not None and last_painful is not None and last_low > last_painful):
            result.add(day)
        day += timedelta(days=1)
    return result


def _pick_days(scores: dict[date, int], s: AnalysisSettings) -> list[tuple[date, bool]]:
    """(entry day, flare-up onset) of the weeks to compare: every onset (a painful entry after a week without
    one), and other entry days at least a week after the last pick and a week before the next onset, so no two
    weeks overlap. Entries inside a flare-up are picked too; their weeks are in sore mode and left out."""
    painful = sorted(d for d, v in scores.items() if v >= s.painful_from)
    onsets = [d for i, d in enumerate(painful) if i == 0 or (d - painful[i - 1]).days > WEEK]
    onset_set = set(onsets)
    picked: list[tuple[date, bool]] = []
    last: date | None = None
    for day in sorted(scores):
        if day not in onset_set:
            if last is not None and (day - last).days < WEEK:
                continue
            following = bisect_right(onsets, day)
            if following < len(onsets) and (onsets[following] - day).days < WEEK:
                continue
        picked.append((day, day in onset_set))
        last = day
    return picked


def _history(sessions: Sequence[ExposureSession]) -> list[HistoryEntry]:
    """The sessions as load history; the offset is whole days, enough to keep each session's local day."""
    return [
        HistoryEntry(
            ("analysis", str(i)), s.sport, s.start_utc, (s.day - s.start_utc.date()).days * 86400, s.duration_s
        )
        for i, s in enumerate(sessions)
    ]


def _weeks(
    entries: Sequence[PainEntry], sessions: Sequence[ExposureSession], s: AnalysisSettings, load: LoadInputs | None
) -> list[Week]:
    scores = _day_scores(entries)
    tagged_runs = {e.day: e.activity_start_utc for e in entries if e.activity_start_utc is not None}
    ordered = sorted(sessions, key=lambda x: (x.day, x.start_utc))
    days = [x.day.toordinal() for x in ordered]  # ints bisect faster than dates
    load = load or LoadInputs(History(_history(ordered)))
    sore = sore_days(entries, s)
    weeks = []
    for day, flare in _pick_days(scores, s):
        first = day - timedelta(days=WEEK)
        at, begin, end = day.toordinal(), bisect_left(days, day.toordinal() - WEEK), bisect_left(days, day.toordinal())
        chosen = list(ordered[begin:end])
        if (tag_start := tagged_runs.get(day)) is not None:
            chosen += [x for x in ordered[end : bisect_right(days, at)] if x.start_utc < tag_start]
        as_of = day - timedelta(days=1)
        window = Window(chosen, as_of, day_load(load.history, as_of, load.zone, s.thresholds, max_hr=load.max_hr))
        values = {e.key: e.value(window, s) for e in EXPOSURES}
        in_sore = any(first + timedelta(days=i) in sore for i in range(WEEK))
        weeks.append(Week(day, flare, in_sore, values))
    return weeks


# ---- the test ---------------------------------------------------------------------------------------------------


def _matrix(weeks: Sequence[Week]) -> tuple[FloatArray, FloatArray]:
    """y (1 = flare-up week) and X (weeks x exposures: 1 exposed, 0 not, NaN unknown)."""
    import numpy as np  # only when an analysis runs: `syncd pain --list` loads none of it (issue 32)

    y = np.array([w.flare for w in weeks], dtype=np.float64)
    x = np.array(
        [[np.nan if (v := w.exposed(e)) is None else float(v) for e in EXPOSURES] for w in weeks], dtype=np.float64
    ).reshape(len(weeks), len(EXPOSURES))
    return y, x


def alignments(y: FloatArray) -> FloatArray:
    """Every circular shift of y and of y reversed (the first row is y itself): orderings that keep how alike
    neighbouring weeks are, so a season or a training block cannot pass for a pattern."""
    import numpy as np  # only when an analysis runs: `syncd pain --list` loads none of it (issue 32)

    n = len(y)
    index = (np.arange(n)[None, :] - np.arange(n)[:, None]) % n
    return np.vstack([y[index], y[::-1][index]])


def differences(labels: FloatArray, x: FloatArray, min_n: int) -> FloatArray:
    """The share of exposed weeks among flare-up weeks minus among the other weeks, per row of `labels` and per
    exposure; 0 where a group has fewer than `min_n` known weeks.

    Not standardised on purpose: divided by its standard error, an exposure seen in only a few weeks (a long-run
    spike, a load ratio over 1.3) swings far in some alignments by chance (3 of 3 exposed weeks before flare-ups
    reads as z ~ 3), and through the maximum over exposures that tail would raise the bar for every other one.
    The plain difference is what the page draws, and the alignments calibrate each exposure's spread."""
    import numpy as np  # only when an analysis runs: `syncd pain --list` loads none of it (issue 32)

    known = ~np.isnan(x)
    m = known.astype(np.float64)
    xz = np.where(known, x, 0.0)
    n1 = labels @ m
    n0 = m.sum(axis=0) - n1
    k1 = labels @ xz
    k0 = xz.sum(axis=0) - k1
    with np.errstate(divide="ignore", invalid="ignore"):
        d = k1 / n1 - k0 / n0
    return np.where((n1 >= min_n) & (n0 >= min_n), d, 0.0)


def _p_value(statistic: FloatArray, tie_break: FloatArray) -> float:
    """Share of alignments (the diary's own order, row 0, included) whose statistic reaches the diary's; alignments
    with the same statistic are ordered by `tie_break`, and only an exact tie on both counts against the diary.

    Differences of counts tie often across a few dozen alignments: counting every tie against the diary makes the
    test much stricter than its level, counting ties half (the mid-p) lets it exceed its level by up to half an
    alignment. A second statistic that orders them keeps the test exact: any fixed function of the aligned data
    is a valid statistic for the rotation test."""
    top, second = float(statistic[0]), float(tie_break[0])
    tied = abs(statistic - top) <= 1e-12
    reaches = (statistic > top + 1e-12) | (tied & (tie_break >= second - 1e-12))
    return int(reaches.sum()) / len(statistic)


def step_down(d: FloatArray) -> FloatArray:
    """Westfall-Young step-down maxT, family-wise p per exposure from `d` (alignments x exposures, row 0 the diary's
    own order): the exposures in order of their observed statistic, each against the largest difference over itself
    and those below it in every alignment (ties ordered by the mean difference over the same exposures), p-values
    kept non-decreasing. The strongest exposure meets the maximum over all; once it is accounted for, the next meets
    the maximum over the rest, so a second real pattern is not penalised for the first."""
    import numpy as np  # only when an analysis runs: `syncd pain --list` loads none of it (issue 32)

    order = np.argsort(-d[0], kind="stable")
    p = np.ones(d.shape[1])
    floor = 0.0
    for rank, exposure in enumerate(order):
        rest = d[:, order[rank:]]
        floor = max(floor, _p_value(rest.max(axis=1), rest.mean(axis=1)))
        p[exposure] = floor
    return p


def _test(weeks: Sequence[Week], s: AnalysisSettings) -> tuple[FloatArray, FloatArray, int]:
    """(difference per exposure, family-wise p per exposure (NaN: not tested), number of alignments)."""
    import numpy as np  # only when an analysis runs: `syncd pain --list` loads none of it (issue 32)

    y, x = _matrix(weeks)
    labels = alignments(y)
    d = differences(labels, x, s.min_weeks_per_group)
    p = step_down(d)
    known = ~np.isnan(x)
    n1, n0 = (known & (y[:, None] == 1)).sum(axis=0), (known & (y[:, None] == 0)).sum(axis=0)
    tested = (n1 >= s.min_weeks_per_group) & (n0 >= s.min_weeks_per_group)
    return d[0], np.where(tested, np.where(d[0] > 0, p, 1.0), np.nan), len(labels)


def _compare(weeks: Sequence[Week], d: FloatArray, p: FloatArray, s: AnalysisSettings) -> tuple[Comparison, ...]:
    result = []
    for index, exposure in enumerate(EXPOSURES):
        marks = [(w, w.exposed(exposure)) for w in weeks]
        flare = [e for w, e in marks if w.flare and e is not None]
        other = [e for w, e in marks if not w.flare and e is not None]
        missing = tuple(w.day for w, e in marks if e is None)
        p_value = float(p[index])
        finding = bool(p_value <= s.alpha and d[index] > 0)
        result.append(
            Comparison(exposure, Share(sum(flare), len(flare)), Share(sum(other), len(other)), float(d[index]),
                       p_value, finding, missing)
        )  # fmt: skip
    return tuple(result)


def power(flare_weeks: int, other_weeks: int, exposures: int, s: AnalysisSettings, per_week: float = 1.0) -> Power:
    """Would a strong pattern most likely show with these counts? Normal approximation of the test above: the
    standardised difference a strong pattern gives against the one-sided line of `exposures` tests (Bonferroni,
    about the maximum statistic's bar for an exposure seen in a third of weeks), and at least 1/alpha alignments.
    `per_week`: diary weeks it takes so far to get one compared week (sore weeks and entries inside a flare-up are
    not compared)."""
    q, r1, r0 = STRONG_PREVALENCE, STRONG_RISK_EXPOSED, STRONG_RISK_OTHER
    delta = q * r1 / (q * r1 + (1 - q) * r0) - q * (1 - r1) / (q * (1 - r1) + (1 - q) * (1 - r0))
    normal = NormalDist()
    needed_z = normal.inv_cdf(1 - s.alpha / max(exposures, 1)) + normal.inv_cdf(TARGET_POWER)
    n = flare_weeks + other_weeks
    share = min(max(flare_weeks / n if n else 0.25, 0.15), 0.5)
    variance = q * (1 - q) / (share * (1 - share))
    weeks_needed = max(math.ceil(variance * (needed_z / delta) ** 2), math.ceil(1 / (2 * s.alpha)) + 1)
    if flare_weeks and other_weeks:
        z = delta / math.sqrt(q * (1 - q) * (1 / flare_weeks + 1 / other_weeks))
        if z >= needed_z and 2 * n * s.alpha >= 1:
            return Power(True, weeks_needed, 0)
    return Power(False, weeks_needed, max(math.ceil((weeks_needed - n) * max(per_week, 1.0)), 1))


def analyse(
    entries: Sequence[PainEntry],
    sessions: Sequence[ExposureSession],
    settings: AnalysisSettings = AnalysisSettings(),
    load: LoadInputs | None = None,
) -> PainAnalysis:
    """Compare the weeks before flare-ups with the other weeks, for one athlete; `load`: the stored history the
    as-of state reads (None: the sessions, in UTC)."""
    import numpy as np  # only when an analysis runs: `syncd pain --list` loads none of it (issue 32)

    weeks = tuple(_weeks(entries, sessions, settings, load))
    compared = [w for w in weeks if not w.sore]
    flare_ups = sum(w.flare for w in compared)
    d, p, count = _test(compared, settings) if compared else (np.zeros(0), np.zeros(0), 0)
    comparisons = _compare(compared, d, p, settings) if compared else ()
    tested = sum(c.tested for c in comparisons) or len(EXPOSURES)
    diary_weeks = len({e.day - timedelta(days=e.day.weekday()) for e in entries})
    per_week = diary_weeks / len(compared) if compared else 1.0
    powered = power(flare_ups, len(compared) - flare_ups, tested, settings, per_week)
    status: Status
    if not entries:
        status = "no_entries"
    elif flare_ups == 0:
        status = "no_flare_ups"
    elif any(c.finding for c in comparisons):
        status = "finding"
    elif not powered.detectable:
        status = "too_few"
    else:
        status = "no_pattern"
    return PainAnalysis(status, settings, weeks, comparisons, count, powered)
