"""Use cases around linked platform accounts: save a link, check tokens, mark an account for re-linking, unlink.
Strava's OAuth exchange and token refresh (its API client) live in syncd.adapters.strava.sessions.

Strava access tokens live 6 hours and every refresh may rotate the refresh token, invalidating the old one: the
new pair is saved (encrypted) before anything else happens, so a crash can never leave us holding a dead token.
A refresh Strava rejects means the athlete revoked access: the account becomes "needs_relink" with a message that
`syncd status`, `syncd accounts`, the feed and the log all show, and the other accounts carry on.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from syncd.logging import get_logger, register_secret

if TYPE_CHECKING:
    from syncd.ports import AccountLeaseRepository, AccountLinks, AccountRepository, AthleteDirectory, PainDiary
    from syncd.records import AccountRecord

PROVIDER = "strava"
SCOPES = ["read_all", "activity:read_all", "activity:write"]
REFRESH_MARGIN_S = 300  # refresh this long before expiry: a token must not die halfway through a sync
log = get_logger("syncd.accounts")


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


def account_of(accounts: Iterable[AccountRecord], provider: str, athlete_id: int) -> AccountRecord | None:
    """The athlete's linked account on `provider` (one per athlete and platform), or None."""
    return next((a for a in accounts if a.provider == provider and a.athlete_id == athlete_id), None)


def read_json_object(path: Path, name: str, shape: str) -> dict[str, Any]:
    """The JSON object of a file a link reads (a Strava token file, a Garmin token store), or a LinkError naming the
    file, the problem and what it must hold (`shape`)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise LinkError(f"cannot read {name} {path} ({exc.strerror}); fix the path or its permissions") from None
    except ValueError:
        raise LinkError(f"{name} {path} is not JSON; it must be {shape}") from None
    if not isinstance(data, dict):
        raise LinkError(f"{name} {path} must hold a JSON object: {shape}")
    return data


def read_token_file(path: Path) -> dict[str, Any]:
    data = read_json_object(path, "token file", '{"access_token", "refresh_token", "expires_at"}')
    return validate_tokens(data, f"token file {path}")


@dataclass(frozen=True)
class LinkedAccount:
    account_id: int
    athlete_id: int
    external_id: str
    name: str
    strava_units: str | None = None  # the athlete's measurement preference on Strava, as a hint


@dataclass(frozen=True)
class LinkRepositories:
    """What linking, re-linking and unlinking an account reads and changes: the accounts (their encrypted tokens),
    the athletes (a new link's athlete), the account leases (which delete an account's data) and the diary
    (unlinking the last account deletes it)."""

    accounts: AccountLinks
    athletes: AthleteDirectory
    leases: AccountLeaseRepository
    diary: PainDiary


def save_link(
    store: LinkRepositories, athlete: Mapping[str, Any], tokens: Mapping[str, Any], *, units: str = "metric"
) -> LinkedAccount:
    """Store the athlete ("strava:<id>") and the encrypted tokens; re-linking replaces tokens and clears the state."""
    strava_id = athlete.get("id")
    if isinstance(strava_id, bool) or not isinstance(strava_id, (int, str)) or not str(strava_id):
        raise LinkError("Strava did not say which athlete this is (no athlete id); try linking again")
    name = " ".join(str(athlete.get(k) or "") for k in ("firstname", "lastname")).strip()
    preference = {"feet": "imperial", "meters": "metric"}.get(str(athlete.get("measurement_preference")))
    # Units follow `[notes] units` until the athlete chooses (`syncd athlete set --units`): never frozen at link.
    athlete_id = store.athletes.ensure_athlete(f"{PROVIDER}:{strava_id}", name=name, units=units)
    account_id = store.accounts.upsert_account(athlete_id, PROVIDER, str(strava_id), dict(tokens))
    log.info("account_linked", provider=PROVIDER, external_id=str(strava_id), account_id=account_id)
    return LinkedAccount(account_id, athlete_id, str(strava_id), name, preference)


def mark_needs_relink(store: AccountRepository, account_id: int, message: str) -> None:
    store.set_account_state(account_id, "needs_relink", message)
    log.error("account_needs_relink", account_id=account_id, message=message)


def unlink(store: LinkRepositories, account_id: int) -> int:
    """Remove the account and the athlete's data from that platform (activities, streams, notes, gear);
    returns how many activities were deleted. The athlete row and data from other sources stay."""
    found = store.leases.delete_account(account_id, gear_providers=(PROVIDER,))
    if found is None:
        raise LinkError(f"no account with id {account_id}; list them with `syncd accounts`")
    athlete_id, provider, deleted = found
    # the pain diary is health data: entries on the deleted runs went with them (foreign key); when the athlete
    # has no linked account left, the rest of their diary goes too
    if not any(a.athlete_id == athlete_id for a in store.accounts.list_accounts()):
        from syncd.services.pain_diary import delete_athlete_diary

        delete_athlete_diary(store.diary, athlete_id)
    log.info("account_unlinked", account_id=account_id, provider=provider, activities_deleted=deleted)
    return deleted
