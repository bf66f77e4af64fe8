"""Feed view-models: what the web pages, the Atom feed and the JSON API show, built from the store's feed rows.

Formatting lives here (not in templates) so the HTML, the Atom entries and any future client render the same
words: the flag titles and one-line evidence come from `syncd.domain.notes`, units follow the athlete's choice.
The weekly strip uses `syncd.domain.load` exactly as the load rules do (run load in minutes, the guarded
`check_load` verdict with the `[rules]` thresholds, calendar-week counts of low-impact and strength sessions
against the `[rules]` targets), so the strip never shows a ratio the notes would not. Non-runs get no flags
(the rules are for runs); their card says what they are and counts them toward the same weekly targets.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, timedelta, tzinfo
from typing import TYPE_CHECKING

from syncd.domain.as_of import AsOf, end_of_day, state_as_of
from syncd.domain.evidence import EvidenceItem, evidence_items
from syncd.domain.flags import Flag, FlagCode
from syncd.domain.history import HISTORY_WINDOW, History, HistoryEntry
from syncd.domain.load import (
    LoadStatus,
    WeekCounts,
    daily_load,
    iso_week_label,
    week_counts,
    week_start,
)
from syncd.domain.model import LOW_IMPACT_SPORTS, RUN_SPORTS, STRENGTH_SPORTS, Gear, Sport
from syncd.domain.notes import TITLES, finding_line
from syncd.domain.rules.registry import LABELS
from syncd.domain.thresholds import Thresholds
from syncd.domain.units import Units, format_distance, format_duration
from syncd.logging import redact_text
from syncd.lru import Lru
from syncd.records import (
    FeedCursor,
    FeedFilter,
    FeedPage,
    FeedRow,
)
from syncd.services.as_of import athlete_zone
from syncd.services.athletes import max_heart_rate_of
from syncd.services.history import history_between

if TYPE_CHECKING:
    from syncd.ports import AccountRepository, ActivityReadRepository, AthleteRepository, HistoryReader

STRIP_WEEKS = 8
WRITEBACK_LABELS = {
    "pending": "queued",
    "claimed": "sending",
    "done": "written",
    "failed": "failed",
    "held": "not written",
}


@dataclass(frozen=True, slots=True)
class FeedReads:
    """The repositories the feed's pages, the Atom feed and the JSON API read (the web app passes the Store's)."""

    athletes: AthleteRepository
    activity_reads: ActivityReadRepository
    history: HistoryReader


def check_flag(code: str) -> str:
    try:
        return FlagCode(code).value
    except ValueError:
        raise ValueError(f"unknown flag {code!r}: use one of {', '.join(c.value for c in FlagCode)}") from None


def check_sport(name: str) -> str:
    try:
        return Sport(name).value
    except ValueError:
        raise ValueError(f"unknown sport {name!r}: use one of {', '.join(s.value for s in Sport)}") from None


FLAG_TITLES: dict[str, str] = {code.value: TITLES.get(code, code.value) for code in FlagCode}
SPORT_LABELS: dict[str, str] = {
    Sport.RUN: "Run",
    Sport.TRAIL_RUN: "Trail run",
    Sport.TREADMILL_RUN: "Treadmill run",
    Sport.TRACK_RUN: "Track run",
    Sport.VIRTUAL_RUN: "Virtual run",
    Sport.RIDE: "Ride",
    Sport.SWIM: "Swim",
    Sport.WALK: "Walk",
    Sport.HIKE: "Hike",
    Sport.ELLIPTICAL: "Elliptical",
    Sport.ROW: "Row",
    Sport.STRENGTH: "Strength",
    Sport.YOGA: "Yoga",
    Sport.OTHER: "Other",
}


def sport_label(sport: str) -> str:
    return SPORT_LABELS.get(sport, sport.replace("_", " ").capitalize())


def _units(value: str) -> Units:
    return "imperial" if value == "imperial" else "metric"


@dataclass(frozen=True, slots=True)
class FlagView:
    code: str
    title: str
    severity: str
    confidence: str
    evidence_line: str
    advice: str
    flag: Flag
    evidence: tuple[EvidenceItem, ...]


def flag_view(flag: Flag, units: Units) -> FlagView:
    try:
        line = finding_line(flag, units)
    except (TypeError, ValueError):  # a malformed stored evidence value must not break the page
        line = ""
    return FlagView(
        code=flag.code.value,
        title=TITLES.get(flag.code, flag.code.value),
        severity=flag.severity.value,
        confidence=flag.confidence.value,
        evidence_line=line,
        advice=flag.advice,
        flag=flag,
        evidence=tuple(evidence_items(flag.evidence, units, LABELS.get(flag.code))),
    )


@dataclass(frozen=True, slots=True)
class WriteBackView:
    provider: str
    status: str
    label: str


@dataclass(frozen=True, slots=True)
class SessionView:
    """What a non-run is for the back-care advice: a low-impact or strength session counted toward its weekly
    target (RISK-FACTS.md: low-impact 2/week, core/strength 3/week), or another activity that counts toward none."""

    kind: str  # low_impact | strength | other
    label: str  # "Low-impact cross-training"
    week: str
    count: int | None  # sessions of this kind in the activity's week (None: not counted toward a target)
    target: int | None

    @property
    def met(self) -> bool:
        return self.count is not None and self.target is not None and self.count >= self.target


SESSION_LABELS = {
    "low_impact": "Low-impact cross-training",
    "strength": "Core/strength session",
    "other": "Other activity",
}


def session_kind(sport: str) -> str | None:
    """low_impact | strength | other for a non-run; None for a run (runs get flags instead)."""
    try:
        value = Sport(sport)
    except ValueError:
        return "other"
    if value in RUN_SPORTS:
        return None
    if value in LOW_IMPACT_SPORTS:
        return "low_impact"
    if value in STRENGTH_SPORTS:
        return "strength"
    return "other"


@dataclass(frozen=True, slots=True)
class CardView:
    id: int
    athlete_id: int
    athlete_name: str
    title: str
    sport: str
    sport_label: str
    when: str
    when_iso: str
    week: str
    units: Units
    distance: str | None
    duration: str | None
    annotated: bool
    flags: tuple[FlagView, ...]
    note: str | None
    writebacks: tuple[WriteBackView, ...]
    row: FeedRow
    session: SessionView | None = None  # set for non-runs
    key: tuple[object, ...] | None = None  # everything the card shows (card_key); None: not cacheable

    @property
    def is_run(self) -> bool:
        return session_kind(self.sport) is None


def _shown(value: float | None, render: Callable[[float], str]) -> str | None:
    """A platform can send NaN or negative figures; the card leaves them out rather than failing."""
    return render(value) if value is not None and math.isfinite(value) and value > 0 else None


_ROW_FIELDS = tuple(f.name for f in dataclasses.fields(FeedRow) if f.name != "flags")


def card_key(row: FeedRow, session: SessionView | None) -> tuple[object, ...] | None:
    """Every value a card is made from, hashable (the flags as their stored text); None when the row's flags
    did not come from the store as text, so nothing can stand for them."""
    if row.flags is not None and row.flags_json is None:
        return None
    return (*(getattr(row, name) for name in _ROW_FIELDS), session)


_CARDS: Lru[tuple[object, ...], CardView] = Lru(2048)


def card_view(row: FeedRow, session: SessionView | None = None) -> CardView:
    """The card of `row`, made once per distinct content (a feed page is 50 of them on every request)."""
    key = card_key(row, session)
    if key is None:
        return _card_view(row, session, None)
    return _CARDS.get(key, lambda: _card_view(row, session, key))


def _card_view(row: FeedRow, session: SessionView | None, key: tuple[object, ...] | None) -> CardView:
    units = _units(row.athlete_units)
    flags = tuple(sorted(row.flags or (), key=lambda f: -f.severity.rank))
    week = iso_week_label(row.start_local.date())
    kind = session_kind(row.sport)
    if session is None and kind is not None:
        session = SessionView(kind, SESSION_LABELS[kind], week, None, None)
    return CardView(
        id=row.id,
        athlete_id=row.athlete_id,
        athlete_name=row.athlete_name,
        title=row.name or sport_label(row.sport),
        sport=row.sport,
        sport_label=sport_label(row.sport),
        when=row.start_local.strftime("%a %d %b %Y, %H:%M"),
        when_iso=row.start_utc.isoformat(),
        week=week,
        units=units,
        distance=_shown(row.distance_m, lambda m: format_distance(m, units)),
        duration=_shown(row.duration_s, format_duration),
        annotated=row.flags is not None,
        flags=tuple(flag_view(f, units) for f in flags),
        note=row.note,
        writebacks=tuple(
            WriteBackView(w.provider, w.status, WRITEBACK_LABELS.get(w.status, w.status)) for w in row.writebacks
        ),
        row=row,
        session=session,
        key=key,
    )


def session_views(reads: FeedReads, rows: list[FeedRow], thresholds: Thresholds) -> dict[int, SessionView]:
    """For each non-run row, its kind and its week's count of that kind against the `[rules]` target.

    One history query per athlete on the page, spanning the weeks shown, counted exactly as the weekly-balance
    rules count (`syncd.domain.load.week_counts`: local calendar weeks, twins once).
    """
    wanted: dict[int, set[date]] = {}
    for row in rows:
        if session_kind(row.sport) in ("low_impact", "strength"):
            wanted.setdefault(row.athlete_id, set()).add(week_start(row.start_local.date()))
    counts: dict[tuple[int, date], WeekCounts] = {}
    for athlete_id, mondays in wanted.items():
        zone = athlete_zone(
            reads.activity_reads, reads.athletes.get_athlete(athlete_id)
        )  # a setting, not in the data version: in the key
        # Cached until the data changes, like the strip: the same weeks' history on every request of a page.
        key = ("sessions", athlete_id, frozenset(mondays), thresholds, zone)
        compute = functools.partial(_week_counts, reads, athlete_id, mondays, thresholds, zone)
        weeks = reads.activity_reads.cached(key, compute)
        counts.update({(athlete_id, monday): value for monday, value in weeks.items()})
    views: dict[int, SessionView] = {}
    for row in rows:
        kind = session_kind(row.sport)
        if kind is None:
            continue
        monday = week_start(row.start_local.date())
        found = counts.get((row.athlete_id, monday))
        if kind == "low_impact" and found is not None:
            count, target = found.low_impact, thresholds.low_impact_sessions_per_week
        elif kind == "strength" and found is not None:
            count, target = found.strength, thresholds.strength_sessions_per_week
        else:
            count, target = None, None
        views[row.id] = SessionView(kind, SESSION_LABELS[kind], iso_week_label(monday), count, target)
    return views


def _week_counts(
    reads: FeedReads, athlete_id: int, mondays: set[date], thresholds: Thresholds, zone: tzinfo
) -> dict[date, WeekCounts]:
    """Each week's counts from the athlete's state as the week ended (the strip's and the digest's figure)."""
    start = end_of_day(min(mondays), zone) - timedelta(days=1) - HISTORY_WINDOW
    end = end_of_day(max(mondays) + timedelta(days=6), zone)
    history = History(reads.history.history_rows(athlete_id, start, end))
    return {monday: _week_end(history, monday + timedelta(days=6), thresholds, zone).week for monday in mondays}


# Week states by all they are made of: after a change only the weeks whose history window holds it are built again (the
# strip's 8 and the page's session weeks were all rebuilt on the first request after any change). The entries are
# keyed by identity (the feed's history reads hand back the same entry while its row is unchanged; hashing ~150
# dataclasses per week cost more than it saved); each value holds its entries, so no id is reused while it lives.
_WEEK_STATES: Lru[tuple[object, ...], tuple[tuple[HistoryEntry, ...], AsOf]] = Lru(256)


def _week_end(history: History, day: date, thresholds: Thresholds, zone: tzinfo, max_hr: float | None = None) -> AsOf:
    """The athlete as of the end of `day` in `zone`, from the one builder (no diary, no shoes: not shown here);
    `max_hr` as the notes and the digest take it (`athletes.max_heart_rate_of`): heart-rate load when set."""
    at = end_of_day(day, zone)
    cut = tuple(history.before(at))  # all that state_as_of reads of the history
    key = (at, day, thresholds, max_hr, tuple(map(id, cut)))
    return _WEEK_STATES.get(key, lambda: (cut, state_as_of(history, at, day, thresholds=thresholds, max_hr=max_hr)))[1]


def _by_week(history: list[HistoryEntry]) -> dict[date, list[HistoryEntry]]:
    """History entries per local calendar week (its Monday), each list in history order."""
    weeks: dict[date, list[HistoryEntry]] = {}
    for entry in history:
        weeks.setdefault(week_start(entry.local_date), []).append(entry)
    return weeks


@dataclass(frozen=True, slots=True)
class WeekView:
    week: str
    monday: date
    runs: int
    load: float
    load_unit: str
    acwr: float | None
    low_impact: int
    low_impact_target: int
    strength: int
    strength_target: int
    acwr_level: str = "none"  # none | ok | caution | high, from the configured thresholds
    load_status: LoadStatus = "not_enough_history"
    break_days: int | None = None
    distance: str | None = None  # the week's running distance in the athlete's units

    @property
    def load_note(self) -> str:
        """What the strip shows where there is no ratio to show."""
        if self.load_status == "return_after_break" and self.break_days is not None:
            return f"back after {self.break_days} days off"
        return "not enough history yet"


def weekly_strip(
    history: list[HistoryEntry],
    last_monday: date,
    thresholds: Thresholds,
    *,
    weeks: int = STRIP_WEEKS,
    today: date,
    units: Units = "metric",
    zone: tzinfo = UTC,
    max_hr: float | None = None,
) -> list[WeekView]:
    """The `weeks` calendar weeks ending with the one starting `last_monday`, newest first (pure). Each week's
    counts and load verdict are the athlete's state as of its last day (`domain.as_of`), as the digest shows them;
    only the week's sums (load, distance) are added up here."""
    first_monday = last_monday - timedelta(weeks=weeks - 1)
    # the week's load in the unit the digest's trend chooses (TRIMP when every session has a heart rate and a
    # maximum heart rate is known, else minutes)
    series = daily_load(history, first_monday - timedelta(days=28), last_monday + timedelta(days=6), max_hr=max_hr)
    rows = History(history)
    run_metres: dict[date, float] = {}  # per week, summed in history order: one pass, not one per week
    for e in history:
        if e.sport in RUN_SPORTS and e.distance_m is not None and math.isfinite(e.distance_m) and e.distance_m > 0:
            monday = week_start(e.local_date)
            run_metres[monday] = run_metres.get(monday, 0) + e.distance_m
    strip: list[WeekView] = []
    for index in range(weeks):
        monday = first_monday + timedelta(weeks=index)
        as_of = min(monday + timedelta(days=6), today)
        state = _week_end(rows, as_of, thresholds, zone, max_hr) if as_of >= monday else None
        metres = run_metres.get(monday, 0)
        strip.append(
            _week_view(
                monday,
                state,
                thresholds,
                load=sum(series.between(monday, monday + timedelta(days=6))),
                unit=series.unit,
                distance=format_distance(metres, units) if metres > 0 else None,
            )
        )
    strip.reverse()
    return strip


