"""Garmin Connect's side of the sync: per-account sessions (resumed from stored token stores), the polling
schedule, the description writer; every account goes through the one pipeline (syncd.services.sync_pipeline),
which also matches runs with their Strava twins (syncd.services.identity) so a run counts once. Notes are queued
per `[garmin] write_back` (a Strava twin's per `[strava] write_back`).

Faults: 429 (on a read or a write) stops the account for `[garmin] backoff_hours`; 5xx is retried by the client,
then left for the next poll; a rejected token store marks the account "needs_relink". The session is only ever
resumed from the stored token store: never a password login on a schedule.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import structlog

from syncd.adapters.clock import SystemClock
from syncd.adapters.garmin.api import GarminApi, GarminEndpoint, token_store_file, validate_tokens
from syncd.adapters.garmin.client import current_tokens, make_garmin
from syncd.adapters.garmin.errors import GarminError, GarminUnauthorizedError, classify
from syncd.adapters.garmin.source import GarminSource
from syncd.adapters.garmin.writer import GarminDescriptionWriter
from syncd.domain.rate_budget import POLL_JITTER, PollPlan, next_poll_at
from syncd.ports import Clock, Source
from syncd.services.account_sync import PlatformAccounts
from syncd.services.accounts import LinkedAccount, LinkError
from syncd.services.annotating import AnnotationPolicy
from syncd.services.garmin_accounts import PROVIDER, choose_athlete
from syncd.services.sync_pipeline import SyncReport
from syncd.services.write_back_policy import WriteBackMode

if TYPE_CHECKING:
    from syncd.ports import AccountLinkStore, PlatformStore
    from syncd.records import AccountRecord

GarminSyncReport = SyncReport  # the one pipeline's report (kept for existing imports)
log = structlog.stdlib.get_logger("syncd.garmin_sync")  # lazy: resolved after configure_logging


@dataclass(frozen=True)
class GarminSyncOptions:
    annotation_window: timedelta = timedelta(days=30)
    rescan: timedelta = timedelta(days=7)
    # The first sync lists this far back: the list is cheap (20 summaries a request) and feeds load and
    # cross-training; only runs inside the annotation window cost more.
    first_history: timedelta = timedelta(days=365)
    overlap: timedelta = timedelta(hours=2)
    poll_interval: timedelta = timedelta(minutes=30)
    write_back: WriteBackMode = "off"
    strava_write_back: WriteBackMode = "off"  # for Strava twins re-annotated after a match


# ---- a pass over every due account -------------------------------------------------------------------------


class GarminService(PlatformAccounts):
    """Everything Garmin for one process: per-account sessions (from stored token stores), passes, the writer.

    `drain` writes Garmin's queued notes (the outbox claim takes only Garmin's items; Strava drains its own).
    """

    provider = PROVIDER
    options: GarminSyncOptions
    writer: GarminDescriptionWriter

    def __init__(
        self,
        store: PlatformStore,
        endpoint: GarminEndpoint,
        *,
        policy: AnnotationPolicy,
        options: GarminSyncOptions,
        clock: Clock | None = None,
    ) -> None:
        self.store = store
        self.endpoint = endpoint
        self.policy = policy
        self.options = options
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

    def grant_revoked(self, account_id: int) -> bool:
        """Whether Garmin Connect refuses the account's stored token store."""
        try:
            self.api_for_account(account_id)
        except GarminUnauthorizedError:
            return True
        return False

    def _account_of(self, athlete_id: int) -> AccountRecord:
        account = self.account_for_athlete(athlete_id)
        if account is not None:
            return account
        raise GarminUnauthorizedError(f"athlete {athlete_id} has no linked Garmin account; run `syncd link garmin`")

    def api_for_athlete(self, athlete_id: int) -> GarminApi:
        return self.api_for_account(self._account_of(athlete_id).id)

    def requests_sent(self) -> int:
        return sum(api.requests for api in self._apis.values())

    # ---- the account pass (syncd.services.account_sync) ----------------------------------------------------

    def source_for(self, account: AccountRecord) -> Source:
        def remember(activity: Mapping[str, Any]) -> None:
            self.writer.remember(account.athlete_id, activity)

        return GarminSource(self.api_for_account(account.id), on_activity=remember)

    def next_due(self, account: AccountRecord, now: datetime, plan: PollPlan | None) -> datetime:
        jitter = random.uniform(-POLL_JITTER, POLL_JITTER)  # spread accounts linked together; not security
        return next_poll_at(now, self.options.poll_interval.total_seconds(), frozenset(), jitter)

    def forget(self, account_id: int) -> None:
        self._apis.pop(account_id, None)

    def write_back_modes(self) -> dict[str, WriteBackMode]:
        return {"garmin": self.options.write_back, "strava": self.options.strava_write_back}


# ---- linking ---------------------------------------------------------------------------------------------

link_log = structlog.stdlib.get_logger("syncd.garmin_accounts")  # lazy: resolved after configure_logging


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


def save_link(store: AccountLinkStore, api: GarminApi, *, athlete: str | None = None) -> LinkedAccount:
    profile = api.profile()
    athlete_id = choose_athlete(store, profile.profile_id, athlete, profile.full_name)
    account_id = store.upsert_account(athlete_id, PROVIDER, profile.profile_id, api.tokens)
    link_log.info("account_linked", provider=PROVIDER, external_id=profile.profile_id, account_id=account_id)
    return LinkedAccount(account_id, athlete_id, profile.profile_id, profile.full_name or profile.display_name)


def link_with_token_store(
    store: AccountLinkStore, endpoint: GarminEndpoint, tokens: dict[str, Any], *, athlete: str | None = None
) -> LinkedAccount:
    """Non-interactive: log in from the token store (refreshing it if it is about to expire), then save it."""
    try:
        api = GarminApi.login(endpoint, tokens)
    except GarminError as exc:
        raise LinkError(str(exc)) from None
    return save_link(store, api, athlete=athlete)


def link_interactive(
    store: AccountLinkStore,
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
