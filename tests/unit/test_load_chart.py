"""The digest's load chart draws the 0.8-1.3 band and the ratio axis only when some week has a ratio."""

from __future__ import annotations

from datetime import date

from matplotlib.patches import Rectangle

from syncd.adapters.charts import SWEET_SPOT, load_trend_figure
from syncd.domain.digest import LoadWeek


def _weeks(ratios: list[float | None]) -> list[LoadWeek]:
    return [LoadWeek(f"2026-W{40 + n}", date(2026, 10, 5), 30.0 * n, r, None) for n, r in enumerate(ratios)]


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
