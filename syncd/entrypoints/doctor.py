"""`syncd doctor`: check what an operator would otherwise discover at 3 a.m., and say how to fix each problem."""

from __future__ import annotations

import ipaddress
import os
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from syncd.config import ConfigError, Settings, load_settings


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def run_checks(config_path: Path | None, overrides: Mapping[str, Mapping[str, Any]] | None = None) -> list[Check]:
    try:
        settings = load_settings(config_path, overrides=overrides)
    except ConfigError as exc:
        return [Check("config", False, str(exc))]
    where = str(settings.config_path) if settings.config_path else "no config file found, using defaults"
    checks = [Check("config", True, where)]
    for probe in (_state_dir, _database, _secret_key, _web, _email, _strava, _surface):
        checks.extend(_guard(probe, settings))
    return checks


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


def _database(settings: Settings) -> list[Check]:
    from syncd.adapters.db import StoreError
    from syncd.adapters.db.engine import shown_url, sqlite_file
    from syncd.entrypoints.wiring import open_store

    shown = shown_url(settings.database_url)
    try:
        store = open_store(settings)
    except (StoreError, ConfigError) as exc:
        return [Check("database", False, str(exc))]
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
    from syncd.services.digests import address_problem

    for name in ("sender", "to", "reply_to"):
        value = getattr(email, name)
        problem = address_problem(value) if value else None
        if problem is not None:
            return [Check("email", False, f"[email] {name}: {problem}; fix it")]
    if email.password and email.security == "none" and not _is_loopback(email.host):
        return [Check("email", False, "[email] security = none would send the password in clear; use starttls")]
    return [Check("email", True, f"{email.host}:{email.port} ({email.security})")]


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
