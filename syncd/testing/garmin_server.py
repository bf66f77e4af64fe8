"""A simulated Garmin Connect over real HTTP (127.0.0.1), for tests, benchmarks and `syncd demo`.

It answers what the real `garminconnect` client calls once routed to it (`[garmin] api_url`): the DI token refresh
(`POST /di-oauth2-service/oauth/token`), the profile a token-store login loads (`socialProfile`, `user-settings`),
the activity list by date (`activitylist-service/activities/search/activities`, paged by `start`/`limit`),
one activity, its `details` (`metricDescriptors` + `activityDetailMetrics`, thinned to `maxChartSize`), `splits`
(`lapDTOs`), gear (`filterGear` by activity or profile), gear stats, and the description update (`PUT`, 204).
Tokens are JWT-shaped with a real-time `exp` (the client reads it to refresh early); rejected tokens answer 401;
faults (any status, "reset") can be injected per method and path, and `chaos` (syncd.testing.chaos, shared with
the Strava simulator) answers a random share of API requests with 429, 5xx, HTML pages, non-JSON or truncated
bodies, resets and timeouts before and after the request took effect, and early token expiry. Activities are built
from the model, so the same real recording can be served here and by the Strava simulator.

    with GarminSimulator() as sim:
        user = sim.add_user()
        tokens = sim.issue_tokens(user.profile_id)
        ...
        sim.api_url
"""

from __future__ import annotations

import base64
import copy
import json
import math
import re
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import numpy as np

from syncd.domain.model import Activity, Sport
from syncd.testing import chaos as faults
from syncd.testing.chaos import Chaos, RawBody, Truncated
from syncd.testing.loopback import LoopbackServer, RequestCounting, SimHandler, platform_normalise

CLIENT_ID = "GARMIN_CONNECT_MOBILE_ANDROID_DI_2025Q2"
TOKEN_PATH = "/di-oauth2-service/oauth/token"
# Requests the fault-injection suite may hit: every API call (the token refresh is left alone, as for Strava's OAuth).
CHAOS_PATHS = re.compile(r"^/(activitylist|activity|gear|userprofile)-service/")
TYPE_KEYS: dict[Sport, tuple[str, int, int]] = {  # typeKey, typeId, parentTypeId
    Sport.RUN: ("running", 1, 17),
    Sport.TRAIL_RUN: ("trail_running", 6, 1),
    Sport.TREADMILL_RUN: ("treadmill_running", 18, 1),
    Sport.TRACK_RUN: ("track_running", 153, 1),
    Sport.VIRTUAL_RUN: ("virtual_run", 155, 1),
    Sport.RIDE: ("cycling", 2, 17),
    Sport.SWIM: ("lap_swimming", 27, 26),
    Sport.WALK: ("walking", 9, 17),
    Sport.HIKE: ("hiking", 3, 17),
    Sport.ELLIPTICAL: ("elliptical", 30, 29),
    Sport.ROW: ("indoor_rowing", 32, 29),
    Sport.STRENGTH: ("strength_training", 13, 29),
    Sport.YOGA: ("yoga", 163, 29),
    Sport.OTHER: ("other", 4, 17),
}
# (key, unit) in the order Garmin's details put them; cadence is in steps per minute (both legs), as Garmin shows it.
METRICS = (
    ("directTimestamp", "gmt"),
    ("sumDistance", "meter"),
    ("directLatitude", "dd"),
    ("directLongitude", "dd"),
    ("directElevation", "meter"),
    ("directSpeed", "mps"),
    ("directHeartRate", "bpm"),
    ("directRunCadence", "stepsPerMinute"),
    ("sumDuration", "second"),
    ("sumElapsedDuration", "second"),
)


