"""`syncd feed-link` as a process: the printed link, served over real HTTP on the same database, shows one athlete."""

from __future__ import annotations

import re
import urllib.error
import urllib.request

from syncd.config import load_settings
from syncd.entrypoints.web.app import create_app
from syncd.entrypoints.web.auth import Authenticator
from syncd.entrypoints.web.serve import serve_in_thread
from syncd.entrypoints.wiring import open_store
from tests.e2e.conftest import FIXTURES, RunSyncd

TOKEN = "feed-link-token-Qp37-do-not-print"
RUN = FIXTURES / "real" / "run.fit"
OTHER = FIXTURES / "real" / "2013-02-06-12-11-14.fit"
LINK = re.compile(r"^(http://[^/]+)/\?key=(\d+)\.([A-Za-z0-9_-]+)$")


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as reply:
            return reply.status, reply.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def card_ids(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'<article class="card" data-id="(\d+)"', html)]


def test_feed_link_shows_that_athlete_only(run_syncd: RunSyncd, syncd_env: dict[str, str]) -> None:
    env = {"SYNCD_WEB_TOKEN": TOKEN, "SYNCD_WEB_PORT": "8123"}
    assert run_syncd("import", RUN, "--quiet").returncode == 0
    imported = run_syncd("import", OTHER, "--athlete", "strava:1001", "--quiet")
    assert imported.returncode == 0, imported.stderr

    result = run_syncd("feed-link", "strava:1001", env=env)
    assert result.returncode == 0, result.stderr
    link = result.stdout.strip()
    match = LINK.match(link)
    assert match is not None, link
    assert match.group(1) == "http://127.0.0.1:8123"  # [web] host and port
    assert TOKEN not in result.stdout + result.stderr
    athlete_id = int(match.group(2))
    by_id = run_syncd("feed-link", str(athlete_id), "--base-url", "https://feed.example.org/", env=env)
    assert by_id.returncode == 0, by_id.stderr
    assert by_id.stdout.strip() == "https://feed.example.org" + link.removeprefix(match.group(1))
    local = run_syncd("feed-link", "local", env=env).stdout.strip()
    assert local != link and LINK.match(local)

    settings = load_settings(env={**syncd_env, **env})
    key = link.split("?key=", 1)[1]
    assert key == Authenticator(settings).athlete_key(athlete_id)
    store = open_store(settings)
    try:
        other = {a.key: a.id for a in store.list_athletes()}
        assert other["strava:1001"] == athlete_id
        with serve_in_thread(create_app(store, settings)) as base:
            assert fetch(base + "/")[0] == 401  # a token is set: nothing without the link
            status, page = fetch(base + "/?key=" + key)
            assert status == 200
            ids = card_ids(page)
            assert len(ids) == 1
            assert fetch(f"{base}/api/activities/{ids[0]}?key={key}")[0] == 200
            local_status, local_page = fetch(base + "/?key=" + local.split("?key=", 1)[1])
            assert local_status == 200 and ids[0] not in card_ids(local_page) and card_ids(local_page)
            for activity_id in card_ids(local_page):  # the other athlete's runs answer 404 through this link
                assert fetch(f"{base}/activities/{activity_id}?key={key}")[0] == 404
            assert fetch(f"{base}/?athlete={other['local']}&key={key}")[0] == 404
    finally:
        store.close()


def test_feed_link_errors_are_one_line(run_syncd: RunSyncd) -> None:
    assert run_syncd("import", RUN, "--quiet").returncode == 0
    unknown = run_syncd("feed-link", "strava:999", env={"SYNCD_WEB_TOKEN": TOKEN})
    assert unknown.returncode == 2
    assert unknown.stdout == "" and len(unknown.stderr.strip().splitlines()) == 1
    assert "no athlete 'strava:999'" in unknown.stderr and "local (id 1)" in unknown.stderr
    assert run_syncd("feed-link", "42", env={"SYNCD_WEB_TOKEN": TOKEN}).returncode == 2
    no_key = run_syncd("feed-link", "local")  # neither [web] token nor [database] encryption_key
    assert no_key.returncode == 2 and "athlete links need" in no_key.stderr
    bad_url = run_syncd("feed-link", "local", "--base-url", "feed.example.org", env={"SYNCD_WEB_TOKEN": TOKEN})
    assert bad_url.returncode == 2 and "--base-url" in bad_url.stderr