def _week_view(
    monday: date, state: AsOf | None, thresholds: Thresholds, *, load: float, unit: str, distance: str | None
) -> WeekView:
    """One week of the strip: its counts and load verdict read from its state (None: a week not begun)."""
    counts = week_counts((), monday) if state is None else state.week
    check = None if state is None else state.load
    ratio = None if check is None else check.ratio
    return WeekView(
        week=counts.week,
        monday=monday,
        runs=counts.runs,
        load=round(load),
        load_unit=unit,
        acwr=None if ratio is None else round(ratio, 2),
        low_impact=counts.low_impact,
        low_impact_target=thresholds.low_impact_sessions_per_week,
        strength=counts.strength,
        strength_target=thresholds.strength_sessions_per_week,
        acwr_level="none" if check is None else check.level(thresholds.acwr_caution, thresholds.acwr_high),
        load_status="not_enough_history" if check is None else check.status,
        break_days=None if check is None else check.break_days,
        distance=distance,
    )


def strip_for_athlete(
    reads: FeedReads,
    athlete_id: int,
    thresholds: Thresholds,
    *,
    week: date | None = None,
    default_max_hr: float | None = None,
) -> list[WeekView]:
    """The strip ending at `week` (or the athlete's newest activity's week); empty without activities. Cached until
    the data changes: it reads ~12 weeks of history, the same on every feed request. `default_max_hr`: the
    configured `[athlete] max_heart_rate`, for an athlete without their own."""
    athlete = reads.athletes.get_athlete(athlete_id)
    units = _units(athlete.units)  # athlete settings, not in the data version: in the key
    zone = athlete_zone(reads.activity_reads, athlete)
    max_hr = max_heart_rate_of(athlete, default_max_hr)
    key = ("strip", athlete_id, thresholds, week, units, zone, max_hr)
    compute = functools.partial(_strip, reads, athlete_id, thresholds, week=week, units=units, zone=zone, max_hr=max_hr)
    return list(reads.activity_reads.cached(key, compute))


