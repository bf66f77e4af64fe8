"""The diary page's analysis charts as SVG: one row per exposure with the flare-ups on every row, no-data and
sore-mode weeks marked; a dot with its Wilson interval per group and exposure; both drawn wide and narrow."""

from __future__ import annotations

import re
from datetime import timedelta

from syncd.domain.pain import PainEntry
from syncd.domain.pain_analysis import EXPOSURES, ExposureSession, PainAnalysis, analyse
from syncd.entrypoints.web.pain_charts import exposure_rows, share_dots
from tests.pain_seasons import START, season


def _analysis() -> tuple[list[PainEntry], PainAnalysis]:
    entries, sessions = season("sore_rest", 2)
    gap = {START + timedelta(weeks=12, days=d) for d in range(7)}
    sessions = [
        ExposureSession(s.start_utc, s.day, s.sport, s.duration_s, hard_m=None, descent_m=None, speed=None)
        if s.day in gap and s.sport.is_run
        else s
        for s in sessions
    ]
    return entries, analyse(entries, sessions)


def test_rows_mark_flare_ups_on_every_row_and_name_missing_and_sore_weeks() -> None:
    entries, analysis = _analysis()
    painful = [e for e in entries if e.score >= 4]
    for narrow, width in ((False, 800), (True, 360)):
        svg = exposure_rows(analysis, entries, narrow=narrow)
        assert f'viewBox="0 0 {width} ' in svg and ("chart-narrow" in svg) == narrow
        assert svg.count('class="flare"') == len(painful) * len(EXPOSURES)
        assert svg.count('class="sore"') == len(analysis.sore_weeks) > 0
        missing = sum(w.values[e.key] is None for w in analysis.weeks for e in EXPOSURES)
        assert svg.count('class="missing"') == missing > 0
        xs = [float(x) for x in re.findall(r' x="([-0-9.]+)"', svg)]
        assert min(xs) >= 0 and max(xs) <= width
    assert exposure_rows(analyse([], []), []) == ""


def test_dots_show_both_groups_with_their_intervals() -> None:
    _, analysis = _analysis()
    svg = share_dots(analysis, narrow=True)
    assert svg.count('class="dot dot-flare"') == len(EXPOSURES) + 1  # + the legend
    assert svg.count('class="ci ci-other"') == len(EXPOSURES)
    speed = next(c for c in analysis.comparisons if c.exposure.key == "speed_sessions")
    low, high = speed.flare.interval
    assert f"{speed.flare.k} of {speed.flare.n} ({speed.flare.value:.0%}; 95% interval {low:.0%} to {high:.0%})" in svg
