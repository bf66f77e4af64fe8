"""Atom ids and links from `[web] base_url` (never the Host header), one feed per filter, strict query parameters,
and a session cookie that is SameSite=Lax and Secure exactly when the browser came over HTTPS."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import pytest

from syncd.config import Secret
from syncd.domain.model import Activity, Source, Sport
from syncd.entrypoints.web.app import create_app
from syncd.entrypoints.web.serve import serve_in_thread
from tests.integration.test_web_app import TOKEN, Seeded, get, seed, settings_for

BASE_URL = "https://feed.example.org"


@pytest.fixture
def seeded_store(store: object) -> Seeded:
    return seed(store)  # type: ignore[arg-type]


@pytest.fixture
def plain(seeded_store: Seeded, tmp_path: Path) -> Iterator[str]:
    with serve_in_thread(create_app(seeded_store.store, settings_for(tmp_path))) as base:
        yield base


@pytest.fixture
def public(seeded_store: Seeded, tmp_path: Path) -> Iterator[str]:
    with serve_in_thread(create_app(seeded_store.store, settings_for(tmp_path, base_url=BASE_URL))) as base:
        yield base


def test_atom_ids_and_links_come_from_base_url_not_the_host_header(public: str, seeded_store: Seeded) -> None:
    reply = get(public + "/feed.atom", {"Host": "evil.example"})
    assert reply.status == 200 and "evil.example" not in reply.body
    parsed = feedparser.parse(reply.body)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.feed.id == f"{BASE_URL}/feed.atom"
    assert {link.rel: link.href for link in parsed.feed.links}["self"] == f"{BASE_URL}/feed.atom"
    assert all(e.id.startswith(f"{BASE_URL}/activities/") for e in parsed.entries)
    assert all(e.link.startswith(f"{BASE_URL}/activities/") for e in parsed.entries)
    # Rides and walks say what they count toward, not "no flags".
    assert any("low-impact cross-training" in e.title for e in parsed.entries)
    assert not any("no flags" in e.title and "Ride" in e.content[0].value for e in parsed.entries)

    downhill = feedparser.parse(get(public + "/feed.atom?flag=downhill", {"Host": "evil.example"}).body)
    assert downhill.feed.id == f"{BASE_URL}/feed.atom?flag=downhill"
    assert {link.rel: link.href for link in downhill.feed.links}["self"] == f"{BASE_URL}/feed.atom?flag=downhill"
    assert "Downhill" in downhill.feed.title
    runner = feedparser.parse(get(f"{public}/feed.atom?athlete={seeded_store.runner}&flag=downhill").body)
    assert runner.feed.id == f"{BASE_URL}/feed.atom?athlete={seeded_store.runner}&flag=downhill"
    ids = {parsed.feed.id, downhill.feed.id, runner.feed.id}
    assert len(ids) == 3  # each filtered feed is its own feed


def test_atom_without_base_url_uses_a_stable_tag_uri(plain: str, seeded_store: Seeded) -> None:
    first = feedparser.parse(get(plain + "/feed.atom", {"Host": "evil.example"}).body)
    again = feedparser.parse(get(plain + "/feed.atom", {"Host": "other.example"}).body)
    assert first.feed.id.startswith("tag:syncd,2026:") and first.feed.id == again.feed.id
    assert all(e.id.startswith("tag:syncd,2026:") for e in first.entries)
    assert "evil.example" not in get(plain + "/feed.atom", {"Host": "evil.example"}).body
    # Links use the configured host:port (127.0.0.1:8080 here), never the request's.
    assert all(e.link.startswith("http://127.0.0.1:8080/activities/") for e in first.entries)


def test_atom_page_is_validated_and_paged(plain: str) -> None:
    bad = get(plain + "/feed.atom?page=abc")
    assert bad.status == 400 and "page='abc'" in bad.body and "whole number" in bad.body
    past = get(plain + "/feed.atom?page=99")
    assert past.status == 400 and "past the end" in past.body
    assert get(plain + "/feed.atom?sport=bogus").status == 400


def test_json_api_rejects_bad_values_naming_the_allowed_ones(plain: str, seeded_store: Seeded) -> None:
    bogus = get(plain + "/api/activities?sport=bogus")
    assert bogus.status == 400
    message = bogus.json()["error"]  # type: ignore[index]
    assert "sport 'bogus'" in message and "run" in message and "strength" in message
    assert get(plain + "/?sport=bogus").status == 400
    flag = get(plain + "/api/activities?flag=downhil").json()["error"]  # type: ignore[index]
    assert "downhill" in flag and "hard_surface" in flag
    typo = get(plain + "/api/activities?flags=downhill")
    assert typo.status == 400 and "unknown parameter 'flags'" in typo.json()["error"]  # type: ignore[index]
    odd = get(plain + "/api/activities?annotated=maybe")
    assert odd.status == 400 and "annotated='maybe'" in odd.json()["error"]  # type: ignore[index]

    store = seeded_store.store
    fresh = Activity(
        source=Source.STRAVA,
        external_id="9100",
        sport=Sport.RUN,
        sport_original="Run",
        start_utc=datetime(2026, 11, 24, 7, 0, tzinfo=UTC),
        distance_m=6000.0,
        moving_s=1900.0,
    )
    fresh_id = store.upsert_activity(seeded_store.other, fresh, {}).activity_id  # synced, rules not run yet
    total = store.counts()["activities"]
    everything = get(plain + "/api/activities?per_page=200").json()
    annotated = get(plain + "/api/activities?per_page=200&annotated=1").json()
    waiting = get(plain + "/api/activities?per_page=200&annotated=0").json()
    assert everything["total"] == total  # type: ignore[index]
    assert all(item["annotated"] for item in annotated["items"])  # type: ignore[index]
    assert not any(item["annotated"] for item in waiting["items"])  # type: ignore[index]
    assert annotated["total"] + waiting["total"] == total  # type: ignore[index]
    assert [item["id"] for item in waiting["items"]] == [fresh_id]  # type: ignore[index]
    assert get(plain + "/api/activities?sport=ride").status == 200


def _cookie_attributes(header: str) -> set[str]:
    return {part.strip().lower() for part in header.split(";")[1:]}


def test_session_cookie_is_lax_and_secure_only_over_https(seeded_store: Seeded, tmp_path: Path) -> None:
    locked = settings_for(tmp_path, host="0.0.0.0", token=Secret(TOKEN))
    app = create_app(seeded_store.store, locked)
    spoof = {"X-Forwarded-Proto": "https"}
    with serve_in_thread(app) as base:
        plain = get(f"{base}/?token={TOKEN}").headers["set-cookie"]
        assert {"samesite=lax", "httponly"} <= _cookie_attributes(plain) and "secure" not in _cookie_attributes(plain)
        # Nobody is a trusted proxy by default: the header alone does not make the cookie Secure.
        spoofed = get(f"{base}/?token={TOKEN}", spoof).headers["set-cookie"]
        assert "secure" not in _cookie_attributes(spoofed)
    with serve_in_thread(app, forwarded_allow_ips="127.0.0.1") as base:
        proxied = get(f"{base}/?token={TOKEN}", spoof).headers["set-cookie"]
        assert {"secure", "samesite=lax"} <= _cookie_attributes(proxied)
    public = create_app(
        seeded_store.store, settings_for(tmp_path, host="0.0.0.0", token=Secret(TOKEN), base_url=BASE_URL)
    )
    with serve_in_thread(public) as base:
        secure = get(f"{base}/?token={TOKEN}").headers["set-cookie"]
        assert {"secure", "samesite=lax", "httponly"} <= _cookie_attributes(secure)
        assert TOKEN not in secure
