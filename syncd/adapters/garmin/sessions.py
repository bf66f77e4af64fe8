"""Garmin Connect's per-account sessions for one process (resumed from stored token stores, never a password on a
schedule; every refreshed token store saved), the description writer over them, and the link flows (a token store,
or the one interactive login). The platform service (syncd.services.garmin_sync) sees them through
syncd.ports.AccountSessions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from syncd.adapters.clock import SystemClock
from syncd.adapters.garmin.api import GarminApi, GarminEndpoint, token_store_file, validate_tokens
from syncd.adapters.garmin.client import current_tokens, make_garmin
from syncd.adapters.garmin.errors import GarminError, GarminUnauthorizedError, classify
from syncd.adapters.garmin.source import GarminSource
from syncd.adapters.garmin.writer import GarminDescriptionWriter
from syncd.logging import get_logger
from syncd.services.accounts import LinkedAccount, LinkError, account_of, read_json_object
from syncd.services.garmin_accounts import PROVIDER, choose_athlete

if TYPE_CHECKING:
    from syncd.ports import AccountLinks, Clock, Source
    from syncd.records import AccountRecord
    from syncd.services.accounts import LinkRepositories


class GarminSessions:
    """Per-account GarminApis and the writer over them; implements syncd.ports.AccountSessions."""

    def __init__(self, store: AccountLinks, endpoint: GarminEndpoint, *, clock: Clock | None = None) -> None:
        self.store = store
        self.endpoint = endpoint
        self.clock: Clock = clock or SystemClock()
        self._apis: dict[int, GarminApi] = {}
        self.writer = GarminDescriptionWriter(self.api_for_athlete)

    def api_for_account(self, account_id: int) -> GarminApi:
        """The account's session, resumed from its stored token store once per process (never a password)."""
        if account_id not in self._apis:
            tokens = self.store.get_account_tokens(account_id)
            if not tokens:
                raise GarminUnauthorizedError(f"account {account_id} has no Garmin tokens; run `syncd link garmin`")

            def save(fresh: dict[str, Any]) -> None:
                self.store.set_account_tokens(account_id, fresh)

            self._apis[account_id] = GarminApi.login(self.endpoint, tokens, on_tokens=save, clock=self.clock)
        return self._apis[account_id]

    def api_for_athlete(self, athlete_id: int) -> GarminApi:
        account = account_of(self.store.list_accounts(), PROVIDER, athlete_id)
        if account is not None:
            return self.api_for_account(account.id)
        raise GarminUnauthorizedError(f"athlete {athlete_id} has no linked Garmin account; run `syncd link garmin`")

    def source_for(self, account: AccountRecord) -> Source:
        def remember(activity: Mapping[str, Any]) -> None:
            self.writer.remember(account.athlete_id, activity)

        return GarminSource(self.api_for_account(account.id), on_activity=remember)

    def grant_revoked(self, account_id: int) -> bool:
        """Whether Garmin Connect refuses the account's stored token store."""
        try:
            self.api_for_account(account_id)
        except GarminUnauthorizedError:
            return True
        return False

    def requests_sent(self) -> int:
        return sum(api.requests for api in self._apis.values())

    def forget(self, account_id: int) -> None:
        self._apis.pop(account_id, None)


# ---- linking ---------------------------------------------------------------------------------------------

link_log = get_logger("syncd.garmin_accounts")


def read_token_store(path: Path) -> dict[str, Any]:
    """A garminconnect token store: `garmin_tokens.json`, or a directory holding one."""
    try:
        file = token_store_file(path)
    except ValueError as exc:
        raise LinkError(f"token store {path}: {exc}; pass the garmin_tokens.json file itself") from None
    data = read_json_object(file, "Garmin token store", "garminconnect's garmin_tokens.json (di_token, ...)")
    try:
        return validate_tokens(data, f"Garmin token store {file}")
    except GarminError as exc:
        raise LinkError(str(exc)) from None


def save_link(store: LinkRepositories, api: GarminApi, *, athlete: str | None = None) -> LinkedAccount:
    profile = api.profile()
    athlete_id = choose_athlete(store, profile.profile_id, athlete, profile.full_name)
    account_id = store.accounts.upsert_account(athlete_id, PROVIDER, profile.profile_id, api.tokens)
    link_log.info("account_linked", provider=PROVIDER, external_id=profile.profile_id, account_id=account_id)
    return LinkedAccount(account_id, athlete_id, profile.profile_id, profile.full_name or profile.display_name)


def link_with_token_store(
    store: LinkRepositories, endpoint: GarminEndpoint, tokens: dict[str, Any], *, athlete: str | None = None
) -> LinkedAccount:
    """Non-interactive: log in from the token store (refreshing it if it is about to expire), then save it."""
    try:
        api = GarminApi.login(endpoint, tokens)
    except GarminError as exc:
        raise LinkError(str(exc)) from None
    return save_link(store, api, athlete=athlete)


def link_interactive(
    store: LinkRepositories,
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
