"""The feed speaks the athlete's units and shows non-runs as the cross-training and strength work they are."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from syncd.domain.model import Activity, Source, Sport
from syncd.entrypoints.web.app import create_app
from syncd.entrypoints.web.serve import serve_in_thread
from tests.integration.test_web_app import Seeded, card_ids, get, seed, settings_for


@pytest.fixture
def web(store: object, tmp_path: Path) -> Iterator[tuple[str, Seeded]]:
    seeded = seed(store)  # type: ignore[arg-type]
    with serve_in_thread(create_app(seeded.store, settings_for(tmp_path))) as base:
        yield base, seeded


def _evidence_values(html: str) -> list[str]:
    return re.findall(r"<dd>([^<]*)</dd>", html)


def test_imperial_athlete_sees_miles_feet_and_minutes_per_mile(web: tuple[str, Seeded]) -> None:
    base, seeded = web
    metric_page = get(f"{base}/activities/{seeded.downhill_activity}").body
    assert any(v.endswith(" km") for v in _evidence_values(metric_page))
    seeded.store.update_athlete(seeded.runner, units="imperial")

    page = get(f"{base}/activities/{seeded.downhill_activity}").body
    header = re.search(r'<p class="meta">(.*?)</p>', page, re.S)
    assert header is not None and " mi" in header.group(1) and " km" not in header.group(1)
    values = _evidence_values(page)
    assert values and not any(re.search(r"\d (km|m)$|/km$|m/km$", v) for v in values), values
    assert any(v.endswith(" ft") for v in values) and any(v.endswith(" mi") for v in values)
    # Labels, not SI keys: "Total descent", never "total_descent_m".
    assert ">Total descent</dt>" in page and ">total_descent_m<" not in page
    for svg in re.findall(r'<svg class="chart [^"]*".*?</svg>', page, re.S):
        assert ">mi</text>" in svg and ">km</text>" not in svg
    assert "Elevation (ft) over distance (mi)" in page and "Pace (min/mi, faster is up)" in page

    feed = get(f"{base}/?athlete={seeded.runner}").body
    metas = re.findall(r'<p class="meta">(.*?)</p>', feed, re.S)
    assert metas and all(" km" not in meta for meta in metas)
    assert any(re.search(r"\d mi ·", meta) for meta in metas)
    start = datetime.fromisoformat(get(f"{base}/api/activities/{seeded.downhill_activity}").json()["start_local"])  # type: ignore[index]
    year, week, _ = start.isocalendar()
    that_week = get(f"{base}/?athlete={seeded.runner}&week={year}-W{week:02d}").body
    strip = re.search(r'<section class="strip".*?</section>', that_week, re.S)
    assert strip is not None and re.search(r"\d mi<", strip.group(0)) and " km<" not in strip.group(0)

    detail = get(f"{base}/api/activities/{seeded.downhill_activity}").json()
    assert detail["units"] == "imperial"  # type: ignore[index]
    assert detail["display"]["distance"].endswith(" mi")  # type: ignore[index]
    downhill = next(f for f in detail["flags"] if f["code"] == "downhill")  # type: ignore[index]
    assert downhill["title"] == "Downhill" and " ft down" in downhill["evidence_text"]
    shown = {item["key"]: item for item in downhill["evidence_display"]}
    assert shown["total_descent_m"]["label"] == "Total descent" and shown["total_descent_m"]["text"].endswith(" ft")
    assert isinstance(downhill["evidence"]["total_descent_m"], float)  # the SI numbers stay as they were


def _session(source_id: str, sport: Sport, day: int) -> Activity:
    return Activity(
        source=Source.STRAVA,
        external_id=source_id,
        sport=sport,
        sport_original=sport.value,
        start_utc=datetime(2026, 11, day, 17, 0, tzinfo=UTC),
        name=f"Evening {sport.value}",
        distance_m=20_000.0 if sport is Sport.RIDE else None,
        moving_s=3600.0,
    )


def test_non_runs_are_sessions_counted_toward_the_weekly_targets(web: tuple[str, Seeded]) -> None:
    base, seeded = web
    store = seeded.store
    ride = store.upsert_activity(seeded.other, _session("r1", Sport.RIDE, 17), {}).activity_id
    swim = store.upsert_activity(seeded.other, _session("s1", Sport.SWIM, 19), {}).activity_id
    yoga = store.upsert_activity(seeded.other, _session("y1", Sport.YOGA, 18), {}).activity_id
    other = store.upsert_activity(seeded.other, _session("o1", Sport.OTHER, 18), {}).activity_id

    feed = get(f"{base}/?athlete={seeded.other}").body
    cards = dict(re.findall(r'<article class="card" data-id="(\d+)"[^>]*>(.*?)</article>', feed, re.S))
    assert set(cards) == {str(i) for i in (ride, swim, yoga, other, seeded.other_activity)}
    for activity_id in (ride, swim):
        card = cards[str(activity_id)]
        assert "Low-impact cross-training" in card
        assert 'counts toward the weekly target: <span class="count met">2 of 2</span> in the week of 16 Nov' in card
    assert "Core/strength session" in cards[str(yoga)]
    assert '<span class="count short">1 of 3</span> in the week of 16 Nov' in cards[str(yoga)]
    assert "not counted toward the low-impact or strength targets" in cards[str(other)]
    for activity_id in (ride, swim, yoga, other):
        card = cards[str(activity_id)]
        for wrong in ("not annotated yet", "Note not written back", "No back-care flags"):
            assert wrong not in card, (activity_id, wrong)

    page = get(f"{base}/activities/{yoga}").body
    assert "<h2>Strength work</h2>" in page and "1 of 3" in page
    assert "No back-care flags" not in page and "Not written back" not in page

    api = get(f"{base}/api/activities?athlete={seeded.other}&sport=swim").json()
    assert [item["session"] for item in api["items"]] == [  # type: ignore[index]
        {"kind": "low_impact", "label": "Low-impact cross-training", "week": "2026-W47", "count": 2, "target": 2}
    ]
    run = get(f"{base}/api/activities/{seeded.other_activity}").json()
    assert run["session"] is None  # type: ignore[index]
    assert card_ids(get(f"{base}/?athlete={seeded.other}&sport=yoga").body) == [yoga]


def test_a_session_too_short_to_count_is_counted_nowhere(web: tuple[str, Seeded]) -> None:
    """The cards, the JSON API and the strip read the week's count from the one as-of state: a 5-minute walk (under
    `[rules] min_session_min`) is no session on any of them (the cards used to count it, the strip did not)."""
    base, seeded = web
    store = seeded.store
    ride = store.upsert_activity(seeded.other, _session("r1", Sport.RIDE, 17), {}).activity_id
    stroll = replace(_session("w1", Sport.WALK, 18), moving_s=300.0)
    store.upsert_activity(seeded.other, stroll, {})

    feed = get(f"{base}/?athlete={seeded.other}&week=2026-W47").body
    cards = dict(re.findall(r'<article class="card" data-id="(\d+)"[^>]*>(.*?)</article>', feed, re.S))
    assert '<span class="count short">1 of 2</span> in the week of 16 Nov' in cards[str(ride)]
    strip = re.search(r'<section class="strip".*?</section>', feed, re.S)
    assert strip is not None and "low-impact 1/2" in strip.group(0)
    assert '<span class="wk">week of 16 Nov</span>' in strip.group(0)  # dates for a person, not "2026-W47"
    atom = get(f"{base}/feed.atom?athlete={seeded.other}&week=2026-W47").body
    assert "<title>syncd: annotated activities (week 16\u201322 Nov 2026)</title>" in atom
    api = get(f"{base}/api/activities?athlete={seeded.other}&sport=ride").json()
    assert [item["session"]["count"] for item in api["items"]] == [1]  # type: ignore[index]
