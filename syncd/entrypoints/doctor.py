"""`syncd doctor`: check what an operator would otherwise discover at 3 a.m., and say how to fix each problem."""

from __future__ import annotations

import ipaddress
import os
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from syncd.config import ConfigError, Settings, load_settings

if TYPE_CHECKING:
    from syncd.adapters.db.repository import Store


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    warning: bool = False  # ok, but probably not what the operator wants


def run_checks(config_path: Path | None, overrides: Mapping[str, Mapping[str, Any]] | None = None) -> list[Check]:
    """Every check; reads only: on a fresh machine it creates no directory, key or database."""
    try:
        settings = load_settings(config_path, overrides=overrides)
    except ConfigError as exc:
        return [Check("config", False, str(exc))]
    where = str(settings.config_path) if settings.config_path else "no config file found, using defaults"
    checks = [Check("config", True, where)]
    probes = (_state_dir, _database, _secret_key, _web, _email, _digest_recipients, _strava, _surface, _notify)
    for probe in probes:
        checks.extend(_guard(probe, settings))
    return checks


def next_step(config_path: Path | None, overrides: Mapping[str, Mapping[str, Any]] | None = None) -> str:
    """What to do next, in one line: write a config, link an account, or start the daemon."""
    try:
        settings = load_settings(config_path, overrides=overrides)
    except ConfigError:
        return "fix the config file, then run `syncd doctor` again"
    store = _existing_store(settings)
    if store is None and settings.config_path is None:
        return "`syncd init` writes a commented config; set [strava] client_id there, then `syncd link strava`"
    if store is None:
        return "`syncd link strava` (or `syncd import FILES`) creates the database and your first athlete"
    try:
        accounts = store.list_accounts()
    finally:
        store.close()
    if not accounts:
        return "`syncd link strava` (or `syncd link garmin`) links your account"
    return "`syncd sync --once` syncs now; `syncd run` (or the systemd unit) keeps everything in sync"


def _guard(probe: Callable[[Settings], list[Check]], settings: Settings) -> list[Check]:
    try:
        return probe(settings)
    except Exception as exc:  # a probe that crashes is itself a finding, never a doctor crash
        return [Check(probe.__name__.strip("_"), False, f"{type(exc).__name__}: {exc}")]


def _mode_problem(path: Path, allowed: int) -> str | None:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & ~allowed:
        return f"{path} has mode {mode:04o}; run `chmod {allowed:04o} {path}`"
    return None


def _state_dir(settings: Settings) -> list[Check]:
    path = settings.state_dir
    if not path.exists():
        return [Check("state directory", True, f"{path} will be created on first use (mode 0700)")]
    if not os.access(path, os.W_OK | os.X_OK):
        return [Check("state directory", False, f"{path} is not writable; fix its owner or set SYNCD_STATE_DIR")]
    problem = _mode_problem(path, 0o750)
    return [Check("state directory", problem is None, problem or f"{path} is writable and private")]


def _existing_store(settings: Settings) -> Store | None:
    """The store when its database exists (opened without the key file, so nothing is created), else None."""
    from syncd.adapters.db.engine import sqlite_file
    from syncd.adapters.db.repository import Store

    database = sqlite_file(settings.database_url)
    if database is not None and not database.exists():
        return None
    return Store.open(settings.database_url)


def _database(settings: Settings) -> list[Check]:
    from syncd.adapters.db import StoreError
    from syncd.adapters.db.engine import shown_url, sqlite_file
    from syncd.entrypoints.wiring import check_database_dir

    shown = shown_url(settings.database_url)
    try:
        check_database_dir(settings)
        store = _existing_store(settings)
    except (StoreError, ConfigError) as exc:
        return [Check("database", False, str(exc))]
    if store is None:
        return [Check("database", True, f"{shown} will be created on first use")]
    try:
        counts = store.counts()
    finally:
        store.close()
    checks = [
        Check("database", True, f"{shown}: reachable, schema up to date, {counts.get('activities', 0)} activities")
    ]
    database = sqlite_file(settings.database_url)
    if database is not None:
        problem = _mode_problem(database, 0o600)
        checks.append(Check("database file", problem is None, problem or f"{database} is 0600"))
    return checks


