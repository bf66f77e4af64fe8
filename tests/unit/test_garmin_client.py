"""Where garminconnect keeps its host: the one private detail syncd relies on. An upgrade that moves it must fail
here, loudly, instead of silently sending a simulator's or proxy's traffic to the real Garmin."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

import pytest
from garminconnect import Garmin

from syncd.adapters.garmin.client import (
    DEFAULT_API_URL,
    TOKEN_PATH,
    ClientLayoutError,
    cap_timeout,
    client_hosts,
    make_garmin,
    route_client,
    tokens_json,
)


def test_garminconnect_still_keeps_its_hosts_where_syncd_routes_them() -> None:
    api, token = client_hosts(Garmin())
    assert api == DEFAULT_API_URL, "garminconnect moved Client._connectapi: fix syncd.adapters.garmin.client"
    assert token == "https://diauth.garmin.com/di-oauth2-service/oauth/token"
    assert token.endswith(TOKEN_PATH)


def test_routing_points_api_and_token_refresh_at_the_configured_base() -> None:
    garmin = make_garmin("http://127.0.0.1:9/garmin/")
    assert client_hosts(garmin) == ("http://127.0.0.1:9/garmin", "http://127.0.0.1:9/garmin" + TOKEN_PATH)
    # garminconnect builds every API URL from that attribute
    assert garmin.client._resolve_url("/activity-service/activity/1") == (
        "http://127.0.0.1:9/garmin/activity-service/activity/1"
    )


def test_the_default_host_is_left_alone() -> None:
    garmin = make_garmin(DEFAULT_API_URL)
    assert client_hosts(garmin) == (DEFAULT_API_URL, "https://diauth.garmin.com/di-oauth2-service/oauth/token")


def test_a_client_without_the_attributes_fails_loudly() -> None:
    moved = cast(Any, SimpleNamespace(client=SimpleNamespace(_api_base="https://elsewhere")))
    with pytest.raises(ClientLayoutError, match="pin garminconnect"):
        route_client(moved, "http://127.0.0.1:9")


def test_clients_are_built_without_credentials() -> None:
    garmin = make_garmin("http://127.0.0.1:9")
    assert garmin.username is None and garmin.password is None


def test_token_store_json_is_what_garminconnect_loads() -> None:
    garmin = Garmin()
    garmin.client.loads(tokens_json({"di_token": "a.b.c", "di_refresh_token": "r", "di_client_id": "c", "x": 1}))
    assert garmin.client.di_token == "a.b.c" and garmin.client.di_refresh_token == "r"


def test_the_timeout_caps_every_api_request() -> None:
    garmin = make_garmin("http://127.0.0.1:9", timeout_s=0.5)
    seen: list[object] = []

    class Recorder:
        def request(self, method: str, url: str, **kwargs: object) -> None:
            seen.append(kwargs.get("timeout"))

    session = garmin.client._api_session
    session.request = Recorder().request  # the cap wraps whatever the session sends with
    cap_timeout(garmin, 0.5)
    session.request("GET", "http://127.0.0.1:9/x", timeout=15)  # garminconnect always asks for 15 s
    session.request("GET", "http://127.0.0.1:9/x")
    session.request("GET", "http://127.0.0.1:9/x", timeout=0.1)
    assert seen == [0.5, 0.5, 0.1]
