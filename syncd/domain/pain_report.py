"""The flare-up analysis as a document (`syncd pain ATHLETE --analysis --json`) and as plain lines (the CLI and the
page's details): one rendering of one result, so every place shows the same numbers, and the JSON says how they
were worked out."""

from __future__ import annotations

from typing import Any

from syncd.domain.pain_analysis import (
    EXPOSURES,
    STRONG_PREVALENCE,
    STRONG_RISK_EXPOSED,
    STRONG_RISK_OTHER,
    TARGET_POWER,
    VERSION,
    WEEK,
    Comparison,
    PainAnalysis,
    Share,
)


def method(a: PainAnalysis) -> dict[str, Any]:
    s = a.settings
    return {
        "version": VERSION,
        "unit": (
            f"the {WEEK} days before a diary entry's day (a #back tag on a run adds that day's runs before it); a "
            f"flare-up week ends in a score of {s.painful_from}+ with no such score in the week before, other weeks "
            f"end in a lower score and are taken at least {WEEK} days apart and clear of flare-ups: no two overlap"
        ),
        "exposures": {e.key: e.phrase for e in EXPOSURES},
        "exposure_sources": (
            "the runs' stored flags: speed sessions of the speed-work rule, descent (cleaned profile) of runs the "
            "downhill rule flagged, paved km the surface rule measured, runs the long-run-spike rule flagged (a run "
            "it could not judge, without a month of recording or a run in it before, has no value), and the guarded "
            "7/28-day load ratio of running the as-of state gives for the week's last day (the digest's and the "
            "page's: the stored history of the 42 days before, each twin once, the configured guards, heart-rate "
            "load with the athlete's maximum heart rate)"
        ),
        "sore_mode": (
            f"weeks with a day in sore mode (a score of {s.painful_from}+ within {s.window_days} days, not eased) are "
            "left out: the advice then drops speed work, hills and hard surfaces (confounding by indication)"
        ),
        "missing": "a week with an unmeasured run has no value for that exposure unless the measured runs cross the "
        "line; it is left out of that comparison and listed",
        "test": (
            "the flare-up labels are rotated and mirrored against the weeks (every circular shift of the series and "
            "of its reverse), which keeps the autocorrelation of training blocks and seasonal pain; statistic: the "
            "one-sided difference in the share of exposed weeks (flare-up weeks minus other weeks), not divided by "
            "its standard error, so an exposure seen in only a few weeks cannot dominate the maximum by chance"
        ),
        "multiple_exposures": (
            f"Westfall-Young step-down maxT over all {len(EXPOSURES)} exposures: the exposure with the largest "
            "difference is judged against the largest difference over all exposures in every alignment, the next "
            "against the largest over itself and the weaker ones, and so on, p-values kept non-decreasing "
            "(a second pattern is not penalised for the first); family-wise level "
            f"{s.alpha}, exact: alignments that tie on the largest difference are ordered by the mean difference "
            "over the same exposures, and only a full tie counts against the diary"
        ),
        "intervals": "Wilson score 95 % interval of each share",
        "power": (
            "normal approximation of a one-sided test at the Bonferroni line over the exposures: a pattern with the "
            f"exposure in {STRONG_PREVALENCE:.0%} of weeks and a flare-up after {STRONG_RISK_EXPOSED:.0%} of them "
            f"against {STRONG_RISK_OTHER:.0%} of the others is detectable when found with {TARGET_POWER:.0%} power"
        ),
        "alpha": s.alpha,
        "alignments": a.alignments,
    }


def _share(share: Share) -> dict[str, Any]:
    low, high = share.interval
    return {
        "exposed": share.k,
        "weeks": share.n,
        "share": None if share.n == 0 else round(share.value, 4),
        "interval_95": [round(low, 4), round(high, 4)],
    }


def _comparison(c: Comparison) -> dict[str, Any]:
    return {
        "exposure": c.exposure.key,
        "label": c.exposure.label,
        "exposed_means": c.exposure.phrase,
        "flare_up_weeks": _share(c.flare),
        "other_weeks": _share(c.other),
        "difference": round(c.difference, 4),
        "p_family_wise": None if not c.tested else round(c.p_value, 4),
        "finding": c.finding,
        "missing_weeks": [d.isoformat() for d in c.missing],
    }


def document(a: PainAnalysis, athlete: str) -> dict[str, Any]:
    """The whole result: status, sentences, counts, one entry per exposure, the weeks, and the method."""
    return {
        "athlete": athlete,
        "status": a.status,
        "sentences": list(a.sentences()),
        "digest_sentence": a.digest_sentence(),
        "flare_up_weeks": a.flare_ups,
        "other_weeks": a.other_weeks,
        "sore_mode_weeks": [w.day.isoformat() for w in a.sore_weeks],
        "power": {
            "strong_pattern_detectable": a.power.detectable,
            "weeks_needed": a.power.weeks_needed,
            "more_weeks_with_entries": a.power.more_weeks,
        },
        "exposures": [_comparison(c) for c in a.comparisons],
        "weeks": [
            {"entry_day": w.day.isoformat(), "flare_up": w.flare, "sore_mode": w.sore, "values": w.values}
            for w in a.weeks
        ],
        "method": method(a),
    }


def _percent(share: Share) -> str:
    if share.n == 0:
        return "no weeks"
    low, high = share.interval
    return f"{share.k}/{share.n} ({share.value:.0%}, 95% {low:.0%}-{high:.0%})"


def comparison_line(c: Comparison) -> str:
    """ "speed sessions, 2+ a week: flare-up weeks 8/11 (73%, 95% 43%-90%); other weeks 5/26 (...); p=0.008" """
    p = "not tested (too few weeks with a value)" if not c.tested else f"family-wise p={c.p_value:.3f}"
    return (
        f"{c.exposure.phrase.removeprefix('a week with ')}: weeks before a flare-up {_percent(c.flare)}; "
        f"other weeks {_percent(c.other)}; {p}"
    )


def lines(a: PainAnalysis) -> list[str]:
    """The CLI's text: the sentences, then one line per exposure (findings marked *)."""
    said = list(a.sentences())
    if a.comparisons:
        said.append("")
        said += [("* " if c.finding else "  ") + comparison_line(c) for c in a.comparisons]
    return said