@dataclass
class SimUser:
    profile_id: int
    display_name: str
    full_name: str
    activities: dict[int, dict[str, Any]] = field(default_factory=dict)  # activity-service shape
    samples: dict[int, list[list[float | None]]] = field(default_factory=dict)  # details rows, full resolution
    laps: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    gear: dict[str, dict[str, Any]] = field(default_factory=dict)
    gear_distance: dict[str, float] = field(default_factory=dict)
    activity_gear: dict[int, list[str]] = field(default_factory=dict)


@dataclass
class Fault:
    method: str
    path: re.Pattern[str]
    status: int | str
    times: int = 1


@dataclass(frozen=True)
class LoggedRequest:
    method: str
    path: str
    query: dict[str, str]
    status: int


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _gmt(dt: datetime, sep: str = " ") -> str:
    return dt.astimezone(UTC).strftime(f"%Y-%m-%d{sep}%H:%M:%S") + (".0" if sep == "T" else "")


def _local(dt: datetime, offset_s: int, sep: str = " ") -> str:
    return (dt.astimezone(UTC) + timedelta(seconds=offset_s)).strftime(f"%Y-%m-%d{sep}%H:%M:%S") + (
        ".0" if sep == "T" else ""
    )


def _finite(value: Any, digits: int) -> float | None:
    return round(float(value), digits) if value is not None and math.isfinite(float(value)) else None