def _strip(
    reads: FeedReads,
    athlete_id: int,
    thresholds: Thresholds,
    *,
    week: date | None,
    units: Units,
    zone: tzinfo,
    max_hr: float | None,
) -> list[WeekView]:
    newest = reads.activity_reads.latest_start(athlete_id)
    if newest is None:
        return []
    today = newest.date()
    last_monday = week if week is not None else week_start(today)
    # Each week's state reads the HISTORY_WINDOW before its end; a day's margin: weeks are local.
    first_monday = last_monday - timedelta(weeks=STRIP_WEEKS - 1)
    start = end_of_day(first_monday, zone) - timedelta(days=1) - HISTORY_WINDOW
    end = end_of_day(last_monday + timedelta(days=7), zone)
    history = history_between(reads.history, athlete_id, start, end)
    today = max(today, last_monday + timedelta(days=6))
    return weekly_strip(history, last_monday, thresholds, today=today, units=units, zone=zone, max_hr=max_hr)


@dataclass(frozen=True, slots=True)
class FeedView:
    cards: list[CardView]
    page: FeedPage
    strip: list[WeekView]
    sports: list[str]
    flags: list[str]


def build_feed(
    reads: FeedReads,
    feed_filter: FeedFilter,
    thresholds: Thresholds,
    *,
    page: int = 1,
    per_page: int = 50,
    strip_athlete: int | None = None,
    before: FeedCursor | None = None,
    default_max_hr: float | None = None,
) -> FeedView:
    """Everything the feed page shows; the weekly strip only when one athlete is in view."""
    result = reads.activity_reads.feed_page(feed_filter, page=page, per_page=per_page, before=before)
    strip = (
        strip_for_athlete(reads, strip_athlete, thresholds, week=feed_filter.week, default_max_hr=default_max_hr)
        if strip_athlete is not None
        else []
    )
    sessions = session_views(reads, result.rows, thresholds)
    return FeedView(
        cards=[card_view(row, sessions.get(row.id)) for row in result.rows],
        page=result,
        strip=strip,
        sports=reads.activity_reads.sports_in_use(feed_filter.athlete_id),
        flags=[code.value for code in FlagCode],
    )


