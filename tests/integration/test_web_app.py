"""The feed over real HTTP (uvicorn on 127.0.0.1:0) on SQLite and PostgreSQL: pages, filters, Atom, JSON, auth."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import jsonschema
import pytest

from syncd.adapters.db import Store
from syncd.config import AdviceSettings, ConfigError, DatabaseSettings, Secret, Settings, WebSettings
from syncd.domain.model import Activity, Gear, Source, Sport
from syncd.entrypoints.web.app import create_app
from syncd.entrypoints.web.auth import Authenticator
from syncd.entrypoints.web.serve import serve_in_thread
from syncd.entrypoints.wiring import import_repositories
from syncd.services.annotating import AnnotationPolicy, annotate_stored
from syncd.services.importing import import_paths

# the pages show a sore-back season: downhill and surface as the rules rate them (docs/pain.md)
SORE = AnnotationPolicy(advice=AdviceSettings(mode="sore"))

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real"
TOKEN = "web-token-Zq81-do-not-print"
ENC_KEY = "enc-key-Yy72-do-not-print"


@dataclass
class Response:
    status: int
    body: str
    headers: dict[str, str]

    def json(self) -> object:
        return json.loads(self.body)


def get(url: str, headers: dict[str, str] | None = None) -> Response:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return Response(reply.status, reply.read().decode(), dict(reply.headers))
    except urllib.error.HTTPError as exc:
        return Response(exc.code, exc.read().decode(), dict(exc.headers))


@dataclass
class Seeded:
    store: Store
    runner: int  # athlete with the real recordings
    other: int  # a second athlete with one run
    other_activity: int
    downhill_activity: int


def seed(store: Store) -> Seeded:
    runner = store.ensure_athlete("local", name="Real Runner")
    # the 12 recordings of real/ (not the labelled corpus/ under it: the feed pages hold 50 activities)
    files = sorted(p for p in REAL.iterdir() if p.suffix in {".fit", ".gpx", ".tcx"})
    report = import_paths(import_repositories(store), runner, files, SORE)
    assert not report.failed
    store.upsert_gear(runner, Gear("shoe-1", "Trail shoes", 640_000.0))
    store.upsert_gear(runner, Gear("shoe-2", "Road shoes", 120_000.0, limit_m=500_000.0))
    # Two plain runs a week apart: the second reports the first one's week (no strength work) in its note.
    for day, ext in ((5, "w40"), (12, "w41")):
        run = Activity(Source.FILE, ext, Sport.RUN, "running", datetime(2026, 10, day, 7, tzinfo=UTC), moving_s=1800.0)
        annotate_stored(store, store.upsert_activity(runner, run, {}).activity_id, AnnotationPolicy())
    other = store.ensure_athlete("strava:42", name="Other Athlete")
    activity = Activity(
        source=Source.STRAVA,
        external_id="9001",
        sport=Sport.RUN,
        sport_original="Run",
        start_utc=datetime(2026, 11, 20, 7, 0, tzinfo=UTC),
        name="Secret morning loop",
        distance_m=8000.0,
        moving_s=2700.0,
    )
    other_id = store.upsert_activity(other, activity, {"id": 9001}).activity_id
    annotate_stored(store, other_id, SORE, write_back_providers=lambda _a: ["strava"])
    downhill = [
        o.activity_id for o in report.annotated if any(f.code == "downhill" for f in o.annotated.annotation.flags)
    ]
    assert downhill, "the real recordings include steep downhill runs"
    return Seeded(store, runner, other, other_id, downhill[0])


def settings_for(tmp_path: Path, **web: object) -> Settings:
    return Settings(
        state_dir=tmp_path,
        config_path=None,
        web=WebSettings(**web),  # type: ignore[arg-type]
        database=DatabaseSettings(encryption_key=Secret(ENC_KEY)),
    )


@pytest.fixture
def seeded(store: Store) -> Seeded:
    return seed(store)


@pytest.fixture
def open_server(seeded: Seeded, tmp_path: Path) -> Iterator[str]:
    with serve_in_thread(create_app(seeded.store, settings_for(tmp_path))) as base:
        yield base


@pytest.fixture
def locked_server(seeded: Seeded, tmp_path: Path) -> Iterator[str]:
    settings = settings_for(tmp_path, host="0.0.0.0", token=Secret(TOKEN))
    with serve_in_thread(create_app(seeded.store, settings)) as base:
        yield base


def card_ids(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'<article class="card" data-id="(\d+)"', html)]


def test_feed_page_shows_cards_badges_and_strip(open_server: str, seeded: Seeded) -> None:
    page = get(open_server + "/")
    assert page.status == 200
    total = seeded.store.counts()["activities"]
    assert len(card_ids(page.body)) == total
    assert f"{total} activities" in page.body
    assert 'class="badge badge-high">Downhill' in page.body
    assert "Little strength work" in page.body
    assert "queued to strava" in page.body  # the other athlete's note waits in the outbox
    assert '<select id="f-athlete" name="athlete">' in page.body and '<select id="f-flag" name="flag">' in page.body
    assert '<option value="low_strength">Little strength work</option>' in page.body  # titles, not raw codes
    assert page.body.count("<h1") == 1
    # Two athletes in view: no weekly strip until one is chosen.
    assert 'class="strip"' not in page.body
    one = get(f"{open_server}/?athlete={seeded.runner}")
    assert 'class="strip"' in one.body and "low-impact" in one.body
    # single recordings years apart: no ratio, the guard's words instead (issue #13)
    assert "not enough history yet" in one.body and "ACWR" not in one.body
    assert seeded.other_activity not in card_ids(one.body)


def test_feed_filters_by_flag_sport_and_week(open_server: str, seeded: Seeded) -> None:
    downhill = get(open_server + "/?flag=downhill")
    ids = card_ids(downhill.body)
    assert seeded.downhill_activity in ids
    for activity_id in ids:
        flags = get(f"{open_server}/api/activities/{activity_id}").json()["flags"]  # type: ignore[index]
        assert "downhill" in [f["code"] for f in flags]
    rides = card_ids(get(open_server + "/?sport=ride").body)
    assert rides and all(
        get(f"{open_server}/api/activities/{i}").json()["sport"] == "ride"  # type: ignore[index]
        for i in rides
    )
    week = get(open_server + "/?week=2026-W47")
    assert card_ids(week.body) == [seeded.other_activity]
    assert get(open_server + "/?week=2026-47").status == 400
    bad_flag = get(open_server + "/?flag=sore_back")
    assert bad_flag.status == 400 and "unknown flag 'sore_back'" in bad_flag.body
    assert get(open_server + "/?page=0").status == 400


ITEM_SCHEMA = {
    "type": "object",
    "required": [
        "id",
        "athlete_id",
        "source",
        "external_id",
        "name",
        "sport",
        "start_utc",
        "start_local",
        "distance_m",
        "duration_s",
        "elapsed_s",
        "elevation_gain_m",
        "annotated",
        "flags",
        "note",
        "rules_version",
        "annotated_at",
        "writeback",
        "url",
    ],
    "properties": {
        "id": {"type": "integer"},
        "athlete_id": {"type": "integer"},
        "sport": {"type": "string"},
        "start_utc": {"type": "string", "format": "date-time"},
        "distance_m": {"type": ["number", "null"]},
        "duration_s": {"type": ["number", "null"]},
        "annotated": {"type": "boolean"},
        "note": {"type": ["string", "null"]},
        "flags": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["code", "severity", "confidence", "evidence", "advice"],
                "properties": {
                    "code": {
                        "enum": [
                            "hard_surface",
                            "downhill",
                            "speed_work",
                            "no_warmup",
                            "worn_shoes",
                            "load_spike",
                            "monotony",
                            "low_cross_training",
                            "low_strength",
                            "long_run_spike",
                        ]
                    },
                    "severity": {"enum": ["info", "caution", "high"]},
                    "confidence": {"enum": ["low", "medium", "high"]},
                    "evidence": {"type": "object"},
                    "advice": {"type": "string"},
                },
            },
        },
        "writeback": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["provider", "status", "attempts", "updated_at"],
                "properties": {"status": {"enum": ["pending", "claimed", "done", "failed"]}},
            },
        },
    },
}
LIST_SCHEMA = {
    "type": "object",
    "required": ["items", "page", "per_page", "total", "pages"],
    "properties": {
        "items": {"type": "array", "items": ITEM_SCHEMA},
        "page": {"type": "integer", "minimum": 1},
        "per_page": {"type": "integer"},
        "total": {"type": "integer"},
        "pages": {"type": "integer"},
        "accounts_needing_attention": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["provider", "state", "message", "fix"],
                "properties": {
                    "provider": {"enum": ["strava", "garmin"]},
                    "state": {"enum": ["needs_relink", "error"]},
                    "message": {"type": "string"},
                    "fix": {"type": "string"},
                },
            },
        },
    },
}
DETAIL_SCHEMA = {
    **ITEM_SCHEMA,
    "required": [*ITEM_SCHEMA["required"], "description", "gear_id", "private", "moving_s", "elevation_loss_m"],  # type: ignore[misc]
}


def test_json_api_schema_paging_and_filters(open_server: str, seeded: Seeded) -> None:
    total = seeded.store.counts()["activities"]
    first = get(open_server + "/api/activities?per_page=5")
    assert first.status == 200 and first.headers["content-type"].startswith("application/json")
    data = first.json()
    jsonschema.validate(data, LIST_SCHEMA)
    assert data["total"] == total and data["pages"] == -(-total // 5)  # type: ignore[index]
    seen: list[int] = []
    for page in range(1, data["pages"] + 1):  # type: ignore[index]
        seen += [item["id"] for item in get(f"{open_server}/api/activities?per_page=5&page={page}").json()["items"]]  # type: ignore[index]
    assert len(seen) == len(set(seen)) == total
    starts = [get(f"{open_server}/api/activities/{i}").json()["start_utc"] for i in seen]  # type: ignore[index]
    assert starts == sorted(starts, reverse=True)  # newest first
    detail = get(f"{open_server}/api/activities/{seeded.other_activity}").json()
    jsonschema.validate(detail, DETAIL_SCHEMA)
    assert detail["writeback"][0]["provider"] == "strava"  # type: ignore[index]
    mine = get(f"{open_server}/api/activities?athlete={seeded.other}").json()
    assert [i["id"] for i in mine["items"]] == [seeded.other_activity]  # type: ignore[index]
    flagged = get(open_server + "/api/activities?flag=downhill&sport=run").json()
    assert seeded.downhill_activity in [i["id"] for i in flagged["items"]]  # type: ignore[index]
    assert get(open_server + "/api/activities/999999").status == 404
    too_many = get(open_server + "/api/activities?per_page=1000")
    assert too_many.status == 400 and "per_page" in too_many.json()["error"]  # type: ignore[index]


def test_atom_feed_is_valid_with_one_entry_per_annotated_activity(open_server: str, seeded: Seeded) -> None:
    reply = get(open_server + "/feed.atom")
    assert reply.headers["content-type"].startswith("application/atom+xml")
    parsed = feedparser.parse(reply.body)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    annotated = seeded.store.counts()["activities"]  # every seeded activity is annotated
    assert len(parsed.entries) == annotated
    ids = [entry.id for entry in parsed.entries]
    assert len(set(ids)) == len(ids)
    downhill = next(e for e in parsed.entries if e.link.endswith(f"/activities/{seeded.downhill_activity}"))
    assert "Downhill" in downhill.title and "downhill" in [t.term for t in downhill.tags]
    only = feedparser.parse(get(f"{open_server}/feed.atom?athlete={seeded.other}").body)
    assert [e.link.rsplit("/", 1)[1] for e in only.entries] == [str(seeded.other_activity)]


def test_activity_page_has_note_evidence_and_highlighted_charts(open_server: str, seeded: Seeded) -> None:
    page = get(f"{open_server}/activities/{seeded.downhill_activity}")
    assert page.status == 200
    assert 'class="note-text"' in page.body and "Advice only, not a diagnosis" in page.body
    # The evidence, every number, with human labels and in the athlete's units (never raw SI keys).
    assert '<dt data-key="steepest_grade_pct">Steepest grade</dt>' in page.body
    assert ">steepest_grade_pct<" not in page.body and page.body.count("<h1") == 1
    for chart in (
        'class="chart elevation chart-wide"',
        'class="chart elevation chart-narrow"',
        'class="chart pace chart-wide"',
        'class="chart pace chart-narrow"',
        'class="route"',
    ):
        assert chart in page.body
    assert re.search(r'<rect class="hl hl-downhill"', page.body)
    assert 'class="hl-route hl-downhill"' in page.body
    assert get(f"{open_server}/activities/999999").status == 404
    assert get(f"{open_server}/activities/abc").status == 404


def test_shoes_page_shows_distance_against_limit(open_server: str, seeded: Seeded) -> None:
    page = get(f"{open_server}/shoes?athlete={seeded.runner}")
    assert page.status == 200
    assert "Trail shoes</strong>: 640 km of 600 km" in page.body and "state-over" in page.body
    assert "Road shoes</strong>: 120 km of 500 km" in page.body


def test_token_required_off_loopback(locked_server: str, seeded: Seeded) -> None:
    for path in ("/", "/api/activities", "/feed.atom", f"/activities/{seeded.downhill_activity}", "/shoes"):
        reply = get(locked_server + path)
        assert reply.status == 401, path
        assert reply.headers.get("www-authenticate") == "Bearer"
        assert get(locked_server + path, {"Authorization": "Bearer wrong"}).status == 401
        assert get(locked_server + path, {"Authorization": f"Bearer {TOKEN}"}).status == 200
    assert get(locked_server + "/?token=wrong").status == 401
    login = get(locked_server + "/?token=" + TOKEN)
    assert login.status == 200
    cookie = login.headers["set-cookie"].split(";")[0]
    assert TOKEN not in cookie and "httponly" in login.headers["set-cookie"].lower()
    assert get(locked_server + "/api/activities", {"Cookie": cookie}).status == 200
    assert get(locked_server + "/api/activities", {"Cookie": "syncd_session=owner.forged"}).status == 401


def test_athlete_link_shows_only_that_athlete(locked_server: str, seeded: Seeded, tmp_path: Path) -> None:
    auth = Authenticator(settings_for(tmp_path, host="0.0.0.0", token=Secret(TOKEN)))
    key = auth.athlete_key(seeded.other)
    feed = get(f"{locked_server}/?key={key}")
    assert feed.status == 200 and card_ids(feed.body) == [seeded.other_activity]
    assert "Real Runner" not in feed.body
    assert get(f"{locked_server}/activities/{seeded.other_activity}?key={key}").status == 200
    assert get(f"{locked_server}/activities/{seeded.downhill_activity}?key={key}").status == 404
    assert get(f"{locked_server}/api/activities/{seeded.downhill_activity}?key={key}").status == 404
    assert get(f"{locked_server}/?athlete={seeded.runner}&key={key}").status == 404
    api = get(f"{locked_server}/api/activities?key={key}").json()
    assert [i["id"] for i in api["items"]] == [seeded.other_activity]  # type: ignore[index]
    atom = feedparser.parse(get(f"{locked_server}/feed.atom?key={key}").body)
    assert len(atom.entries) == 1
    forged = f"{seeded.runner}.{key.split('.', 1)[1]}"
    assert get(f"{locked_server}/?key={forged}").status == 401
    cookie = feed.headers["set-cookie"].split(";")[0]
    assert card_ids(get(locked_server + "/", {"Cookie": cookie}).body) == [seeded.other_activity]


def test_no_secret_appears_in_any_page(locked_server: str, seeded: Seeded, tmp_path: Path) -> None:
    auth = Authenticator(settings_for(tmp_path, host="0.0.0.0", token=Secret(TOKEN)))
    key = auth.athlete_key(seeded.other)
    secrets = (TOKEN, ENC_KEY, key, key.split(".", 1)[1])
    for path in (
        f"/?token={TOKEN}",
        f"/?token={TOKEN}&page=1&flag=downhill",
        f"/activities/{seeded.downhill_activity}?token={TOKEN}",
        f"/shoes?token={TOKEN}",
        f"/feed.atom?token={TOKEN}",
        f"/api/activities?token={TOKEN}",
        f"/?key={key}",
        f"/activities/{seeded.other_activity}?key={key}",
        f"/feed.atom?key={key}",
    ):
        reply = get(locked_server + path)
        assert reply.status == 200, path
        for secret in secrets:
            assert secret not in reply.body, (path, secret)


def test_config_errors_are_one_line(seeded: Seeded, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"\[web\] token"):
        create_app(seeded.store, settings_for(tmp_path, host="0.0.0.0"))
    open_settings = replace(settings_for(tmp_path), database=DatabaseSettings())
    with pytest.raises(ConfigError, match="athlete links need"):
        Authenticator(open_settings).athlete_key(1)
    assert Authenticator(open_settings, link_secret=b"k" * 32).athlete_key(1).startswith("1.")


def test_week_filter_uses_local_calendar(open_server: str, seeded: Seeded) -> None:
    late = Activity(
        source=Source.STRAVA,
        external_id="9002",
        sport=Sport.RUN,
        sport_original="Run",
        # Sunday 23:30 local (UTC+2) is Sunday 21:30 UTC; Monday 00:30 local is still Sunday in UTC.
        start_utc=datetime(2026, 11, 22, 22, 30, tzinfo=UTC),
        utc_offset_s=7200,
        distance_m=5000.0,
        moving_s=1500.0,
    )
    new_id = seeded.store.upsert_activity(seeded.other, late, {}).activity_id
    week48 = card_ids(get(f"{open_server}/?athlete={seeded.other}&week=2026-W48").body)
    week47 = card_ids(get(f"{open_server}/?athlete={seeded.other}&week=2026-W47").body)
    assert new_id in week48 and new_id not in week47
    assert seeded.other_activity in week47
    card = get(f"{open_server}/?athlete={seeded.other}").body
    assert "not annotated yet" in card


ACCESS_TOKEN = "access-Tk55-do-not-print"
RELINK_MESSAGE = "Strava refused the refresh (401): access was revoked"


def attention_boxes(html: str) -> list[tuple[str, str]]:
    return re.findall(r'<p class="account-state [^"]*" data-provider="(\w+)" data-state="(\w+)">', html)


def test_accounts_needing_attention_show_in_feed_and_api(open_server: str, seeded: Seeded) -> None:
    store = seeded.store
    strava = store.upsert_account(seeded.other, "strava", "42", {"access_token": ACCESS_TOKEN, "refresh_token": "r"})
    garmin = store.upsert_account(seeded.runner, "garmin", "g-1", {"access_token": ACCESS_TOKEN})
    page = get(open_server + "/")
    assert attention_boxes(page.body) == [] and 'class="attention"' not in page.body
    assert get(open_server + "/api/activities").json()["accounts_needing_attention"] == []  # type: ignore[index]

    store.set_account_state(strava, "needs_relink", RELINK_MESSAGE)
    store.set_account_state(garmin, "error", "Garmin answered 500 three times")
    page = get(open_server + "/")
    assert attention_boxes(page.body) == [("strava", "needs_relink"), ("garmin", "error")]
    assert "Strava needs re-link:</strong>" in page.body and "Garmin sync error:</strong>" in page.body
    assert "refused the refresh (401)" in page.body and "<code>syncd link strava</code>" in page.body
    assert "<code>syncd link garmin</code>" in page.body
    assert page.body.index('class="attention"') < page.body.index('class="filters"')  # a banner at the top
    data = get(open_server + "/api/activities").json()
    jsonschema.validate(data, LIST_SCHEMA)
    assert data["accounts_needing_attention"] == [  # type: ignore[index]
        {"provider": "strava", "state": "needs_relink", "message": RELINK_MESSAGE, "fix": "syncd link strava"},
        {
            "provider": "garmin",
            "state": "error",
            "message": "Garmin answered 500 three times",
            "fix": "syncd link garmin",
        },
    ]
    # Filtering to one athlete narrows the banner to that athlete's accounts.
    only_runner = get(f"{open_server}/?athlete={seeded.runner}")
    assert attention_boxes(only_runner.body) == [("garmin", "error")]
    runner_api = get(f"{open_server}/api/activities?athlete={seeded.runner}").json()
    assert [a["provider"] for a in runner_api["accounts_needing_attention"]] == ["garmin"]  # type: ignore[index]
    for body in (page.body, json.dumps(data)):
        assert ACCESS_TOKEN not in body

    # Re-linking (new tokens) resets the state: the banner goes away.
    store.upsert_account(seeded.other, "strava", "42", {"access_token": "fresh", "refresh_token": "r2"})
    assert attention_boxes(get(open_server + "/").body) == [("garmin", "error")]


def test_athlete_link_shows_only_its_own_accounts_needing_attention(
    locked_server: str, seeded: Seeded, tmp_path: Path
) -> None:
    store = seeded.store
    strava = store.upsert_account(seeded.other, "strava", "42", {"access_token": ACCESS_TOKEN})
    garmin = store.upsert_account(seeded.runner, "garmin", "g-1", {"access_token": ACCESS_TOKEN})
    store.set_account_state(strava, "needs_relink", RELINK_MESSAGE)
    store.set_account_state(garmin, "needs_relink", "Garmin rejected the stored session")
    auth = Authenticator(settings_for(tmp_path, host="0.0.0.0", token=Secret(TOKEN)))
    other_key, runner_key = auth.athlete_key(seeded.other), auth.athlete_key(seeded.runner)
    other_page = get(f"{locked_server}/?key={other_key}")
    assert attention_boxes(other_page.body) == [("strava", "needs_relink")]
    assert "Garmin rejected" not in other_page.body and ACCESS_TOKEN not in other_page.body
    runner_api = get(f"{locked_server}/api/activities?key={runner_key}").json()
    assert runner_api["accounts_needing_attention"] == [  # type: ignore[index]
        {
            "provider": "garmin",
            "state": "needs_relink",
            "message": "Garmin rejected the stored session",
            "fix": "syncd link garmin",
        }
    ]
    owner = get(f"{locked_server}/", {"Authorization": f"Bearer {TOKEN}"})
    assert attention_boxes(owner.body) == [("strava", "needs_relink"), ("garmin", "needs_relink")]


def test_digest_page_is_the_email_of_that_week_for_the_athlete_it_belongs_to(
    locked_server: str, seeded: Seeded, tmp_path: Path
) -> None:
    """The weekly push links to /digest?week=...: the full digest, chart included, behind the feed's login;
    an athlete link shows that athlete's digest only."""
    token = {"Authorization": f"Bearer {TOKEN}"}
    page = get(f"{locked_server}/digest?week=2013-W06&athlete={seeded.runner}", token)
    assert page.status == 200
    assert "Your back-care week, 4\u201310 Feb 2013" in page.body and "Real Runner" in page.body
    assert "data:image/png;base64," in page.body  # the load chart, inline
    assert get(f"{locked_server}/digest?week=2013-W06").status == 401
    assert get(f"{locked_server}/digest?week=9999-W99", token).status == 400
    key = Authenticator(settings_for(tmp_path, host="0.0.0.0", token=Secret(TOKEN))).athlete_key(seeded.other)
    own = get(f"{locked_server}/digest?week=2026-W47&key={key}")
    assert own.status == 200 and "Other Athlete" in own.body and "Real Runner" not in own.body
    assert get(f"{locked_server}/digest?athlete={seeded.runner}&key={key}").status == 404
