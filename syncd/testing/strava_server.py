"""A simulated Strava API over real HTTP (127.0.0.1), for tests, benchmarks and `syncd demo`.

Wire format follows Strava's published API (the swagger spec shipped with stravalib): OAuth authorize/token
(codes, refresh with rotated refresh tokens), `athlete`, `athlete/activities` (paging, `after`/`before`),
`activities/{id}` (DetailedActivity), `activities/{id}/streams?keys=…&key_by_type=true`, `activities/{id}/laps`,
`gear/{id}`, `PUT activities/{id}`; rate-limit headers on every API answer and 429 beyond the limits; 401 for
expired or revoked tokens; 403 "Application Inactive"; injectable faults (status codes, connection resets, slow
answers). State is inspectable from Python: descriptions, the request log, counts.

    with StravaSimulator() as sim:
        athlete = sim.add_athlete()
        ...
        sim.api_url, sim.oauth_url
"""

from __future__ import annotations

import copy
import json
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlencode

from syncd.domain.rate_budget import daily_window_start, short_window_start
from syncd.testing import chaos as faults
from syncd.testing.chaos import CHAOS_KINDS, Chaos, RawBody, Truncated
from syncd.testing.loopback import LoopbackServer, RequestCounting, SimHandler, platform_normalise

__all__ = ["CHAOS_KINDS", "Chaos", "RawBody", "StravaSimulator"]  # Chaos and RawBody live in syncd.testing.chaos

DETAIL_ONLY = ("description", "laps", "gear", "calories", "splits_metric", "segment_efforts", "device_name")
STREAM_TYPES = ("time", "distance", "latlng", "altitude", "velocity_smooth", "heartrate", "cadence", "moving")


@dataclass
class SimAthlete:
    id: int
    firstname: str = "Sim"
    lastname: str = "Runner"
    activities: dict[int, dict[str, Any]] = field(default_factory=dict)
    streams: dict[int, dict[str, Any]] = field(default_factory=dict)
    gear: dict[str, dict[str, Any]] = field(default_factory=dict)
    revoked: bool = False

    def payload(self) -> dict[str, Any]:
        shoes = [
            {"id": g["id"], "primary": i == 0, "name": g["name"], "resource_state": 2, "distance": g["distance"]}
            for i, g in enumerate(v for v in self.gear.values() if v["id"].startswith("g"))
        ]
        return {
            "id": self.id,
            "resource_state": 3,
            "username": f"sim{self.id}",
            "firstname": self.firstname,
            "lastname": self.lastname,
            "city": "",
            "country": "",
            "sex": None,
            "premium": False,
            "summit": False,
            "created_at": "2020-01-01T00:00:00Z",
            "updated_at": "2026-01-01T00:00:00Z",
            "measurement_preference": "meters",
            "shoes": shoes,
            "bikes": [],
        }


@dataclass
class Fault:
    """Answer matching requests with `status` (or "reset"/"slow") `times` times; `body` is the JSON error."""

    method: str
    path: re.Pattern[str]
    status: int | str
    times: int = 1
    body: dict[str, Any] | None = None
    delay_s: float = 0.0


# Requests the fault-injection suite may hit: the API proper (not OAuth, not push subscriptions).
CHAOS_PATHS = re.compile(r"^/api/v3/(athlete|activities|gear)")


@dataclass(frozen=True)
class LoggedRequest:
    method: str
    path: str
    query: dict[str, str]
    status: int
    athlete_id: int | None


@dataclass
class _Tokens:
    athlete_id: int
    expires_at: int
    scope: str


