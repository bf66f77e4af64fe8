"""Digest unsubscribe links that work without logging in: signed, scoped to one athlete, one click (RFC 8058).

The token is the athlete's key and an HMAC of it under a key derived from the store's encryption key
(Store.signing_key), so nothing is stored per email and nobody can forge a link for another athlete. It only ever
turns that athlete's digest off; `syncd athlete set --digest on` turns it back on.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import quote

if TYPE_CHECKING:
    from syncd.ports import AthleteDirectory, SigningKeys
    from syncd.records import AthleteRecord

PURPOSE = "unsubscribe"
PATH = "/unsubscribe"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def make_token(secret: bytes, athlete_key: str) -> str:
    mac = hmac.new(secret, f"{PURPOSE}:{athlete_key}".encode(), hashlib.sha256).digest()[:18]
    return f"{_b64(athlete_key.encode())}.{_b64(mac)}"


def check_token(secret: bytes, token: str) -> str | None:
    """The athlete key the token was made for, or None when it is not one of ours."""
    encoded, _, mac = token.partition(".")
    try:
        athlete_key = _unb64(encoded).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return None
    return athlete_key if hmac.compare_digest(make_token(secret, athlete_key), f"{encoded}.{mac}") else None


def unsubscribe_url(keys: SigningKeys, base_url: str, athlete: AthleteRecord) -> str:
    token = make_token(keys.signing_key(PURPOSE), athlete.key)
    return f"{base_url.rstrip('/')}{PATH}?t={quote(token, safe='.')}"


def unsubscribe(
    keys: SigningKeys, athletes: AthleteDirectory, token: str, now: datetime | None = None
) -> AthleteRecord | None:
    """Turn the token's athlete's digest off (idempotent); None when the token is not valid for this install."""
    athlete_key = check_token(keys.signing_key(PURPOSE), token)
    if athlete_key is None:
        return None
    athlete = next((a for a in athletes.list_athletes() if a.key == athlete_key), None)
    if athlete is None:
        return None
    if athlete.digest_unsubscribed_at is None:
        athletes.set_athlete_settings(
            athlete.id, digest_opt_in=False, digest_unsubscribed_at=(now or datetime.now(UTC)).astimezone(UTC)
        )
    return athlete
