"""Render flags as the short advisory note written into an activity's description.

One line per flag, most severe first: a severity mark, what was found with its numbers, then one concrete
alternative (RISK-FACTS.md: every flag shows its evidence and an alternative). A closing line points to a clinician,
because the note is advice and never a diagnosis.

Rules are written independently of this module, so each code has one small formatter that reads its evidence keys
defensively: a missing, non-numeric or non-finite value leaves that number out; it never crashes and never prints
"None". The alternative is a short line per code (SHORT_ADVICE) so a note fits a phone screen; the rule's fuller
`advice` stays on the flag for the JSON output and the feed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Literal

from syncd.domain.flags import Confidence, EvidenceValue, Flag, FlagCode, Severity
from syncd.domain.rules.registry import finding
from syncd.domain.units import (
    Units,
    check_units,
    format_distance,
    format_duration,
)

Evidence = Mapping[str, EvidenceValue]

# A mark at the start of each flag line, so a reader sees severity at a glance and the description merge can drop
# the least severe lines first when a platform's length limit bites. All are single BMP code points that NFC leaves
# alone (Garmin Connect has refused 4-byte emoji in the past).
SEVERITY_MARKS: Mapping[Severity, str] = {
    Severity.HIGH: "\u26a0",  # warning sign
    Severity.CAUTION: "\u25b2",  # black up-pointing triangle
    Severity.INFO: "\u2139",  # information source
}
_MARK_TO_SEVERITY = {mark: severity for severity, mark in SEVERITY_MARKS.items()}

CLEAN_LINE = "No back-care flags on this run."
CLOSING_LINE = "Advice only, not a diagnosis: if back pain persists, see a clinician."

TITLES: Mapping[FlagCode, str] = {
    FlagCode.HARD_SURFACE: "Hard surface",
    FlagCode.DOWNHILL: "Downhill",
    FlagCode.SPEED_WORK: "Speed work",
    FlagCode.NO_WARMUP: "No warm-up",
    FlagCode.WORN_SHOES: "Worn shoes",
    FlagCode.LOAD_SPIKE: "Load spike",
    FlagCode.MONOTONY: "Monotony",
    FlagCode.LOW_CROSS_TRAINING: "Little cross-training",
    FlagCode.LOW_STRENGTH: "Little strength work",
    FlagCode.LONG_RUN_SPIKE: "Long-run spike",
}

# The note's alternative per code: short enough for a phone screen. The rule's own, fuller `advice` travels with the
# flag in the JSON output and the feed. Each traces to a line of RISK-FACTS.md.
SHORT_ADVICE: Mapping[FlagCode, str] = {
    FlagCode.HARD_SURFACE: "Try grass, dirt trails or a treadmill.",
    FlagCode.DOWNHILL: "Keep to level ground; descents land harder.",
    FlagCode.SPEED_WORK: "Jog easy instead until your back settles.",
    FlagCode.NO_WARMUP: "Jog easy ~10 min, add a few drills, then pick up the pace.",
    FlagCode.WORN_SHOES: "Usual replacement: 480\u2013800 km; plan a new pair.",
    FlagCode.LOAD_SPIKE: "Keep the next days easy or take a low-impact day.",
    FlagCode.MONOTONY: "Vary your days: mix in easy or low-impact ones.",
    FlagCode.LOW_CROSS_TRAINING: "Swap a run for a bike, swim, elliptical or walk.",
    FlagCode.LOW_STRENGTH: "Do ~10 reps each of core, hip-flexor and glute work, 3\u00d7/week.",
    FlagCode.LONG_RUN_SPIKE: "Keep the next runs shorter and easy; build by ~10% at a time.",
}
# A shoe nearly at its limit (info) is not yet worn: "replace them" would be premature.
NEARLY_WORN_ADVICE = "Nearly due (usual replacement: 480\u2013800 km): rotate a new pair in on easy runs."
# The replacement range RISK-FACTS.md gives (Cook, Kester & Brunet 1985), in the reader's units.
SHOE_RANGE: Mapping[str, str] = {"metric": "480\u2013800 km", "imperial": "300\u2013500 mi"}
# A low-confidence finding says why it is not certain instead of a bare "(uncertain)".
UNCERTAIN = " (possible; thin evidence)"


def _num(evidence: Evidence, key: str) -> float | None:
    """A finite number from evidence, or None (missing, text, bool, NaN, inf) so the caller leaves it out."""
    value = evidence.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _nonneg(evidence: Evidence, key: str) -> float | None:
    """A finite, non-negative number (distances, counts); descents may be signed, so callers pass abs() values."""
    number = _num(evidence, key)
    return number if number is not None and number >= 0 else None


def _positive(evidence: Evidence, key: str) -> float | None:
    number = _num(evidence, key)
    return number if number is not None and number > 0 else None


def _text(evidence: Evidence, key: str) -> str | None:
    value = evidence.get(key)
    if not isinstance(value, str):
        return None
    cleaned = " ".join(value.split())
    return cleaned or None


def _count(value: float) -> str:
    """Counts are whole numbers; a ratio-like count such as 2.5 keeps one decimal."""
    return str(round(value)) if value == round(value) else f"{value:.1f}"


def _ratio(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".") if value < 10 else f"{value:.1f}"


def _join(parts: Sequence[str | None]) -> str:
    return ", ".join(part for part in parts if part)


_LOAD_UNITS: Mapping[str, str] = {"min": "min", "trimp": "TRIMP"}


def _load_spike(ev: Evidence, units: Units) -> str:
    if _text(ev, "finding") == "return_after_break":
        days = _nonneg(ev, "break_days")
        now = _nonneg(ev, "acute_load")
        before = _nonneg(ev, "before_break_load")
        after = f"back after {round(days)} days without running" if days is not None else "back after a break"
        if now is None or before is None:
            return after
        return f"{after}: {round(now)} min in 7 days vs {round(before)} min a week before the break"
    acwr = _nonneg(ev, "acwr")
    acute = _nonneg(ev, "acute_load")
    chronic = _nonneg(ev, "chronic_load")
    unit = _LOAD_UNITS.get((_text(ev, "load_unit") or "").lower())
    method = _text(ev, "method")
    label = "EWMA " if method is not None and method.lower() == "ewma" else ""
    loads = ""
    if acute is not None and chronic is not None and unit is not None:
        loads = f"{round(acute)} {unit} in 7 days vs {round(chronic)}/week before"
    if acwr is None:
        return loads
    ratio = f"acute:chronic {label}{_ratio(acwr)}"
    return f"{ratio} ({loads}; aim 0.8\u20131.3)" if loads else f"{ratio} (aim 0.8\u20131.3)"


def _monotony(ev: Evidence, units: Units) -> str:
    value = _nonneg(ev, "monotony")
    if value is None:
        return ""
    load = _nonneg(ev, "week_load")
    unit = _LOAD_UNITS.get((_text(ev, "load_unit") or "").lower())
    amount = f", {round(load)} {unit}" if load is not None and unit is not None else ""
    rest = _nonneg(ev, "rest_days")
    # "alike" misread a week of a long run, reps and hills as the same run daily: the figure is about rest and the
    # spread of daily load, so the note says that
    if rest is None:
        what = "little change in load from day to day over these 7 days"
    elif rest == 0:
        what = "no rest day in these 7 days, and little change in load from day to day"
    else:
        days = "1 rest day" if round(rest) == 1 else f"{round(rest)} rest days"
        what = f"only {days} in these 7 days, and little change in load on the others"
    return f"{what} (monotony {_ratio(value)}{amount})"


def _long_run_spike(ev: Evidence, units: Units) -> str:
    """ "21.0 km, 68% longer than your longest run of the previous 30 days (12.5 km); next long run about 13.8 km"."""
    pct = _positive(ev, "longer_pct")
    days = _positive(ev, "window_days")
    window = f"the previous {round(days)} days" if days is not None else "the previous month"
    by_time = _text(ev, "basis") == "time"
    unit = "s" if by_time else "m"
    run, longest, nxt = (_positive(ev, f"{key}_{unit}") for key in ("run", "longest", "next"))

    def show(value: float) -> str:
        return format_duration(value) if by_time else format_distance(value, units)

    if pct is None:
        return ""
    head = f"{show(run)}, " if run is not None else ""
    ref = f" ({show(longest)})" if longest is not None else ""
    line = f"{head}{round(pct)}% longer than your longest run of {window}{ref}"
    return f"{line}; next long run about {show(nxt)}" if nxt is not None else line


def _weekly(kind: str) -> Callable[[Evidence, Units], str]:
    def render(ev: Evidence, units: Units) -> str:
        sessions = _nonneg(ev, "sessions")
        target = _positive(ev, "target")
        when = "last week"  # the flag is shown on the first run of the following week; no ISO week codes
        if sessions is not None and target is not None:
            return f"{_count(sessions)} of {_count(target)} {kind} sessions {when}"
        if sessions is not None:
            return f"{_count(sessions)} {kind} sessions {when}"
        if target is not None:
            return f"fewer than {_count(target)} {kind} sessions {when}"
        return ""

    return render


FORMATTERS: Mapping[FlagCode, Callable[[Evidence, Units], str]] = {
    FlagCode.LOAD_SPIKE: _load_spike,
    FlagCode.MONOTONY: _monotony,
    FlagCode.LOW_CROSS_TRAINING: _weekly("low-impact"),
    FlagCode.LOW_STRENGTH: _weekly("core/strength"),
    FlagCode.LONG_RUN_SPIKE: _long_run_spike,
}


def render_flag(flag: Flag, units: Units = "metric", advice: Mapping[FlagCode, str] | None = None) -> str:
    """One note line: '<mark> <Title>: <finding>. <alternative>' (finding left out when no numbers are known).

    `advice` replaces the alternative for some codes (the advice mode's wording, syncd.domain.mode_notes).
    """
    title = TITLES.get(flag.code, str(flag.code).replace("_", " ").capitalize())
    if flag.confidence is Confidence.LOW:
        title += UNCERTAIN
    finding = finding_line(flag, units)
    head = f"{title}: {finding}." if finding else f"{title}."
    alternative = (advice or {}).get(flag.code) or _short_advice(flag, units)
    line = f"{SEVERITY_MARKS[flag.severity]} {head}"
    return f"{line} {alternative}"


def finding_line(flag: Flag, units: Units) -> str:
    """What the flag found, in words: its rule's renderer (syncd.domain.rules.registry), "" when nothing is known."""
    found = finding(flag, units)
    if found is not None:
        return found
    formatter = FORMATTERS.get(flag.code)
    return formatter(flag.evidence, units) if formatter is not None else ""


def _short_advice(flag: Flag, units: Units) -> str:
    if flag.code is FlagCode.WORN_SHOES:
        text = NEARLY_WORN_ADVICE if flag.severity is Severity.INFO else SHORT_ADVICE[flag.code]
        return text.replace(SHOE_RANGE["metric"], SHOE_RANGE[units])
    return SHORT_ADVICE[flag.code]


def line_severity(line: str) -> Severity | None:
    """The severity of a rendered flag line (by its mark), or None for any other line; used when shortening."""
    stripped = line.strip()
    if not stripped:
        return None
    return _MARK_TO_SEVERITY.get(stripped[0])


_GAPS_OPENING = "Not enough data for "


def data_gaps_line(gaps: Sequence[str]) -> str | None:
    """ "Not enough data for speed work and warm-up (no usable distance or speed over time)." or None."""
    return f"{_GAPS_OPENING}{'; '.join(gaps)}." if gaps else None


def gaps_in_note(note: str | None) -> frozenset[FlagCode]:
    """The checks a stored note says the recording was too thin for (the inverse of `data_gaps_line`): what the
    flare-up analysis must treat as unmeasured, not as "no flag"."""
    from syncd.domain.rules.data_gaps import CHECK_NAMES

    line = next((x for x in (note or "").splitlines() if x.startswith(_GAPS_OPENING)), None)
    if line is None:
        return frozenset()
    text = line.removeprefix(_GAPS_OPENING)
    return frozenset(code for code, name in CHECK_NAMES.items() if name in text)


def render_note(
    flags: Sequence[Flag],
    *,
    units: Literal["metric", "imperial"] = "metric",
    when_clean: Literal["line", "none"] = "line",
    data_gaps: Sequence[str] = (),
    lead: Sequence[str] = (),
    advice: Mapping[FlagCode, str] | None = None,
) -> str | None:
    """The note text (without the description markers), most severe flag first, or the clean line / None.

    Every note ends with CLOSING_LINE, the clean one too. `data_gaps` (from the rules' Annotation) adds one line
    saying what the recording was too thin to judge, so a clean note on a one-sample file does not read as "all
    clear". `lead` lines open the note (the advice mode and
    why); `advice` is the mode's wording of some alternatives (syncd.domain.mode_notes).
    """
    system = check_units(units)
    if when_clean not in ("line", "none"):
        raise ValueError(f"unknown when_clean {when_clean!r}: use 'line' or 'none'")
    gaps = data_gaps_line(data_gaps)
    if not flags:
        if when_clean != "line":
            return None
        return "\n".join([*lead, CLEAN_LINE, *([gaps] if gaps is not None else []), CLOSING_LINE])
    ordered = sorted(flags, key=lambda flag: -flag.severity.rank)  # stable: rule order breaks ties
    lines = [*lead, *(render_flag(flag, system, advice) for flag in ordered)]
    if gaps is not None:
        lines.append(gaps)
    lines.append(CLOSING_LINE)
    return "\n".join(lines)