class StravaSimulator(LoopbackServer, RequestCounting[LoggedRequest]):
    """The server and its state. Thread-safe: one lock around all state."""

    def __init__(
        self,
        *,
        client_id: int = 4242,
        client_secret: str = "sim-client-secret-0123456789",
        short_limit: int = 200,
        daily_limit: int = 2000,
        read_short_limit: int = 100,
        read_daily_limit: int = 1000,
        token_lifetime_s: int = 6 * 3600,
        rotate_refresh_tokens: bool = True,
        clock: Callable[[], datetime] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.limits = {
            "short": short_limit,
            "daily": daily_limit,
            "read_short": read_short_limit,
            "read_daily": read_daily_limit,
        }
        self.token_lifetime_s = token_lifetime_s
        self.rotate_refresh_tokens = rotate_refresh_tokens
        self.clock = clock or (lambda: datetime.now(UTC))
        self.inactive = False
        self.athletes: dict[int, SimAthlete] = {}
        self.requests: list[LoggedRequest] = []
        self.faults: list[Fault] = []
        self.chaos: Chaos | None = None
        # Crash suite: the API request numbered `hold_at` (1-based) is held unanswered (applied first when
        # `hold_applies`), `held` is set, and the caller kills the client mid-request; `release` lets it go.
        self.hold_at: int | None = None
        self.hold_applies = False
        self.held = threading.Event()
        self.release = threading.Event()
        self.api_requests = 0
        self.over_limit = 0  # requests answered 429 because they exceeded a limit (not injected)
        self._usage = {"short": 0, "daily": 0, "read_short": 0, "read_daily": 0}
        self._windows: tuple[datetime, datetime] | None = None
        self._access: dict[str, _Tokens] = {}
        self._refresh: dict[str, int] = {}
        self._codes: dict[str, tuple[int, str]] = {}
        self._next_activity_id = 10_000_000_000
        self.subscriptions: dict[int, dict[str, Any]] = {}  # push subscriptions (webhooks), at most one like Strava
        self._next_subscription_id = 100
        self._lock = threading.RLock()
        LoopbackServer.__init__(self, host, port, _make_handler(self), name="strava-sim")

    # ---- lifecycle ------------------------------------------------------------------------------------------

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/v3"

    @property
    def oauth_url(self) -> str:
        return f"{self.base_url}/oauth"

    # ---- seeding and inspection -----------------------------------------------------------------------------

    def add_athlete(
        self, athlete_id: int | None = None, *, firstname: str = "Sim", lastname: str = "Runner"
    ) -> SimAthlete:
        with self._lock:
            athlete_id = athlete_id or 1000 + len(self.athletes) + 1
            athlete = SimAthlete(id=athlete_id, firstname=firstname, lastname=lastname)
            self.athletes[athlete_id] = athlete
            return athlete

    def add_gear(self, athlete_id: int, gear_id: str, name: str, distance_m: float) -> None:
        """A shoe with `distance_m` on it now; every activity added, changed or deleted later with its id moves
        that figure as Strava's does (the detail's `gear.distance` is the sum over the athlete's activities)."""
        with self._lock:
            self.athletes[athlete_id].gear[gear_id] = {
                "id": gear_id,
                "primary": False,
                "name": name,
                "resource_state": 3,
                "distance": distance_m,
                "brand_name": name.split(" ", maxsplit=1)[0],
                "model_name": " ".join(name.split(" ")[1:]),
                "description": "",
                "retired": False,
            }

    def add_activity(self, athlete_id: int, detail: dict[str, Any], streams: dict[str, Any] | None = None) -> int:
        """Store a DetailedActivity payload (an id is assigned when it has none); returns the id."""
        with self._lock:
            if "id" not in detail:
                self._next_activity_id += 1
                detail = {**detail, "id": self._next_activity_id}
            activity_id = int(detail["id"])
            detail = {**detail, "athlete": {"id": athlete_id, "resource_state": 1}}
            athlete = self.athletes[athlete_id]
            _wear(athlete, athlete.activities.get(activity_id), -1.0)
            athlete.activities[activity_id] = detail
            _wear(athlete, detail, 1.0)
            if streams is not None:
                self.athletes[athlete_id].streams[activity_id] = streams
            return activity_id

    def update_activity(self, activity_id: int, **changes: Any) -> None:
        with self._lock:
            detail = self._find(activity_id)
            athlete = self.athletes[int(detail["athlete"]["id"])]
            _wear(athlete, detail, -1.0)
            detail.update(changes)
            _wear(athlete, detail, 1.0)

    def delete_activity(self, activity_id: int) -> None:
        with self._lock:
            for athlete in self.athletes.values():
                _wear(athlete, athlete.activities.pop(activity_id, None), -1.0)
                athlete.streams.pop(activity_id, None)

    def description(self, activity_id: int) -> str | None:
        with self._lock:
            value = self._find(activity_id).get("description")
            return None if value is None else str(value)

    def issue_tokens(
        self,
        athlete_id: int,
        *,
        expires_in_s: int | None = None,
        scope: str = "read_all,activity:read_all,activity:write",
    ) -> dict[str, Any]:
        """Tokens as the token endpoint would hand them out (for `--token-file` links and tests)."""
        with self._lock:
            return self._new_tokens(athlete_id, scope, expires_in_s)

    def expire_access_tokens(self) -> None:
        """Every access token issued so far now answers 401 (as after its 6 hours)."""
        with self._lock:
            self._access.clear()

    def revoke(self, athlete_id: int) -> None:
        """The athlete removed the app in Strava's settings: tokens and refresh tokens stop working."""
        with self._lock:
            self.athletes[athlete_id].revoked = True
            self._access = {k: v for k, v in self._access.items() if v.athlete_id != athlete_id}
            self._refresh = {k: v for k, v in self._refresh.items() if v != athlete_id}

    def inject(
        self,
        method: str,
        path: str,
        status: int | str,
        *,
        times: int = 1,
        body: dict[str, Any] | None = None,
        delay_s: float = 0.0,
    ) -> None:
        """Make the next `times` requests matching `method` and the regex `path` fail with `status`
        (an HTTP code, "reset" to drop the connection, "slow" to answer only after `delay_s`, or "not_json" for a 200
        whose body is not JSON)."""
        with self._lock:
            self.faults.append(Fault(method.upper(), re.compile(path), status, times, body, delay_s))

    def use_quota(self, *, short: int = 0, daily: int = 0, read_short: int = 0, read_daily: int = 0) -> None:
        with self._lock:
            self._roll()
            for key, value in (
                ("short", short),
                ("daily", daily),
                ("read_short", read_short),
                ("read_daily", read_daily),
            ):
                self._usage[key] += value

    def _find(self, activity_id: int) -> dict[str, Any]:
        for athlete in self.athletes.values():
            if activity_id in athlete.activities:
                return athlete.activities[activity_id]
        raise KeyError(activity_id)

    def _new_tokens(self, athlete_id: int, scope: str, expires_in_s: int | None = None) -> dict[str, Any]:
        lifetime = self.token_lifetime_s if expires_in_s is None else expires_in_s
        access, refresh = f"sim-access-{secrets.token_hex(12)}", f"sim-refresh-{secrets.token_hex(12)}"
        expires_at = int(self.clock().timestamp()) + lifetime
        self._access[access] = _Tokens(athlete_id, expires_at, scope)
        self._refresh[refresh] = athlete_id
        return {
            "token_type": "Bearer",
            "access_token": access,
            "refresh_token": refresh,
            "expires_at": expires_at,
            "expires_in": lifetime,
        }

    # ---- push subscriptions (webhooks) ---------------------------------------------------------------------

    def _push_subscriptions(
        self, method: str, path: str, query: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], Any]:
        """Strava's push_subscriptions API: the app's credentials instead of a token; creating one first checks
        the callback (GET with hub.challenge and the verify token, answered within 2 s) as Strava does."""
        form = {k: v[-1] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
        creds = {**query, **form}
        if creds.get("client_id") != str(self.client_id) or creds.get("client_secret") != self.client_secret:
            return 401, {}, _error("Authorization Error", "Application", "client_id", "invalid")
        match = re.fullmatch(r"/api/v3/push_subscriptions/(\d+)", path)
        if match and method == "DELETE":
            with self._lock:
                found = self.subscriptions.pop(int(match.group(1)), None)
            return (204, {}, None) if found else (404, {}, _error("Record Not Found", "Subscription", "id", "invalid"))
        if match:
            return 404, {}, _error("Record Not Found", "Path", "path", "invalid")
        if method == "GET":
            with self._lock:
                return 200, {}, [dict(sub) for sub in self.subscriptions.values()]
        if method != "POST":
            return 404, {}, _error("Record Not Found", "Path", "path", "invalid")
        callback, verify = form.get("callback_url", ""), form.get("verify_token", "")
        with self._lock:
            if self.subscriptions:
                return 400, {}, _error("Bad Request", "PushSubscription", "already exists", "already exists")
        challenge = secrets.token_hex(8)
        params = urlencode({"hub.mode": "subscribe", "hub.challenge": challenge, "hub.verify_token": verify})
        try:
            import requests

            answer = requests.get(f"{callback}?{params}", timeout=2.0)
            echoed = answer.status_code == 200 and answer.json().get("hub.challenge") == challenge
        except (requests.RequestException, ValueError, AttributeError):
            echoed = False
        if not echoed:
            return 400, {}, _error("Bad Request", "PushSubscription", "callback url", "not verifiable")
        with self._lock:
            self._next_subscription_id += 1
            now = utc_iso(self.clock())
            sub = {
                "id": self._next_subscription_id,
                "resource_state": 2,
                "application_id": self.client_id,
                "callback_url": callback,
                "created_at": now,
                "updated_at": now,
            }
            self.subscriptions[self._next_subscription_id] = sub
        return 201, {}, dict(sub)

    def add_subscription(self, callback_url: str) -> int:
        """A push subscription as `syncd webhook subscribe` leaves it, without calling the callback; its id."""
        with self._lock:
            self._next_subscription_id += 1
            sub_id = self._next_subscription_id
            self.subscriptions[sub_id] = {
                "id": sub_id,
                "resource_state": 2,
                "application_id": self.client_id,
                "callback_url": callback_url,
                "created_at": "2026-11-01T00:00:00Z",
                "updated_at": "2026-11-01T00:00:00Z",
            }
        return sub_id

    def send_event(
        self,
        *,
        object_type: str,
        aspect_type: str,
        object_id: int,
        owner_id: int,
        updates: dict[str, Any] | None = None,
        callback_url: str | None = None,
    ) -> int:
        """POST a webhook event to the subscription's callback (or `callback_url`) as Strava does; the status."""
        import requests

        with self._lock:
            url = callback_url or next((s["callback_url"] for s in self.subscriptions.values()), None)
            sub_id = next(iter(self.subscriptions), 0)
        if url is None:
            raise RuntimeError("no push subscription: create one first (syncd webhook subscribe)")
        event = {
            "object_type": object_type,
            "object_id": object_id,
            "aspect_type": aspect_type,
            "owner_id": owner_id,
            "subscription_id": sub_id,
            "event_time": int(self.clock().timestamp()),
            "updates": updates or {},
        }
        return requests.post(url, json=event, timeout=2.0).status_code

    # ---- rate limits ----------------------------------------------------------------------------------------

    def _roll(self) -> None:
        now = self.clock()
        windows = (short_window_start(now), daily_window_start(now))
        if self._windows != windows:
            if self._windows is None or self._windows[0] != windows[0]:
                self._usage["short"] = self._usage["read_short"] = 0
            if self._windows is None or self._windows[1] != windows[1]:
                self._usage["daily"] = self._usage["read_daily"] = 0
            self._windows = windows

    def _rate_headers(self) -> dict[str, str]:
        u, lim = self._usage, self.limits
        return {
            "X-RateLimit-Limit": f"{lim['short']},{lim['daily']}",
            "X-RateLimit-Usage": f"{u['short']},{u['daily']}",
            "X-ReadRateLimit-Limit": f"{lim['read_short']},{lim['read_daily']}",
            "X-ReadRateLimit-Usage": f"{u['read_short']},{u['read_daily']}",
        }

    def _count_request(self, method: str) -> bool:
        """Count one API request; False when it is over a limit (Strava counts the rejected request too)."""
        self._roll()
        read = method == "GET"
        self._usage["short"] += 1
        self._usage["daily"] += 1
        if read:
            self._usage["read_short"] += 1
            self._usage["read_daily"] += 1
        over = self._usage["short"] > self.limits["short"] or self._usage["daily"] > self.limits["daily"]
        if read:
            over = over or self._usage["read_short"] > self.limits["read_short"]
            over = over or self._usage["read_daily"] > self.limits["read_daily"]
        self.over_limit += over
        return not over

    # ---- request handling (called from handler threads) -----------------------------------------------------

    def _take_fault(self, method: str, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.times > 0 and fault.method == method and fault.path.search(path):
                fault.times -= 1
                return fault
        return None

    def handle(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> tuple[int | str, dict[str, str], Any, float]:
        """(status or "reset", headers, JSON body, delay) for one request."""
        if re.fullmatch(r"/api/v3/push_subscriptions(/\d+)?", path):  # outside the lock: it calls the callback
            return (*self._push_subscriptions(method, path, query, body), 0.0)
        with self._lock:
            fault = self._take_fault(method, path)
            if path.startswith("/oauth/"):
                if fault is not None:
                    return fault.status, {}, fault.body or {"message": "Fault"}, fault.delay_s
                status, out_headers, payload = self._oauth(method, path, query, body)
                return status, out_headers, payload, 0.0
            if not path.startswith("/api/v3/"):
                return 404, {}, {"message": "Record Not Found", "errors": []}, 0.0
            if self.inactive:
                return 403, {}, _inactive_body(), 0.0
            token = headers.get("authorization", "").removeprefix("Bearer ").strip()
            grant = self._access.get(token)
            if grant is None or grant.expires_at <= int(self.clock().timestamp()):
                return 401, {}, _error("Authorization Error", "Athlete", "access_token", "invalid"), 0.0
            allowed = self._count_request(method)
            rate = self._rate_headers()
            if not allowed:
                return (
                    429,
                    rate,
                    {
                        "message": "Rate Limit Exceeded",
                        "errors": [{"resource": "Application", "field": "rate limit", "code": "exceeded"}],
                    },
                    0.0,
                )
            if fault is not None:
                if fault.status == "slow":
                    status, _, payload = self._api(method, path[len("/api/v3") :], query, body, grant)
                    return status, rate, payload, fault.delay_s
                return fault.status, rate, fault.body or {"message": "Fault", "errors": []}, fault.delay_s
            return self._serve_api(method, path, query, body, grant=grant, rate=rate)

    def _serve_api(
        self, method: str, path: str, query: dict[str, str], body: bytes, *, grant: _Tokens, rate: dict[str, str]
    ) -> tuple[int | str, dict[str, str], Any, float]:
        """An API answer (called under the lock), with the crash suite's hold and the fault suite's chaos."""
        self.api_requests += 1
        if self.hold_at is not None and self.api_requests == self.hold_at:
            if self.hold_applies:
                self._api(method, path[len("/api/v3") :], query, body, grant)
            self.held.set()
            return "hold", rate, None, 0.0
        chaos = self.chaos
        kind = chaos.draw(path, eligible=CHAOS_PATHS) if chaos is not None else None
        if chaos is not None and kind is not None and kind not in faults.AFTER_KINDS:
            return self._chaos_answer(kind, chaos, rate, grant)
        status, payload = self._api(method, path[len("/api/v3") :], query, body, grant)[::2]
        if chaos is not None and kind is not None:
            lost, answer, delay = faults.after(kind, chaos, status, payload)
            return lost, rate, answer, delay
        return status, rate, payload, 0.0

    def _chaos_answer(
        self, kind: str, chaos: Chaos, rate: dict[str, str], grant: _Tokens
    ) -> tuple[int | str, dict[str, str], Any, float]:
        """An injected fault that never reaches the platform (nothing is changed)."""

        def error(status: int) -> dict[str, Any]:
            if status == 429:
                return {"message": "Rate Limit Exceeded", "errors": [{"resource": "Application", "code": "exceeded"}]}
            return {"message": "Server Error", "errors": []}

        def expire_token() -> tuple[int, Any]:
            grant.expires_at = int(self.clock().timestamp())  # the token expired early: the client must refresh
            return 401, _error("Authorization Error", "Athlete", "access_token", "invalid")

        status, payload, delay = faults.before(kind, chaos, error=error, expire_token=expire_token)
        # a proxy's page and a dropped or refused line carry no rate-limit headers; Strava's own answers do
        plain = kind in ("html", "reset_before", "timeout_before", "token_expiry")
        return status, {} if plain else rate, payload, delay

    def _oauth(
        self, method: str, path: str, query: dict[str, str], body: bytes
    ) -> tuple[int | str, dict[str, str], Any]:
        if path == "/oauth/authorize" and method == "GET":
            athlete_id = int(query.get("approve_as") or next(iter(self.athletes)))
            code = f"sim-code-{secrets.token_hex(8)}"
            self._codes[code] = (athlete_id, query.get("scope", "read"))
            params = {"code": code, "scope": query.get("scope", "read")}
            if "state" in query:
                params["state"] = query["state"]
            return 302, {"Location": f"{query.get('redirect_uri', '')}?{urlencode(params)}"}, {}
        if path != "/oauth/token" or method != "POST":
            return 404, {}, {"message": "Record Not Found", "errors": []}
        form = {k: v[-1] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
        if form.get("client_id") != str(self.client_id) or form.get("client_secret") != self.client_secret:
            return 401, {}, _error("Authorization Error", "Application", "client_id", "invalid")
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            found = self._codes.pop(form.get("code", ""), None)
            if found is None:
                return 400, {}, _error("Bad Request", "AuthorizationCode", "code", "invalid")
            athlete_id, scope = found
            tokens = self._new_tokens(athlete_id, scope)
            return 200, {}, {**tokens, "athlete": self.athletes[athlete_id].payload()}
        if grant_type == "refresh_token":
            refresh = form.get("refresh_token", "")
            owner = self._refresh.get(refresh)
            if owner is None or self.athletes[owner].revoked:
                return 400, {}, _error("Bad Request", "RefreshToken", "refresh_token", "invalid")
            athlete_id = owner
            if self.rotate_refresh_tokens:
                del self._refresh[refresh]
            tokens = self._new_tokens(athlete_id, "read_all,activity:read_all,activity:write")
            if not self.rotate_refresh_tokens:
                del self._refresh[tokens["refresh_token"]]
                tokens["refresh_token"] = refresh
            return 200, {}, tokens
        return 400, {}, _error("Bad Request", "Token", "grant_type", "invalid")

    def _api(self, method: str, path: str, query: dict[str, str], body: bytes, grant: _Tokens) -> tuple[int, None, Any]:  # noqa: C901 - a route table: one branch per simulated endpoint
        athlete = self.athletes[grant.athlete_id]
        if path == "/athlete" and method == "GET":
            return 200, None, athlete.payload()
        if path == "/athlete/activities" and method == "GET":
            return 200, None, self._list(athlete, query)
        match = re.fullmatch(r"/activities/(\d+)(/streams|/laps)?", path)
        if match:
            activity_id = int(match.group(1))
            detail = athlete.activities.get(activity_id)
            if detail is None:
                return 404, None, _error("Record Not Found", "Activity", "id", "invalid")
            if match.group(2) == "/streams" and method == "GET":
                return self._streams(athlete, activity_id, query)
            if match.group(2) == "/laps" and method == "GET":
                return 200, None, copy.deepcopy(detail.get("laps", []))
            if match.group(2) is None and method == "GET":
                answer = copy.deepcopy(detail)
                gear = athlete.gear.get(str(detail.get("gear_id")))
                if gear is not None:  # DetailedActivity embeds a SummaryGear
                    answer["gear"] = {k: gear[k] for k in ("id", "primary", "name", "distance")} | {"resource_state": 2}
                return 200, None, answer
            if match.group(2) is None and method == "PUT":
                if "activity:write" not in grant.scope:
                    return 403, None, _error("Authorization Error", "Activity", "write_permission", "missing")
                try:
                    changes = json.loads(body or b"{}")
                except ValueError:
                    return 400, None, _error("Bad Request", "Activity", "body", "invalid")
                for key in ("description", "name", "sport_type", "gear_id", "hide_from_home", "commute", "trainer"):
                    if key in changes:
                        detail[key] = platform_normalise(changes[key]) if key == "description" else changes[key]
                return 200, None, copy.deepcopy(detail)
        match = re.fullmatch(r"/gear/([A-Za-z0-9]+)", path)
        if match and method == "GET":
            gear = athlete.gear.get(match.group(1))
            if gear is None:
                return 404, None, _error("Record Not Found", "Gear", "id", "invalid")
            return 200, None, dict(gear)
        return 404, None, _error("Record Not Found", "Path", "path", "invalid")

    def _list(self, athlete: SimAthlete, query: dict[str, str]) -> list[dict[str, Any]]:
        after, before = _int(query.get("after")), _int(query.get("before"))
        page, per_page = max(_int(query.get("page")) or 1, 1), min(max(_int(query.get("per_page")) or 30, 1), 200)
        items = []
        for detail in athlete.activities.values():
            try:
                start = int(datetime.fromisoformat(detail["start_date"].replace("Z", "+00:00")).timestamp())
            except (KeyError, AttributeError, ValueError):  # a malformed seed is listed as it is, like Strava would
                start = int(self.clock().timestamp())
            if (after is None or start > after) and (before is None or start < before):
                items.append((start, detail))
        items.sort(key=lambda item: item[0], reverse=after is None)  # Strava: ascending only when `after` is set
        chosen = items[(page - 1) * per_page : page * per_page]
        return [_summary(detail) for _, detail in chosen]

    def _streams(self, athlete: SimAthlete, activity_id: int, query: dict[str, str]) -> tuple[int, None, Any]:
        stored = athlete.streams.get(activity_id)
        if stored is None:
            return 404, None, _error("Record Not Found", "Activity", "streams", "invalid")
        keys = [k for k in query.get("keys", "").split(",") if k] or list(stored)
        wanted = {k: stored[k] for k in ["time", *keys] if k in stored}
        if query.get("key_by_type") == "true":
            return 200, None, copy.deepcopy(wanted)
        return 200, None, [{"type": k, **v} for k, v in wanted.items()]


def _int(value: str | None) -> int | None:
    try:
        return None if value is None else int(float(value))
    except ValueError:
        return None


def _error(message: str, resource: str, field_name: str, code: str) -> dict[str, Any]:
    return {"message": message, "errors": [{"resource": resource, "field": field_name, "code": code}]}


def _inactive_body() -> dict[str, Any]:
    return {"message": "Forbidden", "errors": [{"resource": "Application", "field": "Status", "code": "Inactive"}]}


def _summary(detail: dict[str, Any]) -> dict[str, Any]:
    """A SummaryActivity: the detail without the fields only GET activities/{id} returns."""
    summary = {k: copy.deepcopy(v) for k, v in detail.items() if k not in DETAIL_ONLY}
    summary["resource_state"] = 2
    return summary


def _make_handler(sim: StravaSimulator) -> type[BaseHTTPRequestHandler]:
    class Handler(SimHandler):
        def _serve(self, method: str) -> None:
            path, query, headers, body = self.read_request()
            try:
                status, out_headers, payload, delay = sim.handle(method, path, query, headers, body)
            except Exception as exc:  # a simulator bug answers 500 (and shows in the log) instead of a reset
                status, out_headers, payload, delay = 500, {}, {"message": f"simulator error: {exc!r}"}, 0.0
            grant = sim._access.get(headers.get("authorization", "").removeprefix("Bearer ").strip())
            with sim._lock:
                sim.requests.append(
                    LoggedRequest(
                        method,
                        path,
                        query,
                        status if isinstance(status, int) else 0,
                        grant.athlete_id if grant else None,
                    )
                )
            if delay:
                time.sleep(delay)
            if status == "hold":  # the client is killed while it waits; then the line drops
                sim.release.wait(60)
                self.reset()
                return
            if status == "reset":
                self.reset()
                return
            truncate = isinstance(payload, Truncated)
            if truncate:
                payload = payload.payload
            content_type = "application/json; charset=utf-8"
            if isinstance(payload, RawBody):
                data, content_type = payload.data, payload.content_type
            else:
                data = b"" if status == 204 else json.dumps(payload).encode()
            if status == "not_json":  # a proxy's or a broken server's 200 that is not JSON
                data = faults.NOT_JSON_PAGE
            code = int(status) if not isinstance(status, str) else 200
            self.send(code, out_headers, data, content_type, truncate=truncate)

        def do_DELETE(self) -> None:  # noqa: N802 - the name http.server dispatches to
            self._serve("DELETE")

    return Handler


def iter_descriptions(sim: StravaSimulator) -> Iterator[tuple[int, str | None]]:
    """(activity id, description) of every activity, for assertions and the demo."""
    with sim._lock:
        items = [(aid, d.get("description")) for a in sim.athletes.values() for aid, d in a.activities.items()]
    yield from items


def utc_iso(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def local_iso(dt: datetime, offset_s: int) -> str:
    return (dt.astimezone(UTC) + timedelta(seconds=offset_s)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _wear(athlete: SimAthlete, detail: dict[str, Any] | None, sign: float) -> None:
    """Add (or take back) an activity's distance to its shoe's running total, as Strava keeps it."""
    if detail is None:
        return
    gear = athlete.gear.get(str(detail.get("gear_id") or ""))
    if gear is not None:
        gear["distance"] = float(gear["distance"]) + sign * float(detail.get("distance") or 0.0)
