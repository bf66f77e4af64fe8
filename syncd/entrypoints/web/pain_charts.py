"""The diary page's two pictures of the flare-up analysis, as server-side SVG (no script, scales on a phone).

1. Small multiples: one row per exposure, the analysed weeks on one time axis from the first diary entry; each
   week's value as a bar (darker when it crossed the line), a grey "no data" band where it was not measured, a
   shaded band in sore mode, and every flare-up as a red line through all rows.
2. Dot and interval: per exposure, the share of weeks before a flare-up that crossed the line against the share of
   the other weeks, each with its Wilson 95 % interval.
Both are drawn twice, wide for desktops and narrow for phones (style.css shows one), so the 12 px labels stay
12 px. Every value written is a number we computed or a fixed label: nothing from the user to escape.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from syncd.domain.pain import PainEntry
from syncd.domain.pain_analysis import EXPOSURES, Comparison, Exposure, PainAnalysis, Week

WIDE_W, NARROW_W = 800, 360
ROW_H, LABEL_H, AXIS_H = 44, 16, 22
PAD_L, PAD_R = 8, 12
MIN_LABEL_GAP = 64  # px between time-axis labels


def _span(analysis: PainAnalysis, entries: Sequence[PainEntry]) -> tuple[date, date]:
    days = [w.first_day for w in analysis.weeks] + [e.day for e in entries]
    last = max([w.day for w in analysis.weeks] + [e.day for e in entries])
    return min(days), max(last, min(days) + timedelta(days=7))


def _scale_max(exposure: Exposure, weeks: Sequence[Week]) -> float:
    values = [v for w in weeks if (v := w.values.get(exposure.key)) is not None]
    return max([exposure.cutoff * 1.5, *values])


def _month_ticks(first: date, last: date, x: float, width: float) -> list[tuple[float, str]]:
    span = max((last - first).days, 1)
    ticks: list[tuple[float, str]] = []
    month = date(first.year, first.month, 1)
    while month <= last:
        if month >= first:
            px = x + (month - first).days / span * width
            label = f"{month:%b}" if month.month != 1 and ticks else f"{month:%b %Y}"
            if not ticks or px - ticks[-1][0] >= MIN_LABEL_GAP:
                ticks.append((px, label))
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return ticks or [(x, f"{first.day} {first:%b %Y}")]


def _row(exposure: Exposure, weeks: Sequence[Week], top: float, scale: tuple[date, float, float]) -> list[str]:
    """One exposure's row: label, the line it is judged by, and a bar (or a no-data band) per week."""
    first, px_per_day, width = scale
    base = top + LABEL_H + ROW_H
    top_value = _scale_max(exposure, weeks)
    unit = f" {exposure.unit}" if exposure.unit else ""
    parts = [
        f'<text class="lbl" x="{PAD_L}" y="{top + 12}">{exposure.label} '
        f'<tspan class="muted">(line: {exposure.cutoff:g}{unit})</tspan></text>',
        f'<line class="grid" x1="{PAD_L}" x2="{PAD_L + width:.1f}" y1="{base}" y2="{base}"/>',
    ]
    cut_y = base - ROW_H * min(exposure.cutoff / top_value, 1.0)
    parts.append(f'<line class="cutoff" x1="{PAD_L}" x2="{PAD_L + width:.1f}" y1="{cut_y:.1f}" y2="{cut_y:.1f}"/>')
    for week in weeks:
        x0 = PAD_L + (week.first_day - first).days * px_per_day
        w = max(7 * px_per_day - 1, 1.5)
        value = week.values.get(exposure.key)
        if value is None:
            parts.append(
                f'<rect class="missing" x="{x0:.1f}" y="{top + LABEL_H}" width="{w:.1f}" height="{ROW_H}">'
                f"<title>week before {week.day.isoformat()}: no data</title></rect>"
            )
            continue
        h = max(ROW_H * min(value / top_value, 1.0), 1.5)  # a 0 is a visible sliver on the baseline
        kind = "exposed" if exposure.exposed(value) else "bar"
        parts.append(
            f'<rect class="{kind}" x="{x0:.1f}" y="{base - h:.1f}" width="{w:.1f}" height="{h:.1f}">'
            f"<title>week before {week.day.isoformat()}: {value:.3g}{unit}</title></rect>"
        )
    return parts


