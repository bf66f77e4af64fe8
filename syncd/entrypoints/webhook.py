"""Strava's webhook (push subscriptions) as Starlette routes: `GET /webhook/strava` and `POST /webhook/strava`.

GET is Strava's subscription check: answer `{"hub.challenge": …}` only when `hub.verify_token` matches
`[strava] webhook_verify_token`. POST is an event; Strava wants a 200 within 2 s, so nothing is synced here: an
activity event (create/update/delete) only makes that athlete's account due now and wakes the scheduler, and an
athlete event with `"authorized": "false"` hands the deauthorization to a background job (which checks with Strava
before deleting anything: events are not signed, a forged one must not delete data). Malformed events answer 400
and change nothing; events for athletes we do not know are acknowledged and ignored (or Strava retries them).
With no verify token configured the webhook is off and both routes answer 404.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from syncd.config import Settings
from syncd.entrypoints.web.bodies import read_capped
from syncd.logging import get_logger

if TYPE_CHECKING:
    from syncd.adapters.db.repository import Store

PATH = "/webhook/strava"
MAX_BODY = 64 * 1024
MAX_ID = 2**63 - 1  # Strava ids are 64-bit; a bigger number is not an id (and would not fit a database column)
UNVERIFIED_PASSES = 3  # passes per 15-minute window started by events while the subscription id is unknown
OBJECT_TYPES = {"activity", "athlete"}
ASPECT_TYPES = {"create", "update", "delete"}
log = get_logger("syncd.webhook")


class EventError(ValueError):
    """A malformed event; str() names what is wrong."""


@dataclass(frozen=True)
class Event:
    object_type: str
    aspect_type: str
    object_id: int
    owner_id: int
    updates: dict[str, Any]
    subscription_id: int | None = None

    @property
    def deauthorized(self) -> bool:
        return self.object_type == "athlete" and str(self.updates.get("authorized", "")).lower() == "false"


def parse_event(body: bytes) -> Event:
    """Strava's event JSON -> Event, or EventError naming the problem."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):  # RecursionError: "[[[[…" nested deeper than the parser's stack
        raise EventError("the body is not JSON") from None
    if not isinstance(data, dict):
        raise EventError("the body must be a JSON object")
    object_type, aspect_type = data.get("object_type"), data.get("aspect_type")
    if not isinstance(object_type, str) or object_type not in OBJECT_TYPES:
        raise EventError(f"object_type must be one of {sorted(OBJECT_TYPES)}")
    if not isinstance(aspect_type, str) or aspect_type not in ASPECT_TYPES:
        raise EventError(f"aspect_type must be one of {sorted(ASPECT_TYPES)}")
    ids = {}
    for key in ("object_id", "owner_id"):
        value = data.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_ID:
            raise EventError(f"{key} must be a positive integer")
        ids[key] = value
    updates = data.get("updates", {})
    if not isinstance(updates, dict):
        raise EventError("updates must be a JSON object")
    subscription_id = data.get("subscription_id")
    if subscription_id is not None and (
        isinstance(subscription_id, bool) or not isinstance(subscription_id, int) or not 0 < subscription_id <= MAX_ID
    ):
        raise EventError("subscription_id must be a positive integer")
    return Event(str(object_type), str(aspect_type), ids["object_id"], ids["owner_id"], updates, subscription_id)


