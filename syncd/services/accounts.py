"""Use cases around linked platform accounts: link (OAuth code or token file), keep tokens fresh, unlink.

Strava access tokens live 6 hours and every refresh may rotate the refresh token, invalidating the old one: the
new pair is saved (encrypted) before anything else happens, so a crash can never leave us holding a dead token.
A refresh Strava rejects means the athlete revoked access: the account becomes "needs_relink" with a message that
`syncd status`, `syncd accounts`, the feed and the log all show, and the other accounts carry on.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import structlog

from syncd.adapters.clock import SystemClock
from syncd.adapters.strava.api import Endpoint, StravaApi, exchange_code, refresh_tokens
from syncd.adapters.strava.errors import UnauthorizedError
from syncd.logging import register_secret
from syncd.ports import Clock

if TYPE_CHECKING:
    from syncd.adapters.db.repository import Store
    from syncd.ports import AccountRepository

PROVIDER = "strava"
SCOPES = ["read_all", "activity:read_all", "activity:write"]
REFRESH_MARGIN_S = 300  # refresh this long before expiry: a token must not die halfway through a sync
log = structlog.stdlib.get_logger("syncd.accounts")  # lazy: resolved after configure_logging


class LinkError(Exception):
    """A link that cannot go ahead; str() is one line naming the problem and the fix."""


def validate_tokens(tokens: Mapping[str, Any], where: str) -> dict[str, Any]:
    """{"access_token", "refresh_token", "expires_at"} with the right types, or a LinkError naming what is wrong."""
    missing = [k for k in ("access_token", "refresh_token", "expires_at") if k not in tokens]
    if missing:
        raise LinkError(f"{where} lacks {', '.join(missing)}; it must hold access_token, refresh_token and expires_at")
    access, refresh, expires = tokens["access_token"], tokens["refresh_token"], tokens["expires_at"]
    if not isinstance(access, str) or not isinstance(refresh, str) or not access or not refresh:
        raise LinkError(f"{where}: access_token and refresh_token must be non-empty strings")
    if isinstance(expires, bool) or not isinstance(expires, (int, float)):
        raise LinkError(f"{where}: expires_at must be epoch seconds (a number)")
    register_secret(access)
    register_secret(refresh)
    return {"access_token": access, "refresh_token": refresh, "expires_at": int(expires)}


def read_token_file(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise LinkError(f"cannot read token file {path} ({exc.strerror}); fix the path or its permissions") from None
    except ValueError:
        raise LinkError(
            f'token file {path} is not JSON; it must be {{"access_token", "refresh_token", "expires_at"}}'
        ) from None
    if not isinstance(data, dict):
        raise LinkError(f"token file {path} must hold a JSON object with access_token, refresh_token, expires_at")
    return validate_tokens(data, f"token file {path}")


@dataclass(frozen=True)
class LinkedAccount:
    account_id: int
    athlete_id: int
    external_id: str
    name: str
    strava_units: str | None = None  # the athlete's measurement preference on Strava, as a hint


def save_link(
    store: Store, athlete: Mapping[str, Any], tokens: Mapping[str, Any], *, units: str = "metric"
) -> LinkedAccount:
    """Store the athlete ("strava:<id>") and the encrypted tokens; re-linking replaces tokens and clears the state."""
    strava_id = athlete.get("id")
    if isinstance(strava_id, bool) or not isinstance(strava_id, (int, str)) or not str(strava_id):
        raise LinkError("Strava did not say which athlete this is (no athlete id); try linking again")
    name = " ".join(str(athlete.get(k) or "") for k in ("firstname", "lastname")).strip()
    preference = {"feet": "imperial", "meters": "metric"}.get(str(athlete.get("measurement_preference")))
    # Units follow `[notes] units` until the athlete chooses (`syncd athlete set --units`): never frozen at link.
    athlete_id = store.ensure_athlete(f"{PROVIDER}:{strava_id}", name=name, units=units)
    account_id = store.upsert_account(athlete_id, PROVIDER, str(strava_id), dict(tokens))
    log.info("account_linked", provider=PROVIDER, external_id=str(strava_id), account_id=account_id)
    return LinkedAccount(account_id, athlete_id, str(strava_id), name, preference)


def link_with_code(store: Store, endpoint: Endpoint, code: str) -> LinkedAccount:
    tokens, athlete = exchange_code(endpoint, code)
    tokens = validate_tokens(tokens, "Strava's token answer")
    if not athlete:
        api = StravaApi(endpoint, _StaticTokens(tokens["access_token"]))
        athlete = api.athlete()
    return save_link(store, athlete, tokens)


def link_with_tokens(
    store: Store, endpoint: Endpoint, tokens: Mapping[str, Any], *, clock: Clock | None = None
) -> LinkedAccount:
    """Non-interactive link from existing tokens: refresh first if they are (nearly) expired, then ask who it is."""
    clock = clock or SystemClock()
    current = validate_tokens(tokens, "the tokens")
    if current["expires_at"] - clock.now().timestamp() < REFRESH_MARGIN_S:
        current = validate_tokens(refresh_tokens(endpoint, current["refresh_token"]), "Strava's refresh answer")
    athlete = StravaApi(endpoint, _StaticTokens(current["access_token"])).athlete()
    return save_link(store, athlete, current)


class _StaticTokens:
    def __init__(self, token: str) -> None:
        self._token = token

    def access_token(self, *, force_refresh: bool = False) -> str:
        return self._token


class AccountTokens:
    """TokenSource for one stored account: refreshes near expiry (or when forced) and saves every new pair."""

    def __init__(
        self,
        store: Store,
        account_id: int,
        endpoint: Endpoint,
        *,
        clock: Clock | None = None,
        refresh: Callable[[Endpoint, str], dict[str, Any]] = refresh_tokens,
    ) -> None:
        self._store = store
        self._account_id = account_id
        self._endpoint = endpoint
        self._clock: Clock = clock or SystemClock()
        self._refresh = refresh
        self._tokens: dict[str, Any] | None = None
        self.refreshes = 0

    def _load(self) -> dict[str, Any]:
        if self._tokens is None:
            stored = self._store.get_account_tokens(self._account_id)
            if stored is None:
                raise UnauthorizedError(f"account {self._account_id} has no tokens; run `syncd link strava` again")
            self._tokens = validate_tokens(stored, f"stored tokens of account {self._account_id}")
        return self._tokens

    def access_token(self, *, force_refresh: bool = False) -> str:
        tokens = self._load()
        if force_refresh or tokens["expires_at"] - self._clock.now().timestamp() < REFRESH_MARGIN_S:
            fresh = validate_tokens(self._refresh(self._endpoint, tokens["refresh_token"]), "Strava's refresh answer")
            self._store.set_account_tokens(self._account_id, fresh)  # at once: the old refresh token is dead now
            self._tokens = tokens = fresh
            self.refreshes += 1
            log.info("tokens_refreshed", account_id=self._account_id, expires_at=fresh["expires_at"])
        return str(tokens["access_token"])


def mark_needs_relink(store: AccountRepository, account_id: int, message: str) -> None:
    store.set_account_state(account_id, "needs_relink", message)
    log.error("account_needs_relink", account_id=account_id, message=message)


def unlink(store: Store, account_id: int) -> int:
    """Remove the account and the athlete's data from that platform (activities, streams, notes, gear);
    returns how many activities were deleted. The athlete row and data from other sources stay."""
    found = store.account_leases.delete_account(account_id, gear_providers=(PROVIDER,))
    if found is None:
        raise LinkError(f"no account with id {account_id}; list them with `syncd accounts`")
    athlete_id, provider, deleted = found
    # the pain diary is health data: entries on the deleted runs went with them (foreign key); when the athlete
    # has no linked account left, the rest of their diary goes too
    if not any(a.athlete_id == athlete_id for a in store.list_accounts()):
        from syncd.services.pain_diary import delete_athlete_diary

        delete_athlete_diary(store, athlete_id)
    log.info("account_unlinked", account_id=account_id, provider=provider, activities_deleted=deleted)
    return deleted