def _digest_recipients(settings: Settings) -> list[Check]:
    """Who `[email] to` is for, and a warning when email is set up but no digest will reach anyone."""
    from syncd.services.athletes import owner
    from syncd.services.digest_recipients import owner_id, recipient

    if not settings.email.host:
        return []
    store = _existing_store(settings)
    if store is None:
        return [Check("digest", True, "no athlete yet; [email] to will be the athlete you link or import first")]
    try:
        boss = owner(store)
        boss_id = owner_id(store)
        receiving = [(a.key, to) for a in store.list_athletes() if (to := recipient(a, settings, owner_id=boss_id))]
    finally:
        store.close()
    if not receiving:
        why = (
            f"{boss.key} unsubscribed or turned it off (`syncd athlete set {boss.key} --digest on`)"
            if boss is not None and boss.digest_unsubscribed_at is not None
            else "set [email] to, or `syncd athlete set ATHLETE --email ADDRESS --digest on`"
        )
        return [Check("digest", True, f"email is configured but nobody will receive a digest: {why}", warning=True)]
    lines = ", ".join(f"{key} -> {to}" for key, to in receiving)
    means = f"; [email] to means {boss.key}, the one athlete of this install" if boss and settings.email.to else ""
    return [Check("digest", True, f"{lines}{means}")]


def _secret_key(settings: Settings) -> list[Check]:
    if settings.database.encryption_key:
        return [Check("encryption key", True, "configured (from config, environment or credential)")]
    key_file = settings.state_dir / "secret.key"
    if not key_file.exists():
        return [Check("encryption key", True, f"{key_file} will be generated on first use (0600)")]
    problem = _mode_problem(key_file, 0o600)
    return [Check("encryption key", problem is None, problem or f"{key_file} is 0600; back it up with the database")]


def _web(settings: Settings) -> list[Check]:
    host = settings.web.host
    loopback = host in ("localhost", "") or _is_loopback(host)
    if not loopback and not settings.web.token:
        return [Check("web", False, f"[web] host {host} is not loopback but [web] token is not set; set token_file")]
    return [Check("web", True, f"{host}:{settings.web.port}" + ("" if loopback else " with token"))]


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _email(settings: Settings) -> list[Check]:
    email = settings.email
    if not email.host:
        return [Check("email", True, "not configured (weekly digests are off)")]
    missing = [name for name in ("sender", "to") if not getattr(email, name)]
    if missing:
        return [Check("email", False, f"[email] host is set but {', '.join(missing)} is missing; add it")]
    from syncd.services.digest_recipients import address_problem

    for name in ("sender", "to", "reply_to"):
        value = getattr(email, name)
        problem = address_problem(value) if value else None
        if problem is not None:
            return [Check("email", False, f"[email] {name}: {problem}; fix it")]
    if email.password and email.security == "none" and not _is_loopback(email.host):
        return [Check("email", False, "[email] security = none would send the password in clear; use starttls")]
    return [Check("email", True, f"{email.host}:{email.port} ({email.security})")]


def _notify(settings: Settings) -> list[Check]:
    """[notify] urls that Apprise cannot use (an unknown scheme, a missing token), named by position, never shown;
    check links need a public address."""
    from syncd.domain.notify_urls import scheme_of
    from syncd.services.notify_targets import config_urls

    urls = config_urls(settings)
    if not urls:
        return [Check("notify", True, "no [notify] urls (athletes may still have their own: syncd athlete show)")]
    from syncd.adapters.notify import known

    bad = [f"entry {n} ({scheme_of(url)}://)" for n, url in enumerate(urls, 1) if not known(url)]
    if bad:
        return [Check("notify", False, f"[notify] urls: Apprise cannot use {', '.join(bad)}; check the Apprise wiki")]
    schemes = ", ".join(scheme_of(url) for url in urls)
    if not settings.web.base_url:
        return [
            Check(
                "notify",
                True,
                f"{len(urls)} target(s) ({schemes}); links point at http://{settings.web.host}:{settings.web.port}: "
                "set [web] base_url to the address a phone reaches",
                warning=True,
            )
        ]
    return [Check("notify", True, f"{len(urls)} target(s) ({schemes}); `syncd notify test` sends a test message")]


def _strava(settings: Settings) -> list[Check]:
    strava = settings.strava
    if strava.client_id and not strava.client_secret:
        return [Check("strava", False, "[strava] client_id is set but client_secret is not; set client_secret_file")]
    return [Check("strava", True, "application configured" if strava.client_id else "not configured")]


def _surface(settings: Settings) -> list[Check]:
    osm = settings.surface.osm_file
    if osm is not None and not osm.is_file():
        return [Check("surface map", False, f"[surface] osm_file {osm} does not exist; fix the path or remove it")]
    return [Check("surface map", True, str(osm) if osm else "no map configured (surface from sport type only)")]