@dataclass(frozen=True, slots=True)
class ShoeView:
    gear_id: str
    name: str
    distance: str
    limit: str
    share_pct: float
    state: str  # ok | near | over
    retired: bool


def shoe_views(gear: list[Gear], thresholds: Thresholds, units: Units) -> list[ShoeView]:
    views: list[ShoeView] = []
    for item in gear:
        if item.kind != "shoe":
            continue
        limit = item.limit_m or thresholds.shoe_limit_km * 1000.0
        share = 100.0 * item.distance_m / limit if limit > 0 else 0.0
        state = "over" if share >= 100.0 else "near" if share >= thresholds.shoe_nearly_worn_pct else "ok"
        views.append(
            ShoeView(
                gear_id=item.gear_id,
                name=item.name or item.gear_id,
                distance=format_distance(max(item.distance_m, 0.0), units),
                limit=format_distance(limit, units),
                share_pct=round(share, 1),
                state=state,
                retired=item.retired,
            )
        )
    return sorted(views, key=lambda v: (v.retired, -v.share_pct))


@dataclass(frozen=True, slots=True)
class AttentionView:
    """A linked account that is not syncing: its state, why (tokens never appear: records hold none) and the fix."""

    provider: str
    state: str
    message: str
    fix: str


_STATE_DEFAULTS = {"needs_relink": "access was revoked or expired", "error": "syncing keeps failing"}


def accounts_needing_attention(accounts: AccountRepository, athlete_id: int | None) -> list[AttentionView]:
    """Accounts whose state is not "ok", only `athlete_id`'s when one athlete is in view."""
    views = []
    for account in accounts.list_accounts():
        if account.state == "ok" or (athlete_id is not None and account.athlete_id != athlete_id):
            continue
        message = redact_text(account.state_message or _STATE_DEFAULTS.get(account.state, account.state))
        views.append(AttentionView(account.provider, account.state, message, f"syncd link {account.provider}"))
    return views
