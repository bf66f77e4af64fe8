"""Server-side SVG: elevation and pace over distance with the flagged stretches shaded, and the route as a line.

Why SVG strings and not a plotting library: a chart is a polyline and a few rectangles; writing them directly is
fast (no figure objects), needs no JavaScript and no tile server, and scales on a phone. Every value written into
the SVG is a number we computed or a fixed label, so there is nothing from the user to escape.

A flag's evidence holds totals, not positions, so the stretches come from the streams: the downhill rule exposes
its own steep stretches (`syncd.domain.rules.downhill.steep_stretches`), the speed-work rule its fast stretches
(`syncd.domain.rules.speed_work.fast_stretches`); this module only draws them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from syncd.domain.flags import Flag, FlagCode
from syncd.domain.model import FloatArray, Streams
from syncd.domain.rules import speed_work
from syncd.domain.rules.downhill import steep_stretches
from syncd.domain.rules.evidence_base import positive
from syncd.domain.rules.no_warmup_evidence import NoWarmupEvidence
from syncd.domain.streams_math import altitude_profile, distance_of, speed_trace
from syncd.domain.thresholds import Thresholds
from syncd.domain.units import METRES_PER_FOOT, METRES_PER_MILE, Units

# Two drawings of each chart: a wide one for desktops and a narrow one shown below 40rem (style.css), each drawn
# near the size it is shown at, so the 11 px labels stay 11 px and never crowd each other on a phone.
WIDE = (800, 220)
NARROW = (360, 200)
PAD_L, PAD_R, PAD_T, PAD_B = 48, 12, 12, 28
MIN_TICK_GAP = 56  # px between x-axis labels: room for "12.5" at 11 px
MAX_POINTS = 600
# Paces outside this band (stops, GPS jumps) are clipped so the chart keeps a readable scale.
PACE_MIN_S_PER_KM = 150.0
PACE_MAX_S_PER_KM = 900.0
PACE_STEPS_S = (5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0)
HEIGHT_STEPS = tuple(m * 10.0**e for e in range(5) for m in (1.0, 2.0, 2.5, 5.0))


@dataclass(frozen=True, slots=True)
class Stretch:
    """A flagged part of the run, in metres from the start."""

    kind: str  # downhill | speed_work | no_warmup
    start_m: float
    end_m: float
    label: str


def flagged_stretches(streams: Streams, flags: tuple[Flag, ...], thresholds: Thresholds) -> list[Stretch]:
    """Where each stream-based flag happened: steep descents, fast reps, the too-fast opening minutes."""
    codes = {flag.code: flag for flag in flags}
    result: list[Stretch] = []
    if FlagCode.DOWNHILL in codes and (profile := altitude_profile(streams)) is not None:
        for start, end in steep_stretches(profile, thresholds):  # the rule's own stretches
            result.append(Stretch("downhill", start, end, "steep descent"))
    trace = speed_trace(streams) if (FlagCode.SPEED_WORK in codes or FlagCode.NO_WARMUP in codes) else None
    if trace is not None and (flag := codes.get(FlagCode.SPEED_WORK)) is not None:
        for start, end in speed_work.fast_stretches(streams, flag, thresholds):  # the rule module's own maths
            result.append(Stretch("speed_work", start, end, "fast"))
    if (warmup := NoWarmupEvidence.from_flag(codes.get(FlagCode.NO_WARMUP))) is not None:
        window_m = positive(warmup.window_m) or thresholds.warmup_window_m
        window_s = positive(warmup.window_s) or thresholds.warmup_window_s
        if trace is not None:
            at_time = float(np.interp(window_s, trace.time_s, trace.distance_m))
            window_m = min(window_m, at_time)
        result.append(Stretch("no_warmup", 0.0, window_m, "first minutes"))
    return result


def _thin(x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    if len(x) > MAX_POINTS:
        index = np.linspace(0, len(x) - 1, MAX_POINTS).round().astype(np.intp)
        x, y = x[index], y[index]
    return x, y


def _points(px: FloatArray, py: FloatArray) -> str:
    return " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(px.tolist(), py.tolist(), strict=True))


def axis_labels(units: Units) -> dict[str, str]:
    """The units the charts are drawn in, for their captions."""
    if units == "imperial":
        return {"distance": "mi", "elevation": "ft", "pace": "min/mi"}
    return {"distance": "km", "elevation": "m", "pace": "min/km"}


def _line_chart(
    x_m: FloatArray,
    y: FloatArray,
    stretches: list[Stretch],
    *,
    title: str,
    css: str,
    y_ticks: list[tuple[float, str]],
    y_range: tuple[float, float],
    units: Units,
    narrow: bool,
    invert: bool = False,
) -> str:
    width, height = NARROW if narrow else WIDE
    metres_per_unit = METRES_PER_MILE if units == "imperial" else 1000.0
    unit = axis_labels(units)["distance"]
    x_km = x_m / metres_per_unit
    x0, x1 = 0.0, max(float(x_km[-1]), 0.01)
    y0, y1 = y_range
    inner_w = width - PAD_L - PAD_R
    inner_h = height - PAD_T - PAD_B

    def sx(value: FloatArray | float) -> FloatArray:
        return np.asarray(PAD_L + (np.asarray(value) - x0) / (x1 - x0) * inner_w, dtype=np.float64)

    def sy(value: FloatArray | float) -> FloatArray:
        frac = (np.asarray(value) - y0) / (y1 - y0)
        if invert:
            frac = 1.0 - frac
        return np.asarray(PAD_T + (1.0 - frac) * inner_h, dtype=np.float64)

    size = "narrow" if narrow else "wide"
    parts = [
        f'<svg class="chart {css} chart-{size}" viewBox="0 0 {width} {height}" role="img" '
        'xmlns="http://www.w3.org/2000/svg">',
        f"<title>{title} over distance ({unit})</title>",
    ]
    for stretch in stretches:
        a = float(sx(stretch.start_m / metres_per_unit))
        b = float(sx(max(stretch.end_m, stretch.start_m) / metres_per_unit))
        parts.append(
            f'<rect class="hl hl-{stretch.kind}" data-kind="{stretch.kind}" x="{a:.1f}" y="{PAD_T}" '
            f'width="{max(b - a, 1.5):.1f}" height="{inner_h}"><title>{stretch.label}</title></rect>'
        )
    for value, text in y_ticks:
        ty = float(sy(value))
        parts.append(f'<line class="grid" x1="{PAD_L}" x2="{width - PAD_R}" y1="{ty:.1f}" y2="{ty:.1f}"/>')
        parts.append(f'<text class="tick" x="{PAD_L - 4}" y="{ty + 4:.1f}" text-anchor="end">{text}</text>')
    step = _nice_step(x1, max(2, inner_w // MIN_TICK_GAP))
    unit_x = width - PAD_R
    index = 0
    while (tick := index * step) <= x1 + 1e-9:
        tx = float(sx(tick))
        if tx > unit_x - 36:  # leave room for the unit label at the right end
            break
        parts.append(f'<text class="tick" x="{tx:.1f}" y="{height - 8}" text-anchor="middle">{tick:g}</text>')
        index += 1
    parts.append(f'<text class="axis" x="{unit_x}" y="{height - 8}" text-anchor="end">{unit}</text>')
    parts.append(f'<polyline class="series" fill="none" points="{_points(sx(x_km), sy(y))}"/>')
    parts.append("</svg>")
    return "".join(parts)


def _round_ticks(lo: float, hi: float, steps: list[float] | tuple[float, ...], max_ticks: int = 4) -> list[float]:
    """Axis values at round numbers (the first step giving at most `max_ticks` of them), else lo, middle, hi."""
    for step in steps:
        first = math.ceil(lo / step) * step
        ticks = [first + i * step for i in range(int((hi - first) // step) + 1)]
        if 2 <= len(ticks) <= max_ticks:
            return ticks
    return [float(v) for v in np.linspace(lo, hi, 3).tolist()]


def _nice_step(span: float, max_ticks: int = 8) -> float:
    raw = span / max_ticks
    magnitude = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    for factor in (1, 2, 5, 10):
        if raw <= factor * magnitude:
            return float(factor * magnitude)
    return float(10 * magnitude)


def elevation_chart(
    streams: Streams, stretches: list[Stretch], units: Units = "metric", *, narrow: bool = False
) -> str | None:
    profile = altitude_profile(streams)
    if profile is None:
        return None
    per_unit = METRES_PER_FOOT if units == "imperial" else 1.0
    x, y = _thin(profile.distance_m, profile.altitude_m / per_unit)
    if len(x) < 2:
        return None
    lo, hi = float(y.min()), float(y.max())
    pad = max((hi - lo) * 0.1, 5.0 / per_unit)
    y_range = (lo - pad, hi + pad)
    # ticks over the padded range: a nearly flat profile (a few metres) must not get labels a metre apart that
    # overlap on a phone
    ticks = [(v, f"{v:,.0f}") for v in _round_ticks(*y_range, HEIGHT_STEPS)]
    return _line_chart(
        x,
        y,
        stretches,
        title=f"Elevation ({axis_labels(units)['elevation']})",
        css="elevation",
        y_ticks=ticks,
        y_range=y_range,
        units=units,
        narrow=narrow,
    )


def pace_chart(
    streams: Streams, stretches: list[Stretch], units: Units = "metric", *, narrow: bool = False
) -> str | None:
    trace = speed_trace(streams)
    if trace is None:
        return None
    with np.errstate(divide="ignore"):
        pace = np.where(trace.speed_mps > 0.5, 1000.0 / trace.speed_mps, np.nan)
    pace = np.clip(pace, PACE_MIN_S_PER_KM, PACE_MAX_S_PER_KM)
    if units == "imperial":
        pace = pace * METRES_PER_MILE / 1000.0  # seconds per mile
    x, y = _thin(trace.distance_m, pace)
    if len(x) < 2:
        return None
    lo = float(np.nanpercentile(y, 2))
    hi = float(np.nanpercentile(y, 98))
    if hi - lo < 30:
        lo, hi = lo - 15, hi + 15
    y = np.clip(y, lo, hi)
    ticks = [(v, f"{int(round(v) // 60)}:{int(round(v) % 60):02d}") for v in _round_ticks(lo, hi, PACE_STEPS_S)]
    # Faster is up: the y axis is inverted (low seconds per km at the top).
    return _line_chart(
        x,
        y,
        stretches,
        title=f"Pace ({axis_labels(units)['pace']}, faster is up)",
        css="pace",
        y_ticks=ticks,
        y_range=(lo, hi),
        units=units,
        narrow=narrow,
        invert=True,
    )


def route_svg(streams: Streams, stretches: list[Stretch], size: int = 420) -> str | None:
    """The track as a line on a plain background (equirectangular, fine at a run's scale); stretches in colour."""
    if not streams.has_gps or streams.lat is None or streams.lon is None:
        return None
    distance = distance_of(streams)
    lat, lon = streams.lat, streams.lon
    with np.errstate(invalid="ignore"):  # rows stored before import validation may hold inf or off-globe fixes
        ok = np.isfinite(lat) & np.isfinite(lon) & (np.abs(lat) <= 90.0) & (np.abs(lon) <= 180.0)
    if ok.sum() < 2:
        return None
    lat_v, lon_v = lat[ok], lon[ok]
    dist_v = distance[ok] if distance is not None else np.zeros(len(lat_v))
    scale = math.cos(math.radians(float(np.mean(lat_v))))
    x = lon_v * scale
    y = -lat_v
    span = max(float(x.max() - x.min()), float(y.max() - y.min()), 1e-9)
    pad = 12
    px = pad + (x - x.min()) / span * (size - 2 * pad)
    py = pad + (y - y.min()) / span * (size - 2 * pad)
    index = np.arange(len(px))
    if len(index) > MAX_POINTS * 2:
        index = np.linspace(0, len(px) - 1, MAX_POINTS * 2).round().astype(np.intp)
    parts = [
        f'<svg class="route" viewBox="0 0 {size} {size}" role="img" xmlns="http://www.w3.org/2000/svg">',
        "<title>Route</title>",
        f'<polyline class="track" fill="none" points="{_points(px[index], py[index])}"/>',
    ]
    for stretch in stretches:
        sel = index[(dist_v[index] >= stretch.start_m) & (dist_v[index] <= stretch.end_m)]
        if len(sel) >= 2:
            parts.append(
                f'<polyline class="hl-route hl-{stretch.kind}" data-kind="{stretch.kind}" fill="none" '
                f'points="{_points(px[sel], py[sel])}"><title>{stretch.label}</title></polyline>'
            )
    parts.append(f'<circle class="start" cx="{px[0]:.1f}" cy="{py[0]:.1f}" r="5"><title>start</title></circle>')
    parts.append(f'<circle class="finish" cx="{px[-1]:.1f}" cy="{py[-1]:.1f}" r="5"><title>finish</title></circle>')
    parts.append("</svg>")
    return "".join(parts)
