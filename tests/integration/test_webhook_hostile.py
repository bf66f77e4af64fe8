"""The webhook under hostile requests (issue 17, item 5): chunked bodies capped while streaming, forged events
(another subscription id) refused before they can cost a Strava read, malformed bodies 400, nothing changed."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from starlette.applications import Starlette

from syncd.adapters.crypto import SecretBox
from syncd.adapters.db import Store
from syncd.config import Secret, Settings, StravaSettings
from syncd.entrypoints.web.serve import serve_in_thread
from syncd.entrypoints.webhook import MAX_BODY, WebhookSink, webhook_routes
from tests.net import chunked_post

OWNER = 4242
FAR = datetime(2030, 1, 1, tzinfo=UTC)


class Harness:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.known: frozenset[int] | None = frozenset({101})
        self.woken = 0
        self.validated = 0
        self.url = ""
        self.sink: WebhookSink | None = None

    def due(self) -> datetime:
        [account] = self.store.list_accounts()
        return account.next_due_at


@pytest.fixture
def hook(tmp_path: Path, secret_box: SecretBox) -> Iterator[Harness]:
    store = Store.open(f"sqlite:///{tmp_path / 'syncd.db'}", secret_box=secret_box)
    athlete = store.ensure_athlete("a")
    account = store.upsert_account(athlete, "strava", str(OWNER), {"access_token": "t"})
    store.claim_accounts("setup", now=datetime.now(UTC), lease_s=60, limit=1)
    assert store.release_account(account, "setup", next_due_at=FAR)  # only an accepted event makes it due
    harness = Harness(store)

    def wake() -> None:
        harness.woken += 1

    def validated() -> None:
        harness.validated += 1
        harness.known = None

    sink = WebhookSink(
        store, on_due=wake, on_deauthorized=lambda *_: None, subscriptions=lambda: harness.known, on_validated=validated
    )
    settings = Settings(state_dir=tmp_path, config_path=None, strava=StravaSettings(webhook_verify_token=Secret("v")))
    harness.sink = sink
    with serve_in_thread(Starlette(routes=webhook_routes(settings, sink))) as url:
        harness.url = url + "/webhook/strava"
        yield harness
    store.close()


def event(**changes: object) -> bytes:
    body: dict[str, object] = {
        "object_type": "activity",
        "aspect_type": "create",
        "object_id": 7,
        "owner_id": OWNER,
        "subscription_id": 101,
        "event_time": 1,
        "updates": {},
    }
    body.update(changes)
    return json.dumps(body).encode()


def test_an_event_from_our_subscription_makes_the_account_due(hook: Harness) -> None:
    answer = requests.post(hook.url, data=event(), timeout=5)
    assert answer.status_code == 200 and answer.json() == {"status": "sync queued"}
    assert hook.due() < FAR - timedelta(days=365) and hook.woken == 1


@pytest.mark.parametrize("subscription", [999, None])
def test_a_forged_event_is_refused_and_changes_nothing(hook: Harness, subscription: int | None) -> None:
    body = event(subscription_id=subscription) if subscription else event()
    if subscription is None:
        body = json.dumps({k: v for k, v in json.loads(body).items() if k != "subscription_id"}).encode()
    answer = requests.post(hook.url, data=body, timeout=5)
    assert answer.status_code == 403 and answer.json() == {"error": "unknown subscription_id"}
    assert hook.due() == FAR and hook.woken == 0


def test_without_a_subscription_every_event_is_forged(hook: Harness) -> None:
    hook.known = frozenset()
    assert requests.post(hook.url, data=event(), timeout=5).status_code == 403
    assert hook.woken == 0


def test_after_strava_validates_the_callback_events_are_accepted_until_the_id_is_known(hook: Harness) -> None:
    hook.known = frozenset()
    params = {"hub.mode": "subscribe", "hub.challenge": "c", "hub.verify_token": "v"}
    assert requests.get(hook.url, params=params, timeout=5).json() == {"hub.challenge": "c"}
    assert hook.validated == 1
    assert requests.post(hook.url, data=event(subscription_id=555), timeout=5).status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"[]",
        b"null",
        b'"x"',
        b"\xff\xfe",
        b"{" * 10_000,
        b"[" * 60_000,
        event(object_type=[]),
        event(aspect_type={"a": 1}),
        event(owner_id="4242"),
        event(owner_id=True),
        event(owner_id=-1),
        event(owner_id=10**400),
        event(object_id=1.5),
        event(object_type="club"),
        event(aspect_type="explode"),
        event(updates=[1]),
        event(subscription_id="101"),
        event(subscription_id=0),
    ],
)
def test_malformed_events_answer_400_and_change_nothing(hook: Harness, body: bytes) -> None:
    answer = requests.post(hook.url, data=body, headers={"Content-Type": "application/json"}, timeout=5)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"].startswith("malformed event: ")
    assert hook.due() == FAR and hook.woken == 0


@pytest.mark.parametrize("length", ["99999999", "²", "1e3", "-1", "0x10", "1_0"])
def test_bad_or_large_content_length_is_refused_before_reading(hook: Harness, length: str) -> None:
    host, port = _address(hook.url)
    with socket.create_connection((host, port), timeout=5) as sock:
        sock.sendall(f"POST /webhook/strava HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n\r\n".encode())
        status = sock.recv(200).split(b"\r\n", 1)[0]
    assert status.split()[1] in (b"400", b"413"), status


def test_a_chunked_body_without_length_is_capped_while_streaming(hook: Harness) -> None:
    """Chunks of 16 KiB, up to 64 MiB: the answer (413) must come after about MAX_BODY, not after the whole body."""
    status, sent = chunked_post(hook.url, "/webhook/strava")
    assert status.startswith(b"HTTP/1.1 413"), status
    assert sent < 4 * 2**20, f"the server kept reading {sent} bytes"
    assert sent >= MAX_BODY
    assert hook.due() == FAR


def _address(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    assert parts.hostname is not None and parts.port is not None
    return parts.hostname, parts.port


def test_a_sender_that_gives_up_mid_body_changes_nothing(hook: Harness, capfd: pytest.CaptureFixture[str]) -> None:
    host, port = _address(hook.url)
    with socket.create_connection((host, port), timeout=5) as sock:
        sock.sendall(b"POST /webhook/strava HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
    time.sleep(0.5)
    assert requests.post(hook.url, data=event(), timeout=5).status_code == 200
    assert "Traceback" not in capfd.readouterr().err


def test_before_the_subscription_is_known_events_are_coalesced_after_a_few_passes(hook: Harness) -> None:
    """Issue 31: 200 unsigned create events each started a pass and used up the window's read budget."""
    from syncd.entrypoints.webhook import UNVERIFIED_PASSES

    hook.known = None  # the daemon has not learnt the subscription id yet: events cannot be checked
    answers = [requests.post(hook.url, data=event(object_id=i), timeout=5).json()["status"] for i in range(1, 21)]

    assert answers[:UNVERIFIED_PASSES] == ["sync queued"] * UNVERIFIED_PASSES
    assert all(a.startswith("coalesced: synced at ") for a in answers[UNVERIFIED_PASSES:]), answers
    assert hook.woken == UNVERIFIED_PASSES  # the rest start no pass of their own
    assert hook.due() <= datetime.now(UTC)  # a coalesced event never pushes a due sync later

    hook.known = frozenset({101})  # once known, every event from our subscription counts again
    assert requests.post(hook.url, data=event(), timeout=5).json() == {"status": "sync queued"}
    assert hook.woken == UNVERIFIED_PASSES + 1


