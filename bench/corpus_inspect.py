"""Print what a recording shows, for labelling it by hand before any rule runs.

Per-km splits (pace, heart rate, climb and descent), the device's laps, and a 5-minute pace/grade profile.
Usage: python -m bench.corpus_inspect FILE...
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import numpy as np

from syncd.adapters.files.parse import load_activities
from syncd.domain.model import Activity, FloatArray


def pace(seconds: float, metres: float) -> str:
    if metres <= 0 or seconds <= 0:
        return "  -  "
    per_km = seconds / metres * 1000
    return f"{int(per_km // 60)}:{int(per_km % 60):02d}"


def mean_between(column: FloatArray | None, mask: np.ndarray) -> str:
    if column is None:
        return "-"
    values = column[mask & np.isfinite(column)]
    return f"{values.mean():.0f}" if len(values) else "-"


def climb(altitude: FloatArray | None, i0: int, i1: int) -> str:
    if altitude is None:
        return "-"
    seg = altitude[i0 : i1 + 1]
    seg = seg[np.isfinite(seg)]
    if len(seg) < 2:
        return "-"
    smooth = np.convolve(seg, np.ones(5) / 5, mode="valid") if len(seg) > 5 else seg
    d = np.diff(smooth)
    return f"+{d[d > 0].sum():.0f}/-{-d[d < 0].sum():.0f}"


def show(activity: Activity) -> None:
    s = activity.streams
    print(
        f"sport={activity.sport} orig={activity.sport_original!r} start={activity.start_utc:%Y-%m-%d %H:%M} "
        f"dist={(activity.distance_m or 0) / 1000:.2f}km elapsed={(activity.elapsed_s or 0) / 60:.1f}min "
        f"moving={(activity.moving_s or 0) / 60:.1f}min "
        f"gain={activity.elevation_gain_m} loss={activity.elevation_loss_m} "
        f"indoor={activity.indoor} workout_type={activity.workout_type} avgHR={activity.average_heart_rate}"
    )
    if s is None:
        print("  no streams")
        return
    t, d = s.time_s, s.distance_m
    print(
        f"  samples={len(t)} gps={s.has_gps} alt={s.altitude_m is not None} hr={s.heart_rate is not None} "
        f"cad={s.cadence is not None} speed={s.speed_mps is not None}"
    )
    if s.cadence is not None:
        c = s.cadence[np.isfinite(s.cadence) & (s.cadence > 0)]
        if len(c):
            print(f"  cadence median={np.median(c):.0f}")
    if d is not None:
        print("  km   pace   HR   climb")
        marks = [0]
        for km in range(1, int(d[-1] // 1000) + 2):
            idx = int(np.searchsorted(d, km * 1000.0))
            if idx >= len(d):
                idx = len(d) - 1
            marks.append(idx)
            if idx == len(d) - 1:
                break
        for k in range(1, len(marks)):
            i0, i1 = marks[k - 1], marks[k]
            mask = np.zeros(len(t), bool)
            mask[i0 : i1 + 1] = True
            print(
                f"  {k:>3} {pace(t[i1] - t[i0], d[i1] - d[i0]):>6} {mean_between(s.heart_rate, mask):>4} "
                f"{climb(s.altitude_m, i0, i1):>10}  ({d[i1] - d[i0]:.0f} m)"
            )
        print("  5-min profile: minute pace HR climb")
        step = 300.0
        for start in np.arange(0, t[-1], step):
            i0 = int(np.searchsorted(t, start))
            i1 = min(int(np.searchsorted(t, start + step)), len(t) - 1)
            if i1 <= i0:
                continue
            mask = np.zeros(len(t), bool)
            mask[i0 : i1 + 1] = True
            print(
                f"   {start / 60:>5.0f} {pace(t[i1] - t[i0], d[i1] - d[i0]):>6} {mean_between(s.heart_rate, mask):>4} "
                f"{climb(s.altitude_m, i0, i1):>10}"
            )
    if activity.laps:
        print("  laps: start dur dist pace intensity")
        for lap in activity.laps:
            print(
                f"   {lap.start_offset_s / 60:6.1f} {lap.elapsed_s / 60:5.1f}m {lap.distance_m or 0:7.0f}m "
                f"{pace(lap.moving_s or lap.elapsed_s, lap.distance_m or 0):>6} {lap.intensity}"
            )


def compact(activity: Activity) -> None:
    """One line each for km paces, km heart rates, km climbs and lap paces."""
    s = activity.streams
    print(
        f"sport={activity.sport} orig={activity.sport_original!r} {(activity.distance_m or 0) / 1000:.2f}km "
        f"{(activity.elapsed_s or 0) / 60:.0f}/{(activity.moving_s or 0) / 60:.0f}min "
        f"gain={activity.elevation_gain_m or 0:.0f} loss={activity.elevation_loss_m or 0:.0f} "
        f"hr={activity.average_heart_rate}"
    )
    if s is None or s.distance_m is None:
        return
    t, d = s.time_s, s.distance_m
    marks = [0] + [min(int(np.searchsorted(d, km * 1000.0)), len(d) - 1) for km in range(1, int(d[-1] // 1000) + 1)]
    paces, hrs, climbs = [], [], []
    for i0, i1 in itertools.pairwise(marks):
        mask = np.zeros(len(t), bool)
        mask[i0 : i1 + 1] = True
        paces.append(pace(t[i1] - t[i0], d[i1] - d[i0]))
        hrs.append(mean_between(s.heart_rate, mask))
        climbs.append(climb(s.altitude_m, i0, i1))
    print("  km pace:", " ".join(paces))
    print("  km HR:  ", " ".join(hrs))
    print("  km alt: ", " ".join(climbs))
    minute = [
        pace(60, d[min(int(np.searchsorted(t, m + 60)), len(d) - 1)] - d[int(np.searchsorted(t, m))])
        for m in range(0, int(t[-1]) - 60, 60)
    ]
    print("  min pace:", " ".join(minute))
    if activity.laps:
        print(
            "  laps:",
            " ".join(
                f"{lap.distance_m or 0:.0f}m/{lap.elapsed_s:.0f}s"
                + f"@{pace(lap.moving_s or lap.elapsed_s, lap.distance_m or 0)}"
                + (f"[{lap.intensity}]" if lap.intensity not in (None, "active") else "")
                for lap in activity.laps
            ),
        )


def main(paths: list[str]) -> None:
    brief = paths[:1] == ["--compact"]
    paths = paths[1:] if brief else paths
    for path in paths:
        print(f"=== {path}")
        try:
            for parsed in load_activities(Path(path)):
                (compact if brief else show)(parsed.activity)
        except Exception as exc:
            print(f"  ERROR {exc}")


if __name__ == "__main__":
    main(sys.argv[1:])