def exposure_rows(analysis: PainAnalysis, entries: Sequence[PainEntry], *, narrow: bool = False) -> str:
    """Small multiples: the analysed weeks of each exposure on one time axis, flare-ups marked on every row."""
    if not analysis.weeks:
        return ""
    width_total = NARROW_W if narrow else WIDE_W
    width = width_total - PAD_L - PAD_R
    first, last = _span(analysis, entries)
    px_per_day = width / max((last - first).days, 1)
    rows_h = len(EXPOSURES) * (ROW_H + LABEL_H + 6)
    height = rows_h + AXIS_H
    size = "narrow" if narrow else "wide"
    parts = [
        f'<svg class="chart pain-rows chart-{size}" viewBox="0 0 {width_total} {height}" role="img" '
        'xmlns="http://www.w3.org/2000/svg"><title>Each exposure week by week from your first diary entry; '
        "red lines: flare-ups; shaded: sore mode; grey: no data</title>"
    ]
    for week in analysis.sore_weeks:
        x0 = PAD_L + (week.first_day - first).days * px_per_day
        parts.append(f'<rect class="sore" x="{x0:.1f}" y="0" width="{7 * px_per_day:.1f}" height="{rows_h}">'
                     f"<title>sore mode: left out</title></rect>")  # fmt: skip
    for index, exposure in enumerate(EXPOSURES):
        parts += _row(exposure, analysis.weeks, index * (ROW_H + LABEL_H + 6), (first, px_per_day, width))
    threshold = analysis.settings.painful_from
    for entry in entries:
        if entry.score < threshold:
            continue
        x = PAD_L + (entry.day - first).days * px_per_day
        for index in range(len(EXPOSURES)):  # through each row's bars, never across its label
            top = index * (ROW_H + LABEL_H + 6) + LABEL_H
            parts.append(f'<line class="flare" x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{top + ROW_H}">'
                         f"<title>{entry.day.isoformat()}: pain {entry.score}/10</title></line>")  # fmt: skip
    for px, label in _month_ticks(first, last, PAD_L, width):
        parts.append(f'<text class="tick" x="{px:.1f}" y="{height - 6}">{label}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _dot_row(c: Comparison, top: float, x0: float, width: float) -> list[str]:
    def sx(share: float) -> float:
        return x0 + share * width

    label = c.exposure.phrase.removeprefix("a week with ")
    mark = " · pattern" if c.finding else ""
    parts = [f'<text class="lbl{" finding" if c.finding else ""}" x="{PAD_L}" y="{top + 12}">{label}{mark}</text>']
    for offset, share, kind, name in ((24, c.flare, "flare", "weeks before a flare-up"),
                                      (38, c.other, "other", "other weeks")):  # fmt: skip
        y = top + offset
        if share.n == 0:
            parts.append(f'<text class="tick" x="{x0}" y="{y + 4}">no {name}</text>')
            continue
        low, high = share.interval
        parts.append(f'<line class="ci ci-{kind}" x1="{sx(low):.1f}" x2="{sx(high):.1f}" y1="{y}" y2="{y}"/>')
        parts.append(
            f'<circle class="dot dot-{kind}" cx="{sx(share.value):.1f}" cy="{y}" r="5"><title>{name}: {share.k} '
            f"of {share.n} ({share.value:.0%}; 95% interval {low:.0%} to {high:.0%})</title></circle>"
        )
    return parts


def share_dots(analysis: PainAnalysis, *, narrow: bool = False) -> str:
    """Dot and interval: the share of weeks that crossed each exposure's line, before flare-ups and otherwise."""
    if not analysis.comparisons:
        return ""
    width_total = NARROW_W if narrow else WIDE_W
    x0, width = PAD_L + 6, width_total - PAD_L - PAD_R - 12
    row_h = 50
    top = 22
    height = top + len(analysis.comparisons) * row_h + AXIS_H
    size = "narrow" if narrow else "wide"
    parts = [
        f'<svg class="chart pain-dots chart-{size}" viewBox="0 0 {width_total} {height}" role="img" '
        'xmlns="http://www.w3.org/2000/svg"><title>Share of weeks that crossed each line: before a flare-up (red) '
        "and other weeks (grey), with 95% intervals</title>",
        f'<circle class="dot dot-flare" cx="{PAD_L + 5}" cy="9" r="5"/>'
        f'<text class="lbl" x="{PAD_L + 14}" y="13">before a flare-up</text>'
        f'<circle class="dot dot-other" cx="{PAD_L + 150}" cy="9" r="5"/>'
        f'<text class="lbl" x="{PAD_L + 159}" y="13">other weeks</text>',
    ]
    for share in (0.0, 0.25, 0.5, 0.75, 1.0):
        x = x0 + share * width
        parts.append(f'<line class="grid" x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{height - AXIS_H}"/>')
        anchor = "start" if share == 0 else "end" if share == 1 else "middle"
        parts.append(f'<text class="tick" x="{x:.1f}" y="{height - 6}" text-anchor="{anchor}">{share:.0%}</text>')
    for index, comparison in enumerate(analysis.comparisons):
        parts += _dot_row(comparison, top + index * row_h, x0, width)
    parts.append("</svg>")
    return "".join(parts)
