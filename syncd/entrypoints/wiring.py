"""Composition root: turn settings into the concrete adapters the commands use."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from syncd.config import ConfigError, Settings
from syncd.logging import register_secret

if TYPE_CHECKING:
    from collections.abc import Sequence

    from syncd.adapters.crypto import SecretBox
    from syncd.adapters.db.read_store import ReadStore
    from syncd.adapters.db.repository import Store
    from syncd.adapters.garmin.api import GarminEndpoint
    from syncd.adapters.notify import AppriseSender
    from syncd.adapters.strava.api import Endpoint
    from syncd.domain.digest import LoadWeek
    from syncd.ports import Mailer, SurfaceMap, TrendChart
    from syncd.services.account_sync import PlatformRepositories
    from syncd.services.accounts import LinkRepositories
    from syncd.services.annotating import AnnotationPolicy, BatchRepositories
    from syncd.services.digests import DigestRepositories
    from syncd.services.folder_sync import FolderService
    from syncd.services.garmin_sync import GarminService
    from syncd.services.importing import ImportRepositories
    from syncd.services.notifications import NotifyRepositories
    from syncd.services.platforms import Platform
    from syncd.services.status import StatusReads
    from syncd.services.strava_sync import StravaService
    from syncd.services.sync_pipeline import SyncRepositories

LOCAL_ATHLETE = "local"


def ensure_state_dir(path: Path) -> Path:
    """Create the state directory 0700: it holds the database and the encryption key."""
    try:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise ConfigError(
            f"cannot create state directory {path} ({exc.strerror}); set SYNCD_STATE_DIR or STATE_DIRECTORY "
            "to a writable directory"
        ) from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise ConfigError(f"state directory {path} is not writable; fix its owner/permissions or set SYNCD_STATE_DIR")
    return path


def check_database_dir(settings: Settings, *, flag: str = "[database] url") -> None:
    """A configured SQLite file must be in a directory that exists: a typo must not create directories silently.

    (The default database lives in the state directory, which syncd creates itself.)
    """
    from syncd.adapters.db.reads import is_postgresql, plain_sqlite_file

    url = settings.database.url
    database = plain_sqlite_file(url) if url else None
    if url and database is None and not is_postgresql(url):  # an unusual form: SQLAlchemy reads it as the store will
        from syncd.adapters.db.engine import sqlite_file

        database = sqlite_file(url)
    if database is None:
        return
    parent = database.absolute().parent
    if not parent.is_dir():
        raise ConfigError(f"the directory {parent} of the SQLite database does not exist; create it or fix {flag}")


def register_secrets(settings: Settings) -> None:
    """Tell the log redactor every configured secret, so it is scrubbed even inside library messages."""
    for secret in (
        settings.database.encryption_key,
        settings.strava.client_secret,
        settings.strava.webhook_verify_token,
        settings.web.token,
        settings.email.password,
    ):
        if secret:
            register_secret(secret.reveal())
    if settings.notify.urls:  # each Apprise URL whole, and its tokens and password
        from syncd.domain.notify_urls import log_secrets

        for url in settings.notify.urls.reveal().split("\n"):
            for piece in (url, *log_secrets(url)):
                register_secret(piece)


def _secret_box(settings: Settings) -> SecretBox:
    from syncd.adapters.crypto import SecretBox, SecretError, load_or_create_key

    state_dir = ensure_state_dir(settings.state_dir)
    configured = settings.database.encryption_key.reveal() if settings.database.encryption_key else None
    try:
        return SecretBox(load_or_create_key(state_dir, configured))
    except SecretError as exc:  # a bad configured key or key file is a configuration problem, said in one line
        where = "[database] encryption_key" if configured is not None else "the key file"
        raise ConfigError(f"{where}: {exc}") from None


def open_reads(settings: Settings) -> ReadStore | Store:
    """For a command that only reads (`status`, `athlete show`, `pain --list`): the read-only store without
    SQLAlchemy when the database exists, is current and needs no write; else the full Store (which creates or
    upgrades it, or says in one line why it cannot). The key and the state directory are checked the same way."""
    from syncd.adapters.db.read_store import ReadStore

    box = _secret_box(settings)
    reads = ReadStore.open(settings.database_url, units=settings.notes.units, secret_box=box)
    return reads if reads is not None else open_store(settings, box)


def open_store(settings: Settings, box: SecretBox | None = None) -> Store:
    box = box or _secret_box(settings)
    from syncd.adapters.db.repository import Store
    from syncd.services.athletes import follow_default_units

    store = Store.open(settings.database_url, secret_box=box)

    follow_default_units(store, settings)  # a changed `[notes] units` reaches athletes who never chose theirs
    return store


def annotation_policy(settings: Settings) -> AnnotationPolicy:
    from datetime import timedelta

    from syncd.services.annotating import AnnotationPolicy  # the rules (numpy maths) only for commands that annotate

    return AnnotationPolicy(
        thresholds=settings.rules,
        units=settings.notes.units,
        when_clean=settings.notes.when_clean,
        surface_map=surface_map(settings),
        write_back_window=timedelta(days=settings.notes.annotation_window_days),
        advice=settings.advice,
        max_heart_rate=_max_heart_rate(settings),
        resting_heart_rate=_heart_rate(settings.athlete.resting_heart_rate),
        threshold_heart_rate=_heart_rate(settings.athlete.threshold_heart_rate),
    )


def annotation_version(settings: Settings) -> str:
    """What `annotation_policy(settings).version` is, without loading the rules (for `syncd status`)."""
    from syncd.services.annotation_version import annotation_version as version

    notes = settings.notes
    return version(
        settings.rules,
        notes.units,
        notes.when_clean,
        settings.advice,
        _max_heart_rate(settings),
        resting_heart_rate=_heart_rate(settings.athlete.resting_heart_rate),
        threshold_heart_rate=_heart_rate(settings.athlete.threshold_heart_rate),
    )


def _max_heart_rate(settings: Settings) -> float | None:
    return _heart_rate(settings.athlete.max_heart_rate)


def _heart_rate(bpm: float | None) -> float | None:
    return float(bpm) if bpm else None


def digest_repositories(store: Store) -> DigestRepositories:
    """The database Store's repositories that the weekly digests read and change."""
    from syncd.services.digests import DigestRepositories

    return DigestRepositories(
        people=store,
        athletes=store,
        activities=store,
        annotations=store,
        latest=store,
        gear=store,
        diary=store.pain_diary,
        activity_reads=store.activity_reads,
        claims=store,
        digest_log=store.digest_log,
        keys=store,
    )


