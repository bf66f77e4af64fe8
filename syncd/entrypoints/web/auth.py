"""Who may see what: open on loopback, a bearer token elsewhere, and per-athlete links that show one athlete only.

Strava's terms allow an athlete's data to be shown only to that athlete or to whom they allow, so an athlete link
(`?key=<athlete key>`) is scoped: every query is filtered to that athlete and anything else answers 404, exactly as
if it did not exist. The athlete key is an HMAC of the athlete id under a key derived from `[web] token` (or the
database encryption key), so links need no table and rotating the token revokes them all.

Neither the token nor a key is ever written into a page: a successful `?token=`/`?key=` request sets an HttpOnly
cookie holding a derived value, so the links inside pages carry no credential.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
from dataclasses import dataclass

from starlette.requests import Request

from syncd.config import ConfigError, Settings

SESSION_COOKIE = "syncd_session"
_LOOPBACK_NAMES = {"localhost", "ip6-localhost"}


def is_loopback(host: str) -> bool:
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True, slots=True)
class Access:
    """The outcome of authentication: `athlete_id` None means every athlete (the owner or an open loopback)."""

    athlete_id: int | None
    cookie: str | None = None  # set this session cookie on the response (after a ?token= / ?key= login)


class Authenticator:
    def __init__(self, settings: Settings, *, link_secret: bytes | None = None) -> None:
        token = settings.web.token.reveal() if settings.web.token else None
        self.required = token is not None or not is_loopback(settings.web.host)
        if self.required and not token:
            raise ConfigError(
                f"[web] host is {settings.web.host!r} (not loopback) but no [web] token is set: set [web] token "
                "(or token_file / SYNCD_WEB_TOKEN) or bind to 127.0.0.1"
            )
        self._token = token
        material = token or (settings.database.encryption_key.reveal() if settings.database.encryption_key else None)
        base = material.encode() if material else link_secret
        self._key = hmac.new(base, b"syncd web links v1", hashlib.sha256).digest() if base else None

    def _mac(self, message: str) -> str:
        assert self._key is not None
        digest = hmac.new(self._key, message.encode(), hashlib.sha256).digest()[:18]
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def install_id(self) -> str:
        """A stable, non-secret name for this install (Atom tag: ids without `[web] base_url`): an HMAC of a fixed
        label under the link key, so two installs' feeds never share ids and nothing about the key is revealed."""
        if self._key is None:
            return "local"
        return hmac.new(self._key, b"install-id", hashlib.sha256).hexdigest()[:16]

    @property
    def links_enabled(self) -> bool:
        return self._key is not None

    def athlete_key(self, athlete_id: int) -> str:
        """The secret part of an athlete's link (`/?key=…`); raises when no key material is configured."""
        if self._key is None:
            raise ConfigError("athlete links need [web] token or [database] encryption_key: set one of them")
        return f"{athlete_id}.{self._mac(f'athlete:{athlete_id}')}"

    def _owner_session(self) -> str:
        return "owner." + self._mac("owner-session")

    def _athlete_from_key(self, key: str) -> int | None:
        head, _, _ = key.partition(".")
        if self._key is None or not head.isdigit():
            return None
        athlete_id = int(head)
        return athlete_id if hmac.compare_digest(key, self.athlete_key(athlete_id)) else None

    def authenticate(self, request: Request) -> Access | None:
        """The caller's access, or None for "401". An athlete key narrows access even where none is required."""
        key = request.query_params.get("key")
        if key is not None:
            athlete_id = self._athlete_from_key(key)
            return None if athlete_id is None else Access(athlete_id, cookie=key)
        if self._token is not None:
            header = request.headers.get("authorization", "")
            scheme, _, value = header.partition(" ")
            offered = value.strip() if scheme.lower() == "bearer" else request.query_params.get("token")
            if offered is not None:
                if hmac.compare_digest(offered.encode(), self._token.encode()):
                    return Access(None, cookie=self._owner_session() if "token" in request.query_params else None)
                return None
        session = request.cookies.get(SESSION_COOKIE)
        if session is not None and self._key is not None:
            if hmac.compare_digest(session, self._owner_session()):
                return Access(None)
            athlete_id = self._athlete_from_key(session)
            if athlete_id is not None:
                return Access(athlete_id)
        return None if self.required else Access(None)
