"""The digest's load chart draws the 0.8-1.3 band and the ratio axis only when some week has a ratio."""

from __future__ import annotations

from datetime import date, timedelta

from matplotlib.patches import Rectangle

from syncd.adapters.charts import SWEET_SPOT, load_trend_figure
from syncd.domain.digest import CHART_CSS_WIDTH, LoadWeek


def _weeks(ratios: list[float | None]) -> list[LoadWeek]:
    return [
        LoadWeek(f"2026-W{41 + n}", date(2026, 10, 5) + timedelta(weeks=n), 30.0 * n, r, None)
        for n, r in enumerate(ratios)
    ]


def _bands(figure_axes: list[object]) -> list[tuple[float, float]]:
    spans = []
    for axes in figure_axes:
        for patch in getattr(axes, "patches", []):
            if isinstance(patch, Rectangle) and patch.get_y() == SWEET_SPOT[0]:
                spans.append((patch.get_y(), patch.get_y() + patch.get_height()))
    return spans


def test_no_ratio_means_no_band_and_no_ratio_axis() -> None:
    figure = load_trend_figure(_weeks([None] * 8))
    assert len(figure.axes) == 1  # the bars only
    assert _bands(figure.axes) == []


def test_a_ratio_brings_the_band_and_its_axis() -> None:
    figure = load_trend_figure(_weeks([None, None, None, None, 0.9, 1.1, 1.4, 1.2]))
    assert len(figure.axes) == 2
    [band] = _bands(figure.axes)
    assert band == SWEET_SPOT
    assert figure.axes[1].get_ylabel() == "acute:chronic"


def test_every_text_is_readable_when_a_phone_shrinks_the_chart() -> None:
    """A 390-px phone shows the chart about 350 CSS px wide; every label must stay >= 10 px high there (it was ~6 px
    when the chart was drawn 600 px wide with 8-pt text)."""
    from matplotlib.text import Text

    figure = load_trend_figure(_weeks([None, None, None, None, 0.9, 1.1, 1.4, 1.2]))
    width_px = figure.get_figwidth() * figure.dpi
    assert round(width_px) == CHART_CSS_WIDTH  # drawn at the width the digest lays it out at
    texts = [t for t in figure.findobj(Text) if t.get_text().strip() and t.get_visible()]
    assert len(texts) >= 12  # week labels, both axes' ticks and titles
    smallest = min(t.get_fontsize() * figure.dpi / 72 for t in texts)
    assert smallest * 350 / width_px >= 10, smallest


def test_weeks_are_named_by_their_monday_not_an_iso_code() -> None:
    """Issue 28: a runner reads "5 Oct", not "W41"."""
    figure = load_trend_figure(_weeks([None] * 3))
    assert [t.get_text() for t in figure.axes[0].get_xticklabels()] == ["5\nOct", "12\nOct", "19\nOct"]