def notify_repositories(store: Store) -> NotifyRepositories:
    """The database Store's repositories that push notifications and the check-in read and change."""
    from syncd.services.notifications import NotifyRepositories

    return NotifyRepositories(digest_repositories(store), store.notifications)


def batch_repositories(store: Store) -> BatchRepositories:
    """The database Store's repositories that annotating many stored activities reads and changes."""
    from syncd.services.annotating import BatchRepositories

    return BatchRepositories(
        units=store,
        batches=store.annotation_batches,
        athletes=store,
        activities=store,
        gear=store,
        outbox=store,
        diary=store.pain_diary,
        now=store.now,
    )


def sync_repositories(store: Store) -> SyncRepositories:
    """The database Store's repositories that one account's sync reads and changes (a unit of work per run)."""
    from syncd.services.sync_pipeline import SyncRepositories

    return SyncRepositories(
        units=store,
        athletes=store,
        activities=store,
        annotations=store,
        twins=store,
        batch=batch_repositories(store),
        diary=store.pain_diary,
    )


def import_repositories(store: Store) -> ImportRepositories:
    """The database Store's repositories that importing files reads and changes."""
    from syncd.services.importing import ImportRepositories

    return ImportRepositories(batch_repositories(store))


def platform_repositories(store: Store) -> PlatformRepositories:
    """The database Store's repositories that a platform's service (sync passes, outbox drain) uses."""
    from syncd.services.account_sync import PlatformRepositories
    from syncd.services.writeback import DrainRepositories

    return PlatformRepositories(
        sync=sync_repositories(store),
        accounts=store,
        links=store,
        drain=DrainRepositories(store, store.outbox_log, store, store),
        appearances=store.activity_reads,
    )


def link_repositories(store: Store) -> LinkRepositories:
    """The database Store's repositories that linking and unlinking an account use."""
    from syncd.services.accounts import LinkRepositories

    return LinkRepositories(accounts=store, athletes=store, leases=store.account_leases, diary=store.pain_diary)


def status_reads(store: ReadStore | Store) -> StatusReads:
    """What `syncd status` and `syncd accounts` read, from the read-only store or the database Store."""
    from syncd.services.status import StatusReads

    return StatusReads(
        people=store,
        athletes=store,
        budgets=store,
        appearances=store.activity_reads,
        digest_log=store.digest_log,
        outbox=store.outbox_log,
        leases=store.account_leases,
        streams=store.annotation_batches,
        facts=store,
        notifications=store.notifications,
    )


