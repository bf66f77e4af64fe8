"""The simulated Strava serves a club the way Strava does (issue 17): each athlete's token sees only that athlete's
data, and the rate limits belong to the application, shared by every athlete's requests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import requests

from syncd.testing.seed import seed_synthetic
from syncd.testing.strava_server import StravaSimulator

END = datetime.now(UTC) - timedelta(hours=1)


def _get(sim: StravaSimulator, token: str, path: str) -> requests.Response:
    return requests.get(f"{sim.api_url}{path}", headers={"Authorization": f"Bearer {token}"}, timeout=5)


def test_two_hundred_athletes_each_see_only_their_own_activities() -> None:
    with StravaSimulator(read_short_limit=10_000, short_limit=10_000) as sim:
        owned = {}
        for seed in range(1, 201):
            athlete = sim.add_athlete(firstname="Club", lastname=f"Member{seed}")
            owned[athlete.id] = seed_synthetic(
                sim, athlete.id, count=1, end=END, run_share=1.0, seed=seed, run_minutes=5
            )[0]
        tokens = {athlete_id: sim.issue_tokens(athlete_id)["access_token"] for athlete_id in owned}
        first, last = min(owned), max(owned)
        for athlete_id in (first, last):
            me = _get(sim, tokens[athlete_id], "/athlete").json()
            assert me["id"] == athlete_id
            listed = _get(sim, tokens[athlete_id], "/athlete/activities").json()
            assert [a["id"] for a in listed] == [owned[athlete_id]]
            assert listed[0]["athlete"] == {"id": athlete_id, "resource_state": 1}
        assert _get(sim, tokens[first], f"/activities/{owned[last]}").status_code == 404  # not theirs
        assert _get(sim, tokens[last], f"/activities/{owned[last]}").status_code == 200
        logged = [r.athlete_id for r in sim.requests if r.path.startswith("/api/v3/")]
        assert logged.count(first) == 3 and logged.count(last) == 3  # the log says whose token asked


def test_rate_limits_are_per_application_shared_by_all_athletes() -> None:
    with StravaSimulator(read_short_limit=4, short_limit=6) as sim:
        tokens = [sim.issue_tokens(sim.add_athlete().id)["access_token"] for _ in range(3)]
        answers = [_get(sim, tokens[i % 3], "/athlete") for i in range(5)]
        assert [a.status_code for a in answers] == [200, 200, 200, 200, 429]  # the 5th read, whoever asks
        assert answers[3].headers["X-ReadRateLimit-Usage"].split(",")[0] == "4"  # counted app-wide
        assert answers[3].headers["X-ReadRateLimit-Limit"] == "4,1000"
        assert sim.over_limit == 1
