"""The 8-week load trend as a PNG for the digest email (matplotlib, Agg backend, no display needed).

Uses `matplotlib.figure.Figure` directly rather than pyplot: no global figure registry, so the daemon can render in
any thread and never leaks figures. Bars are the weekly load; the line is the acute:chronic ratio on its own axis,
over the 0.8-1.3 "sweet spot" band (Gabbett 2016) so a reader sees at a glance whether a week left it. With no
ratio in the eight weeks (a new athlete, a long break) there is neither line nor band: a band with nothing to compare
against would read as a target for the bars, which are in minutes, not a ratio.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from syncd.domain.digest import CHART_CSS_WIDTH, LoadWeek
from syncd.domain.load import week_of

SWEET_SPOT = (0.8, 1.3)
_UNIT_LABEL = {"min": "minutes of running", "trimp": "TRIMP"}


_CSS_DPI = 100  # one inch of the figure is 100 CSS pixels where the digest lays it out
_PIXEL_RATIO = 2  # the PNG holds twice the pixels, so phones with dense screens show it sharp
FONT_PT = 10.0


def load_trend_png(trend: Sequence[LoadWeek], *, unit: str = "min") -> bytes:
    """PNG bytes (880x500 px, laid out at 440x250): weekly load bars with the ACWR line; weeks without a ratio leave
    a gap."""
    figure = load_trend_figure(trend, unit=unit)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=_CSS_DPI * _PIXEL_RATIO, metadata={"Software": None})
    return buffer.getvalue()


def load_trend_figure(trend: Sequence[LoadWeek], *, unit: str = "min") -> Figure:
    """The figure behind `load_trend_png` (tests look at its axes rather than at pixels).

    Sized for CHART_CSS_WIDTH rather than drawn wide and shrunk: at 600 px with 8-pt labels, a phone showed the
    axis text about 6 px high."""
    figure = Figure(figsize=(CHART_CSS_WIDTH / _CSS_DPI, 2.5), dpi=_CSS_DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    labels = [week_of(week.week_start).replace(" ", "\n") for week in trend]  # "16\nNov": 8 fit a phone
    positions = list(range(len(trend)))
    axes.bar(positions, [week.week_load for week in trend], color="#9ec5e8", width=0.6, label="weekly load")
    axes.set_xticks(positions, labels, fontsize=FONT_PT)
    axes.set_ylabel(_UNIT_LABEL.get(unit, unit), fontsize=FONT_PT)
    axes.tick_params(axis="y", labelsize=FONT_PT)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    ratios = [float("nan") if week.acwr is None else week.acwr for week in trend]
    if any(not math.isnan(r) for r in ratios):
        _ratio_axes(axes, positions, ratios)
    figure.tight_layout()
    return figure


def _ratio_axes(axes: Axes, positions: list[int], ratios: list[float]) -> None:
    ratio_axes = axes.twinx()
    ratio_axes.axhspan(*SWEET_SPOT, color="#d8f0d8", alpha=0.6, zorder=0)
    ratio_axes.plot(positions, ratios, color="#c0392b", marker="o", linewidth=2, label="acute:chronic")
    top = max([r for r in ratios if not math.isnan(r)] + [SWEET_SPOT[1]]) * 1.15
    ratio_axes.set_ylim(0, max(top, 2.0))
    ratio_axes.set_ylabel("acute:chronic", fontsize=FONT_PT, color="#c0392b")
    ratio_axes.tick_params(axis="y", labelsize=FONT_PT, colors="#c0392b")
    ratio_axes.spines["top"].set_visible(False)