def test_a_coalesced_event_makes_an_idle_account_due_at_the_windows_end(hook: Harness) -> None:
    from syncd.entrypoints.webhook import UNVERIFIED_PASSES

    hook.known = None
    for i in range(UNVERIFIED_PASSES):
        requests.post(hook.url, data=event(object_id=i + 1), timeout=5)
    assert hook.woken == UNVERIFIED_PASSES
    # those passes made it due now; once synced (idle until FAR), one more event is due at the window's end
    [account] = hook.store.list_accounts()
    hook.store.claim_accounts("w", now=datetime.now(UTC), lease_s=60, limit=1)
    hook.store.release_account(account.id, "w", next_due_at=FAR)
    status = requests.post(hook.url, data=event(object_id=99), timeout=5).json()["status"]
    assert status.startswith("coalesced")
    now = datetime.now(UTC)
    assert now < hook.due() <= now + timedelta(minutes=15)


def test_events_held_while_unverified_are_synced_once_the_subscription_is_known(hook: Harness) -> None:
    """Right after `syncd webhook subscribe` the daemon does not know the new id for a few seconds: a burst of events
    then is coalesced, and synced at once when the id is learnt (not at the window's end) if it names that id."""
    from syncd.entrypoints.webhook import UNVERIFIED_PASSES

    assert hook.sink is not None
    hook.known = None
    for i in range(UNVERIFIED_PASSES):
        requests.post(hook.url, data=event(object_id=i + 1), timeout=5)
    [account] = hook.store.list_accounts()
    hook.store.claim_accounts("w", now=datetime.now(UTC), lease_s=60, limit=1)
    hook.store.release_account(account.id, "w", next_due_at=FAR)
    assert requests.post(hook.url, data=event(object_id=50), timeout=5).json()["status"].startswith("coalesced")
    assert hook.sink.release(frozenset({999})) == 0  # another subscription's id: still held until the window ends
    assert hook.due() > datetime.now(UTC)

    assert requests.post(hook.url, data=event(object_id=51), timeout=5).json()["status"].startswith("coalesced")
    woken = hook.woken
    assert hook.sink.release(frozenset({101})) == 1
    assert hook.due() <= datetime.now(UTC) and hook.woken == woken + 1
    assert hook.sink.release(frozenset({101})) == 0  # released once
