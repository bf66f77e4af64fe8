"""Use cases around linked Garmin Connect accounts: link once (interactive login with MFA, or an existing
garminconnect token store), then live on the token store, saved encrypted in the store whenever it changes.

syncd never logs in with a password on a schedule: Garmin blocks accounts that log in repeatedly. A token store
Garmin rejects marks the account "needs_relink" (syncd.services.accounts.mark_needs_relink) and the athlete runs
`syncd link garmin` again.

Which athlete: `--athlete KEY` names one (e.g. "strava:123", so Garmin and Strava runs meet in one history); else
the athlete already linked to this Garmin account; else the only athlete with a Strava account; else a new
"garmin:<profile id>" athlete.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import structlog

from syncd.adapters.clock import SystemClock
from syncd.adapters.garmin.api import GarminApi, GarminEndpoint, token_store_file, validate_tokens
from syncd.adapters.garmin.client import current_tokens, make_garmin
from syncd.adapters.garmin.errors import GarminError, GarminUnauthorizedError, classify
from syncd.services.accounts import LinkedAccount, LinkError

if TYPE_CHECKING:
    from syncd.adapters.db.repository import Store

PROVIDER = "garmin"
log = structlog.stdlib.get_logger("syncd.garmin_accounts")  # lazy: resolved after configure_logging


def read_token_store(path: Path) -> dict[str, Any]:
    """A garminconnect token store: `garmin_tokens.json`, or a directory holding one."""
    try:
        file = token_store_file(path)
    except ValueError as exc:
        raise LinkError(f"token store {path}: {exc}; pass the garmin_tokens.json file itself") from None
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise LinkError(
            f"cannot read Garmin token store {file} ({exc.strerror}); fix the path or permissions"
        ) from None
    except ValueError:
        raise LinkError(
            f"Garmin token store {file} is not JSON; it must be garminconnect's garmin_tokens.json"
        ) from None
    if not isinstance(data, dict):
        raise LinkError(f"Garmin token store {file} must hold a JSON object with di_token and di_refresh_token")
    try:
        return validate_tokens(data, f"Garmin token store {file}")
    except GarminError as exc:
        raise LinkError(str(exc)) from None


def choose_athlete(store: Store, garmin_id: str, athlete: str | None, name: str) -> int:
    athletes = store.list_athletes()
    if athlete:
        for record in athletes:
            if record.key == athlete or str(record.id) == athlete:
                return record.id
        keys = ", ".join(a.key for a in athletes) or "none yet"
        raise LinkError(f"no athlete {athlete!r} (known: {keys}); pass one of them to --athlete or leave it out")
    accounts = store.list_accounts()
    for account in accounts:
        if account.provider == PROVIDER and account.external_id == garmin_id:
            return account.athlete_id
    strava = {a.athlete_id for a in accounts if a.provider == "strava"}
    if len(strava) == 1:
        return strava.pop()
    return store.ensure_athlete(f"{PROVIDER}:{garmin_id}", name=name)


def save_link(store: Store, api: GarminApi, *, athlete: str | None = None) -> LinkedAccount:
    profile = api.profile()
    athlete_id = choose_athlete(store, profile.profile_id, athlete, profile.full_name)
    account_id = store.upsert_account(athlete_id, PROVIDER, profile.profile_id, api.tokens)
    log.info("account_linked", provider=PROVIDER, external_id=profile.profile_id, account_id=account_id)
    return LinkedAccount(account_id, athlete_id, profile.profile_id, profile.full_name or profile.display_name)


def link_with_token_store(
    store: Store, endpoint: GarminEndpoint, tokens: dict[str, Any], *, athlete: str | None = None
) -> LinkedAccount:
    """Non-interactive: log in from the token store (refreshing it if it is about to expire), then save it."""
    try:
        api = GarminApi.login(endpoint, tokens)
    except GarminError as exc:
        raise LinkError(str(exc)) from None
    return save_link(store, api, athlete=athlete)


def link_interactive(
    store: Store,
    endpoint: GarminEndpoint,
    *,
    email: str,
    password: str,
    prompt_mfa: Callable[[], str],
    athlete: str | None = None,
) -> LinkedAccount:
    """The one password login (garminconnect's SSO, MFA prompted); only the resulting token store is kept."""
    garmin = make_garmin(endpoint.api_url, retry_attempts=endpoint.retry_attempts)
    garmin.username, garmin.password, garmin.prompt_mfa = email, password, prompt_mfa
    try:
        garmin.login(tokenstore=None)
    except Exception as exc:
        raise LinkError(_login_failure(exc, endpoint)) from None
    tokens = validate_tokens(current_tokens(garmin), "Garmin's login answer")
    api = GarminApi(garmin, endpoint, tokens=tokens)
    return save_link(store, api, athlete=athlete)


def _login_failure(exc: Exception, endpoint: GarminEndpoint) -> str:
    """One line for a failed interactive login (garminconnect's own messages span several lines)."""
    try:
        error = classify(exc, "Garmin login", now=SystemClock().now(), backoff=endpoint.backoff)
    except Exception:
        return f"Garmin login failed ({type(exc).__name__}); check email and password, then run it again"
    if isinstance(error, GarminUnauthorizedError):
        return "Garmin refused the login: check the email, password and MFA code, then run `syncd link garmin` again"
    return str(error)