def redo_marked(settings: Settings, store: Store, athlete_id: int) -> int:
    """Redo now the notes a change just marked stale (a diary entry, a mode, a setting or a shoe typed on the CLI
    or the feed's form), so every surface shows it at once; returns how many were redone."""
    from datetime import UTC, datetime

    from syncd.services.annotating import annotate_marked
    from syncd.services.write_back_policy import own_platform

    outcomes = annotate_marked(
        batch_repositories(store),
        athlete_id,
        annotation_policy(settings),
        now=datetime.now(UTC),
        write_back_providers=own_platform,
    )
    return len(outcomes)


# One surface map per configuration and process: the daemon builds a policy every cycle, the index and the
# Overpass tile cache's database engine should not be opened again each time.
_SURFACE_MAPS: dict[tuple[str, ...], SurfaceMap] = {}


def surface_map(settings: Settings, *, eager: bool = False) -> SurfaceMap | None:
    """The map behind the hard-surface rule: `[surface] osm_file` (preferred), else `overpass_url`, else none.

    Built lazily (commands that never annotate never index an extract); `eager` builds it now and turns a bad
    extract into a ConfigError, for `syncd annotate --osm FILE`.
    """
    from syncd.adapters.osm.lazy import LazySurfaceMap  # the extract (osmium, shapely) only once a run needs it

    surface = settings.surface
    cache_dir = settings.state_dir / "surface"
    if surface.osm_file is not None:
        extract = Path(surface.osm_file).expanduser()
        if eager:
            from syncd.adapters.osm import ExtractSurfaceMap, SurfaceMapError

            try:
                ensure_state_dir(settings.state_dir)
                built = ExtractSurfaceMap(extract, cache_dir)
                built.load()
            except SurfaceMapError as exc:
                raise ConfigError(str(exc)) from None
            return built
        key = ("osm", str(extract), str(cache_dir))
        if key not in _SURFACE_MAPS:

            def extract_map() -> SurfaceMap:
                from syncd.adapters.osm import ExtractSurfaceMap

                return ExtractSurfaceMap(extract, cache_dir)

            _SURFACE_MAPS[key] = LazySurfaceMap(extract_map, f"extract {extract}")
        return _SURFACE_MAPS[key]
    if surface.overpass_url:
        url = surface.overpass_url
        key = ("overpass", url, settings.database_url)
        if key not in _SURFACE_MAPS:

            def overpass() -> SurfaceMap:
                from syncd.adapters.osm import OverpassSurfaceMap, TileCache

                return OverpassSurfaceMap(url, TileCache(open_store(settings).map_tiles))

            _SURFACE_MAPS[key] = LazySurfaceMap(overpass, "Overpass")
        return _SURFACE_MAPS[key]
    return None


def strava_endpoint(settings: Settings) -> Endpoint:
    """Where Strava is and our app's credentials; a ConfigError naming the missing key otherwise."""
    from syncd.adapters.strava.api import Endpoint

    strava = settings.strava
    if not strava.client_id or not strava.client_secret:
        raise ConfigError(
            "[strava] client_id and client_secret are required: register an app at https://www.strava.com/settings/api "
            "and set them (client_secret_file or SYNCD_STRAVA_CLIENT_SECRET_FILE keeps the secret out of the config)"
        )
    try:
        client_id = int(strava.client_id)
    except ValueError:
        raise ConfigError(
            f"[strava] client_id must be the number Strava shows for your app; got {strava.client_id!r}"
        ) from None
    return Endpoint(strava.api_url, strava.oauth_url, client_id, strava.client_secret.reveal(), float(strava.timeout_s))


def strava_service(settings: Settings, store: Store, *, webhook: bool = False) -> StravaService:
    """The Strava sync/write-back service with the database-backed rate budget shared by all workers; `webhook`:
    a push subscription exists, so polling is a daily safety re-scan (the daemon checks and switches it)."""
    from datetime import timedelta

    from syncd.adapters.clock import SystemClock
    from syncd.adapters.strava.sessions import StravaSessions
    from syncd.services.strava_sync import PollSettings, StravaService, SyncOptions

    endpoint = strava_endpoint(settings)
    strava = settings.strava
    options = SyncOptions(
        annotation_window=timedelta(days=settings.notes.annotation_window_days),
        rescan=timedelta(days=strava.rescan_days),
        write_back=strava.write_back,
    )
    budget = store.rate_budget(f"strava:{endpoint.client_id}")
    clock = SystemClock()
    sessions = StravaSessions(store, endpoint, budget=budget, clock=clock, write_reserve=strava.write_reserve)
    return StravaService(
        platform_repositories(store),
        sessions,
        budget=budget,
        policy=annotation_policy(settings),
        options=options,
        poll=PollSettings(
            share_pct=float(strava.poll_share_pct), min_interval_s=60.0 * strava.poll_interval_min, webhook=webhook
        ),
        clock=clock,
        write_reserve=strava.write_reserve,
    )


