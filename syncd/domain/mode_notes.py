"""What the advice mode changes in a run's flags and note (RISK-FACTS.md, "Two situations").

*sore*: surface, downhill and speed work are the levers, so their flags are at least cautions and their
alternative says "until it settles"; the first note after a painful entry opens with "a day or two easy first"
(keep moving within comfort, not bed rest: NICE NG59). A red flag in the diary (advice_mode.red_flag) puts the
"see a clinician promptly" line first, in place of any line that would suggest running on.
*staying well*: the article never tells a pain-free runner to avoid roads, hills or intervals, so those flags are
information only, and the prevention flags (cross-training, shoes, warm-up, strength) lead the note.
Every note opens with one line naming the mode and why; it never carries a pain score or a date. The note for a
platform is rendered from `advice_mode.platform_mode` (the athlete's own tags there), so its mode line, the "rest
first" line and the "until it settles" wording appear on a platform only when the athlete wrote a #back tag there;
otherwise it is the staying-well note every runner without a diary gets, whose lever advice is conditional
("... if sore") and discloses nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from syncd.domain.advice_mode import RED_FLAG_LINE, AdviceMode, ModeDecision
from syncd.domain.flags import Flag, FlagCode, Severity

VERSION = 4  # 4: a day or two easy, not rest; red flags; "warm up first" only without a warm-up

SORE_LEVERS: frozenset[FlagCode] = frozenset({FlagCode.HARD_SURFACE, FlagCode.DOWNHILL, FlagCode.SPEED_WORK})
PREVENTION: tuple[FlagCode, ...] = (
    FlagCode.LOW_CROSS_TRAINING,
    FlagCode.WORN_SHOES,
    FlagCode.NO_WARMUP,
    FlagCode.LOW_STRENGTH,
)

REST_FIRST_LINE = (
    "Keep moving gently for a day or two: walking and easy running within comfort, not bed rest. Then run on "
    "soft, level ground, easy and without speed work, and consider a sports massage."
)

ADVICE: Mapping[AdviceMode, Mapping[FlagCode, str]] = {
    AdviceMode.SORE: {
        FlagCode.HARD_SURFACE: "Until it settles: grass, trails or a treadmill.",
        FlagCode.DOWNHILL: "Until it settles: keep to level ground.",
        FlagCode.SPEED_WORK: "Until it settles: no speed work, jog easy.",
    },
    AdviceMode.STAYING_WELL: {
        FlagCode.HARD_SURFACE: "Fine while well; grass or trails if sore.",
        FlagCode.DOWNHILL: "Fine while well; level ground if sore.",
        FlagCode.SPEED_WORK: "Fine while well; take an easy day after.",
    },
}
# "Warm up first" belongs only on a run that had no warm-up (the no_warmup flag is on it too).
SPEED_WORK_NO_WARMUP = "Fine while well; warm up first, easy day after."


def advice_for(mode: AdviceMode, codes: frozenset[FlagCode] | set[FlagCode]) -> Mapping[FlagCode, str]:
    """The mode's wording of the lever alternatives for a run whose flags have `codes`."""
    advice = ADVICE[mode]
    if mode is AdviceMode.STAYING_WELL and FlagCode.NO_WARMUP in codes:
        return {**advice, FlagCode.SPEED_WORK: SPEED_WORK_NO_WARMUP}
    return advice


def mode_line(decision: ModeDecision) -> str:
    """ "Mode: sore (back pain logged in the last 7 days)." """
    return f"Mode: {decision.mode.label} ({decision.reason})."


def apply_mode(flags: Sequence[Flag], mode: AdviceMode) -> tuple[Flag, ...]:
    """The flags as this mode weighs them, in the order the note should list equal severities."""
    adjusted: list[Flag] = []
    for flag in flags:
        severity = flag.severity
        if flag.code in SORE_LEVERS:
            if mode is AdviceMode.SORE and severity is Severity.INFO:
                severity = Severity.CAUTION
            elif mode is AdviceMode.STAYING_WELL:
                severity = Severity.INFO
        advice = flag.advice
        if flag.code in SORE_LEVERS and mode is AdviceMode.STAYING_WELL and advice:
            # the rule's fuller advice (feed, JSON) is sore-back advice: say when it applies
            advice = f"Fine while your back is well. If it gets sore: {advice}"
        if severity is flag.severity and advice == flag.advice:
            adjusted.append(flag)
        else:
            adjusted.append(replace(flag, severity=severity, advice=advice))
    if mode is AdviceMode.STAYING_WELL:
        adjusted.sort(key=lambda f: (f.code not in PREVENTION, PREVENTION.index(f.code) if f.code in PREVENTION else 0))
    else:
        adjusted.sort(key=lambda f: f.code not in SORE_LEVERS)
    return tuple(adjusted)


def lead_lines(decision: ModeDecision) -> tuple[str, ...]:
    """The lines that open the note: the mode and why, then the red-flag line, else (sore, first run after the
    pain) a day or two easy first."""
    lines = [mode_line(decision)]
    if decision.red_flag:
        lines.append(RED_FLAG_LINE)
    elif decision.mode is AdviceMode.SORE and decision.rest_first:
        lines.append(REST_FIRST_LINE)
    return tuple(lines)
