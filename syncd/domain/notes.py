"""Render flags as the short advisory note written into an activity's description.

One line per flag, most severe first: a severity mark, what was found with its numbers, then one concrete
alternative (RISK-FACTS.md: every flag shows its evidence and an alternative). A closing line points to a clinician,
because the note is advice and never a diagnosis.

What a flag found is worded by its rule, beside the rule's typed evidence (`rules/<rule>_evidence.py`, reached
through `rules/registry.py`); that reading is defensive: a missing, non-numeric or non-finite value leaves that
number out; it never crashes and never prints "None". This module keeps the assembly: marks, titles, the
alternative, the data-gaps line and the closing line. The alternative is a short line per code (SHORT_ADVICE) so
a note fits a phone screen; the rule's fuller `advice` stays on the flag for the JSON output and the feed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

from syncd.domain.flags import Confidence, Flag, FlagCode, Severity
from syncd.domain.rules.registry import finding
from syncd.domain.units import Units, check_units

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
    return finding(flag, units)


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