def garmin_endpoint(settings: Settings) -> GarminEndpoint:
    from datetime import timedelta

    from syncd.adapters.garmin.api import GarminEndpoint

    garmin = settings.garmin
    return GarminEndpoint(
        garmin.api_url, backoff=timedelta(hours=garmin.backoff_hours), timeout_s=float(garmin.timeout_s)
    )


def garmin_service(settings: Settings, store: Store) -> GarminService:
    """The Garmin sync/write-back service."""
    from datetime import timedelta

    from syncd.adapters.clock import SystemClock
    from syncd.adapters.garmin.sessions import GarminSessions
    from syncd.services.garmin_sync import GarminService, GarminSyncOptions

    garmin = settings.garmin
    options = GarminSyncOptions(
        annotation_window=timedelta(days=settings.notes.annotation_window_days),
        rescan=timedelta(days=garmin.rescan_days),
        first_history=timedelta(days=garmin.history_days),
        poll_interval=timedelta(minutes=max(garmin.poll_interval_min, 1)),
        write_back=garmin.write_back,
    )
    clock = SystemClock()
    return GarminService(
        platform_repositories(store),
        GarminSessions(store, garmin_endpoint(settings), clock=clock),
        policy=annotation_policy(settings),
        options=options,
        clock=clock,
    )


def platform_services(settings: Settings, store: Store) -> list[Platform]:
    """Every configured platform, as the daemon drives them: Strava needs [strava] client_id/client_secret (and
    pushes changes through its webhook); Garmin needs a linked account."""
    from syncd.services.platforms import Platform

    platforms: list[Platform] = []
    if settings.strava.client_id and settings.strava.client_secret:
        strava = strava_service(settings, store)
        platforms.append(Platform("strava", strava, push=strava))
    if any(account.provider == "garmin" for account in store.list_accounts()):
        platforms.append(Platform("garmin", garmin_service(settings, store)))
    if settings.folder.path is not None:
        platforms.append(Platform("folder", folder_service(settings, store)))
    return platforms


def folder_service(settings: Settings, store: Store) -> FolderService:
    """The watched folder (`[folder] path`), for the default local athlete."""
    from datetime import timedelta

    from syncd.adapters.clock import SystemClock
    from syncd.adapters.folder.quarantine import FILE_NAME as QUARANTINE_FILE
    from syncd.adapters.folder.quarantine import Quarantine
    from syncd.adapters.folder.source import WatchedFolder
    from syncd.services.folder_sync import FolderService

    assert settings.folder.path is not None
    athlete_id = store.ensure_athlete(LOCAL_ATHLETE, name="Local athlete", units=settings.notes.units)
    folder = WatchedFolder(
        settings.folder.path,
        Quarantine(settings.state_dir / QUARANTINE_FILE),
        max_activities=settings.files.max_activities_per_file,
    )
    return FolderService(
        platform_repositories(store),
        folder,
        athlete_id=athlete_id,
        policy=annotation_policy(settings),
        clock=SystemClock(),
        annotation_window=timedelta(days=settings.notes.annotation_window_days),
        poll=timedelta(seconds=settings.folder.poll_s),
    )


def mailer_from_settings(settings: Settings, *, timeout_s: float | None = None) -> Mailer:
    """The configured SMTP server (`[email]`), as the digests' Mailer; ConfigError names what is missing."""
    from syncd.adapters.smtp import DEFAULT_TIMEOUT_S, SmtpMailer
    from syncd.config import ConfigError

    email = settings.email
    if not email.host:
        raise ConfigError("[email] host is not set; configure [email] (see `syncd init --print`) to send digests")
    if not email.sender:
        raise ConfigError('[email] sender is not set; add sender = "syncd <syncd@example.org>"')
    return SmtpMailer(
        host=email.host,
        port=email.port,
        security=email.security,
        username=email.username,
        password=email.password.reveal() if email.password else None,
        timeout_s=timeout_s or DEFAULT_TIMEOUT_S,
    )


def push_sender(settings: Settings) -> AppriseSender:
    """The push-notification sender (Apprise, imported here on first use), `[notify] timeout_s` per target."""
    from syncd.adapters.notify import AppriseSender

    return AppriseSender(timeout_s=settings.notify.timeout_s)


def trend_chart() -> TrendChart:
    """The digest's load chart drawer (matplotlib, imported only when a digest is built)."""

    def draw(trend: Sequence[LoadWeek], *, unit: str = "min") -> bytes:
        from syncd.adapters.charts import load_trend_png

        return load_trend_png(trend, unit=unit)

    return draw