class GarminSimulator(LoopbackServer, RequestCounting[LoggedRequest]):
    """The server and its state. Thread-safe: one lock around all state."""

    def __init__(
        self, *, token_lifetime_s: int = 3600, max_samples: int | None = None, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.token_lifetime_s = token_lifetime_s
        self.max_samples = max_samples  # Garmin's own cap on detail samples, whatever maxChartSize asks for
        self.users: dict[int, SimUser] = {}
        self.requests: list[LoggedRequest] = []
        self.faults: list[Fault] = []
        self.chaos: Chaos | None = None
        self._access: dict[str, tuple[int, float]] = {}  # token -> (profile id, expires at, real time)
        self._refresh: dict[str, int] = {}
        self._next_id = 20_000_000_000
        self._lock = threading.RLock()
        LoopbackServer.__init__(self, host, port, _make_handler(self), name="garmin-sim")

    # ---- lifecycle ------------------------------------------------------------------------------------------

    @property
    def api_url(self) -> str:
        return self.base_url

    # ---- seeding --------------------------------------------------------------------------------------------

    def add_user(self, profile_id: int | None = None, *, full_name: str = "Sim Runner") -> SimUser:
        with self._lock:
            pid = profile_id or 80_000_000 + len(self.users) + 1
            user = SimUser(pid, display_name=f"sim-{pid}", full_name=full_name)
            self.users[pid] = user
            return user

    def add_gear(
        self, profile_id: int, name: str, distance_m: float, *, max_m: float = 0.0, kind: str = "Shoes"
    ) -> str:
        """A shoe (or other gear); `max_m` is the athlete's own maximum distance for it (0: none set)."""
        with self._lock:
            gear_uuid = uuid.uuid4().hex
            self.users[profile_id].gear[gear_uuid] = {
                "gearPk": len(self.users[profile_id].gear) + 1,
                "uuid": gear_uuid,
                "userProfilePk": profile_id,
                "gearTypeName": kind,
                "gearStatusName": "active",
                "displayName": name,
                "customMakeModel": name,
                "maximumMeters": max_m,
                "notified": False,
            }
            self.users[profile_id].gear_distance[gear_uuid] = distance_m
            return gear_uuid

    def add_activity(
        self,
        profile_id: int,
        activity: Activity,
        *,
        start: datetime | None = None,
        gear_uuid: str | None = None,
        description: str | None = None,
        private: bool = False,
        utc_offset_s: int = 3600,
    ) -> int:
        """Serve `activity` (moved to `start`) as Garmin would; returns its activityId."""
        with self._lock:
            self._next_id += 1
            aid = self._next_id
            start = start or activity.start_utc
            key, type_id, parent = TYPE_KEYS.get(activity.sport, TYPE_KEYS[Sport.OTHER])
            duration = activity.elapsed_s or activity.moving_s or 0.0
            user = self.users[profile_id]
            user.activities[aid] = {
                "activityId": aid,
                "activityUUID": str(uuid.uuid4()),
                "activityName": activity.name or f"{key.replace('_', ' ').title()}",
                "userProfileId": profile_id,
                "description": description,
                "activityTypeDTO": {"typeId": type_id, "typeKey": key, "parentTypeId": parent},
                "accessControlRuleDTO": {"typeId": 2 if private else 1, "typeKey": "private" if private else "public"},
                "timeZoneUnitDTO": {"unitId": 124, "unitKey": "Europe/Berlin", "timeZone": "Europe/Berlin"},
                "metadataDTO": {"manualActivity": False, "hasSplits": bool(activity.laps)},
                "summaryDTO": {
                    "startTimeLocal": _local(start, utc_offset_s, "T"),
                    "startTimeGMT": _gmt(start, "T"),
                    "distance": _finite(activity.distance_m or 0.0, 2),
                    "duration": _finite(duration, 1),
                    "movingDuration": _finite(activity.moving_s or duration, 1),
                    "elapsedDuration": _finite(duration, 1),
                    "elevationGain": _finite(activity.elevation_gain_m or 0.0, 1),
                    "elevationLoss": _finite(activity.elevation_loss_m or 0.0, 1),
                    "averageHR": _finite(activity.average_heart_rate, 0) if activity.average_heart_rate else None,
                    "maxHR": _finite(activity.max_heart_rate, 0) if activity.max_heart_rate else None,
                },
            }
            user.samples[aid] = _rows(activity, start)
            user.laps[aid] = [
                {
                    "lapIndex": i + 1,
                    "startTimeGMT": _gmt(start + timedelta(seconds=lap.start_offset_s), "T"),
                    "distance": _finite(lap.distance_m or 0.0, 2),
                    "duration": _finite(lap.elapsed_s, 1),
                    "elapsedDuration": _finite(lap.elapsed_s, 1),
                    "movingDuration": _finite(lap.moving_s or lap.elapsed_s, 1),
                    "intensityType": (lap.intensity or "active").upper(),
                }
                for i, lap in enumerate(activity.laps)
            ]
            if gear_uuid is not None:
                user.activity_gear[aid] = [gear_uuid]
            return aid

    def issue_tokens(self, profile_id: int, *, expires_in_s: int | None = None) -> dict[str, Any]:
        """A garminconnect token store (garmin_tokens.json) as a finished interactive login would leave it."""
        with self._lock:
            access, refresh = self._new_tokens(profile_id, expires_in_s)
            return {"di_token": access, "di_refresh_token": refresh, "di_client_id": CLIENT_ID}

    def reject_tokens(self, profile_id: int | None = None) -> None:
        """Garmin stops accepting the tokens (and refresh tokens) of one user, or of everyone."""
        with self._lock:
            self._access = {k: v for k, v in self._access.items() if profile_id is not None and v[0] != profile_id}
            self._refresh = {k: v for k, v in self._refresh.items() if profile_id is not None and v != profile_id}

    def inject(self, method: str, path: str, status: int | str, *, times: int = 1) -> None:
        """The next `times` requests matching `method` and the regex `path` answer `status` (or "reset")."""
        with self._lock:
            self.faults.append(Fault(method.upper(), re.compile(path), status, times))

    # ---- inspection -----------------------------------------------------------------------------------------

    def description(self, activity_id: int) -> str | None:
        with self._lock:
            value = self._find(activity_id)[1].get("description")
            return None if value is None else str(value)

    def set_description(self, activity_id: int, text: str | None) -> None:
        with self._lock:
            self._find(activity_id)[1]["description"] = text

    def _find(self, activity_id: int) -> tuple[SimUser, dict[str, Any]]:
        for user in self.users.values():
            if activity_id in user.activities:
                return user, user.activities[activity_id]
        raise KeyError(activity_id)

    def _new_tokens(self, profile_id: int, expires_in_s: int | None) -> tuple[str, str]:
        lifetime = self.token_lifetime_s if expires_in_s is None else expires_in_s
        expires = time.time() + lifetime
        header = _b64({"alg": "RS256", "typ": "JWT"})
        payload = _b64({"exp": int(expires), "client_id": CLIENT_ID, "jti": secrets.token_hex(8)})
        access = f"{header}.{payload}.{secrets.token_urlsafe(16)}"
        refresh = f"sim-garmin-refresh-{secrets.token_hex(12)}"
        self._access[access] = (profile_id, expires)
        self._refresh[refresh] = profile_id
        return access, refresh

    # ---- request handling -----------------------------------------------------------------------------------

    def _take_fault(self, method: str, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.times > 0 and fault.method == method and fault.path.search(path):
                fault.times -= 1
                return fault
        return None

    def handle(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: bytes
    ) -> tuple[int | str, Any, float]:
        """(status or "reset", JSON body, delay) for one request."""
        with self._lock:
            fault = self._take_fault(method, path)
            if fault is not None:
                return fault.status, {"message": f"simulated {fault.status}"}, 0.0
            if path == TOKEN_PATH and method == "POST":
                return (*self._token(body), 0.0)
            token = headers.get("authorization", "").removeprefix("Bearer ").strip()
            grant = self._access.get(token)
            if grant is None or grant[1] <= time.time():
                return 401, {"message": "Token is not active"}, 0.0
            chaos = self.chaos
            kind = chaos.draw(path, eligible=CHAOS_PATHS) if chaos is not None else None
            if chaos is not None and kind is not None and kind not in faults.AFTER_KINDS:
                return self._chaos_answer(kind, chaos, token)
            status, payload = self._api(self.users[grant[0]], method, path, query, body)
            if chaos is not None and kind is not None:
                return faults.after(kind, chaos, status, payload)
            return status, payload, 0.0

    def _chaos_answer(self, kind: str, chaos: Chaos, token: str) -> tuple[int | str, Any, float]:
        """An injected fault that never reaches Garmin Connect (nothing is changed)."""

        def error(status: int) -> dict[str, Any]:
            return {"message": "Too Many Requests" if status == 429 else "Internal Server Error", "error": status}

        def expire_token() -> tuple[int, Any]:
            self._access.pop(token, None)  # revoked early: the client refreshes with its refresh token and retries
            return 401, {"message": "Token is not active"}

        return faults.before(kind, chaos, error=error, expire_token=expire_token)

    def _token(self, body: bytes) -> tuple[int, Any]:
        form = {k: v[-1] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
        if form.get("grant_type") != "refresh_token":
            return 400, {"error": "unsupported_grant_type"}
        owner = self._refresh.pop(form.get("refresh_token", ""), None)
        if owner is None:
            return 401, {"error": "invalid_grant"}
        access, refresh = self._new_tokens(owner, None)
        return 200, {
            "access_token": access,
            "refresh_token": refresh,
            "token_type": "bearer",
            "expires_in": self.token_lifetime_s,
        }

    def _api(self, user: SimUser, method: str, path: str, query: dict[str, str], body: bytes) -> tuple[int, Any]:  # noqa: C901 - a route table: one branch per simulated endpoint
        if method == "GET" and path == "/userprofile-service/socialProfile":
            return 200, {
                "id": user.profile_id,
                "profileId": user.profile_id,
                "displayName": user.display_name,
                "fullName": user.full_name,
                "userName": f"{user.display_name}@example.org",
            }
        if method == "GET" and path == "/userprofile-service/userprofile/user-settings":
            return 200, {"id": user.profile_id, "userData": {"measurementSystem": "metric", "timeFormat": "24h"}}
        if method == "GET" and path == "/activitylist-service/activities/search/activities":
            return 200, self._list(user, query)
        if method == "GET" and path == "/gear-service/gear/filterGear":
            if "activityId" in query:
                ids = user.activity_gear.get(int(query["activityId"]), [])
                return 200, [copy.deepcopy(user.gear[g]) for g in ids if g in user.gear]
            return 200, [copy.deepcopy(g) for g in user.gear.values()]
        match = re.fullmatch(r"/gear-service/gear/stats/([0-9a-fA-F-]+)", path)
        if match and method == "GET":
            gear_uuid = match.group(1)
            if gear_uuid not in user.gear:
                return 404, {"message": "gear not found"}
            used = [aid for aid, ids in user.activity_gear.items() if gear_uuid in ids]
            return 200, {
                "uuid": gear_uuid,
                "totalDistance": user.gear_distance[gear_uuid],
                "totalActivities": len(used),
            }
        match = re.fullmatch(r"/activity-service/activity/(\d+)(/details|/splits)?", path)
        if match:
            aid = int(match.group(1))
            activity = user.activities.get(aid)
            if activity is None:
                return 404, {"message": "Activity not found"}
            sub = match.group(2)
            if sub is None and method == "GET":
                return 200, copy.deepcopy(activity)
            if sub is None and method == "PUT":
                try:
                    changes = json.loads(body or b"{}")
                except ValueError:
                    return 400, {"message": "invalid JSON"}
                if str(changes.get("activityId")) != str(aid):
                    return 400, {"message": "activityId does not match"}
                if "description" in changes:
                    activity["description"] = platform_normalise(changes["description"])
                if "activityName" in changes:
                    activity["activityName"] = str(changes["activityName"])
                return 204, None
            if sub == "/details" and method == "GET":
                return 200, self._details(user, aid, query)
            if sub == "/splits" and method == "GET":
                return 200, {"activityId": aid, "lapDTOs": copy.deepcopy(user.laps.get(aid, []))}
        return 404, {"message": "Not Found"}

    def _list(self, user: SimUser, query: dict[str, str]) -> list[dict[str, Any]]:
        first = date.fromisoformat(query["startDate"]) if query.get("startDate") else date.min
        last = date.fromisoformat(query["endDate"]) if query.get("endDate") else date.max
        start, limit = int(query.get("start") or 0), min(int(query.get("limit") or 20), 100)
        items = []
        for activity in user.activities.values():
            local = datetime.fromisoformat(activity["summaryDTO"]["startTimeLocal"])
            if first <= local.date() <= last:
                items.append((local, activity))
        items.sort(key=lambda item: item[0], reverse=query.get("sortOrder") != "asc")
        return [_list_item(activity) for _, activity in items[start : start + limit]]

    def _details(self, user: SimUser, aid: int, query: dict[str, str]) -> dict[str, Any]:
        rows = user.samples.get(aid, [])
        size = int(query.get("maxChartSize") or 2000)
        if self.max_samples is not None:
            size = min(size, self.max_samples)
        if len(rows) > size:  # Garmin thins the samples to the chart size
            picks = np.unique(np.linspace(0, len(rows) - 1, size).round().astype(int))
            rows = [rows[i] for i in picks]
        return {
            "activityId": aid,
            "measurementCount": len(METRICS),
            "metricsCount": len(rows),
            "metricDescriptors": [
                {"metricsIndex": i, "key": key, "unit": {"id": i, "key": unit, "factor": 1.0}}
                for i, (key, unit) in enumerate(METRICS)
            ],
            "activityDetailMetrics": [{"metrics": list(row)} for row in rows],
            "geoPolylineDTO": None,
            "detailsAvailable": bool(rows),
        }


def _list_item(activity: dict[str, Any]) -> dict[str, Any]:
    """What the activity list says about one activity: flat numbers, the type as `activityType`."""
    summary = activity["summaryDTO"]
    start = datetime.fromisoformat(summary["startTimeGMT"]).replace(tzinfo=UTC)
    return {
        "activityId": activity["activityId"],
        "activityName": activity["activityName"],
        "description": activity.get("description"),
        "startTimeLocal": summary["startTimeLocal"].replace("T", " ").removesuffix(".0"),
        "startTimeGMT": summary["startTimeGMT"].replace("T", " ").removesuffix(".0"),
        "activityType": copy.deepcopy(activity["activityTypeDTO"]),
        "distance": summary["distance"],
        "duration": summary["duration"],
        "elapsedDuration": summary["elapsedDuration"],
        "movingDuration": summary["movingDuration"],
        "elevationGain": summary["elevationGain"],
        "elevationLoss": summary["elevationLoss"],
        "averageHR": summary["averageHR"],
        "maxHR": summary["maxHR"],
        "ownerId": activity["userProfileId"],
        "privacy": copy.deepcopy(activity["accessControlRuleDTO"]),
        "manualActivity": activity["metadataDTO"]["manualActivity"],
        "beginTimestamp": int(start.timestamp() * 1000),
        "hasSplits": activity["metadataDTO"]["hasSplits"],
    }


def _rows(activity: Activity, start: datetime) -> list[list[float | None]]:
    streams = activity.streams
    if streams is None:
        return []
    n = len(streams)
    base_ms = start.timestamp() * 1000.0

    def col(values: Any, digits: int, scale: float = 1.0) -> list[float | None]:
        if values is None:
            return [None] * n
        return [_finite(v * scale, digits) for v in values]

    columns = [
        [round(base_ms + t * 1000.0) for t in streams.time_s],
        col(streams.distance_m, 2),
        col(streams.lat, 7),
        col(streams.lon, 7),
        col(streams.altitude_m, 1),
        col(streams.speed_mps, 3),
        col(streams.heart_rate, 0),
        col(streams.cadence, 0, 2.0),  # per leg -> steps per minute
        col(streams.time_s, 1),
        col(streams.time_s, 1),
    ]
    return [list(row) for row in zip(*columns, strict=True)]


def _make_handler(sim: GarminSimulator) -> type[BaseHTTPRequestHandler]:
    class Handler(SimHandler):
        def _serve(self, method: str) -> None:
            path, query, headers, body = self.read_request()
            try:
                status, payload, delay = sim.handle(method, path, query, headers, body)
            except Exception as exc:  # a simulator bug answers 500 instead of a reset
                status, payload, delay = 500, {"message": f"simulator error: {exc!r}"}, 0.0
            with sim._lock:
                sim.requests.append(LoggedRequest(method, path, query, status if isinstance(status, int) else 0))
            if delay:
                time.sleep(delay)
            if status == "reset":
                self.reset()
                return
            code = int(status) if isinstance(status, int) else 500
            truncate = isinstance(payload, Truncated)
            if truncate:
                payload = payload.payload
            if isinstance(payload, RawBody):
                data, content_type = payload.data, payload.content_type
            else:
                data, content_type = (
                    b"" if code == 204 else json.dumps(payload).encode(),
                    "application/json;charset=UTF-8",
                )
            self.send(code, {}, data, content_type, truncate=truncate)

    return Handler


def seed_recordings(
    sim: GarminSimulator,
    profile_id: int,
    paths: Iterable[Path],
    *,
    end: datetime,
    spacing: timedelta = timedelta(days=1),
    gear_uuid: str | None = None,
    shift: Callable[[int], timedelta] = lambda _i: timedelta(0),
) -> list[int]:
    """Serve real recordings, the last starting at `end`, earlier ones `spacing` apart (as the Strava seed does, so
    both simulators can serve the same runs); `shift(i)` moves the i-th start (a watch and a phone disagree)."""
    from syncd.adapters.files import load_activities

    parsed = [item.activity for path in paths for item in load_activities(path)]
    ids = []
    for index, activity in enumerate(parsed):
        start = end - spacing * (len(parsed) - 1 - index) + shift(index)
        ids.append(
            sim.add_activity(profile_id, activity, start=start, gear_uuid=gear_uuid if activity.sport.is_run else None)
        )
    return ids