class WebhookSink:
    """What an event does: mark the account due (in the database, so any worker may take it) and wake us."""

    def __init__(
        self,
        store: Store,
        *,
        on_due: Callable[[], None],
        on_deauthorized: Callable[[str, str], None],
        provider: str = "strava",
        subscriptions: Callable[[], frozenset[int] | None] = lambda: None,
        on_validated: Callable[[], None] = lambda: None,
    ) -> None:
        self.store = store
        self.on_due = on_due
        self.on_deauthorized = on_deauthorized
        self.provider = provider
        self.subscriptions = subscriptions
        self.on_validated = on_validated
        self._window: datetime | None = None  # the 15-minute window of the unverified passes counted
        self._passes = 0
        self._held: dict[str, int | None] = {}  # owner -> subscription id of the events coalesced while unverified

    def from_our_subscription(self, event: Event) -> bool:
        """False when the event names no subscription or another one than Strava listed for this app.

        Events are not signed; checking the id is what keeps a forged event from costing a Strava read. Before the
        daemon has asked Strava (or while Strava cannot be asked) the ids are unknown and events are accepted.
        """
        known = self.subscriptions()
        return known is None or event.subscription_id in known

    def accept(self, event: Event) -> str:
        """Act on one event quickly; returns what was done (for the log and the answer)."""
        from syncd.services.platforms import mark_due

        owner = str(event.owner_id)
        if event.deauthorized:
            self.on_deauthorized(self.provider, owner)
            return "deauthorization queued"
        if event.object_type != "activity":
            return "ignored"
        later = None if self.subscriptions() is not None else self._unverified_slot(datetime.now(UTC))
        if not mark_due(self.store.account_leases, self.provider, owner, later):
            return "unknown athlete; ignored"
        if later is not None:
            self._held[owner] = event.subscription_id
            return f"coalesced: synced at {later:%H:%M} UTC"
        self.on_due()
        return "sync queued"

    def release(self, known: frozenset[int]) -> int:
        """The subscription ids are known now: the events coalesced while they were not, and that came from one of
        them, are synced at once instead of at the window's end; returns how many accounts that made due."""
        from syncd.services.platforms import mark_due

        held, self._held = self._held, {}
        owners = [owner for owner, subscription in held.items() if subscription in known]
        released = sum(1 for owner in owners if mark_due(self.store.account_leases, self.provider, owner, None))
        if released:
            self.on_due()
        return released

    def _unverified_slot(self, now: datetime) -> datetime | None:
        """While the subscription id is unknown, any unsigned event is accepted: the first UNVERIFIED_PASSES of a
        15-minute window each start a pass now (None), the rest are coalesced into one pass at the window's end
        (200 forged events once used up the whole read budget of a window)."""
        window = now.replace(minute=now.minute - now.minute % 15, second=0, microsecond=0)
        if window != self._window:
            self._window, self._passes = window, 0
        self._passes += 1
        return None if self._passes <= UNVERIFIED_PASSES else window + timedelta(minutes=15)


def _verify_token(settings: Settings) -> str | None:
    token = settings.strava.webhook_verify_token
    return token.reveal() if token else None


async def _read_capped(request: Request) -> bytes | Response:
    """The event's body, at most MAX_BODY bytes counted while streaming (syncd.entrypoints.web.bodies)."""
    body = await read_capped(request, MAX_BODY)
    if isinstance(body, Response):
        log.warning("webhook_event_refused", error=f"body refused ({body.status_code})")
    return body


def webhook_routes(settings: Settings, sink: WebhookSink) -> list[BaseRoute]:
    expected = _verify_token(settings)

    async def validate(request: Request) -> Response:
        if expected is None:
            return JSONResponse({"error": "webhook is off: set [strava] webhook_verify_token"}, status_code=404)
        params = request.query_params
        challenge, mode, token = params.get("hub.challenge"), params.get("hub.mode"), params.get("hub.verify_token")
        if not challenge or mode != "subscribe" or token is None:
            return JSONResponse(
                {"error": "expected hub.mode=subscribe, hub.challenge and hub.verify_token"}, status_code=400
            )
        if not hmac.compare_digest(token.encode(), expected.encode()):
            log.warning("webhook_validation_refused", reason="wrong verify token")
            return JSONResponse({"error": "wrong hub.verify_token"}, status_code=403)
        log.info("webhook_validated")
        sink.on_validated()  # a subscription is being created: its id is learnt from Strava shortly
        return JSONResponse({"hub.challenge": challenge})

    async def receive(request: Request) -> Response:
        if expected is None:
            return JSONResponse({"error": "webhook is off: set [strava] webhook_verify_token"}, status_code=404)
        body = await _read_capped(request)
        if isinstance(body, Response):
            return body
        try:
            event = parse_event(body)
        except EventError as exc:
            log.warning("webhook_event_refused", error=str(exc))
            return JSONResponse({"error": f"malformed event: {exc}"}, status_code=400)
        if not sink.from_our_subscription(event):
            log.warning("webhook_event_refused", error="not from this app's subscription")
            return JSONResponse({"error": "unknown subscription_id"}, status_code=403)
        try:
            outcome = await run_in_threadpool(sink.accept, event)
        except Exception as exc:  # the database is down: 500 makes Strava retry the event
            log.error("webhook_event_failed", error=f"{type(exc).__name__}: {exc}")
            return JSONResponse({"error": "could not queue the event; it will be retried"}, status_code=500)
        log.info(
            "webhook_event",
            object_type=event.object_type,
            aspect_type=event.aspect_type,
            object_id=event.object_id,
            outcome=outcome,
        )
        return JSONResponse({"status": outcome})

    return [
        Route(PATH, validate, methods=["GET"], name="webhook_validate"),
        Route(PATH, receive, methods=["POST"], name="webhook_event"),
    ]
