"""Composition root: turn settings into the concrete adapters the commands use."""

from __future__ import annotations

import os
from pathlib import Path

from syncd.adapters.crypto import SecretBox, load_or_create_key
from syncd.adapters.db.repository import Store
from syncd.config import ConfigError, Settings
from syncd.logging import register_secret
from syncd.services.annotating import AnnotationPolicy

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


def open_store(settings: Settings) -> Store:
    state_dir = ensure_state_dir(settings.state_dir)
    configured = settings.database.encryption_key.reveal() if settings.database.encryption_key else None
    key = load_or_create_key(state_dir, configured)
    return Store.open(settings.database_url, secret_box=SecretBox(key))


def annotation_policy(settings: Settings) -> AnnotationPolicy:
    return AnnotationPolicy(
        thresholds=settings.rules,
        units=settings.notes.units,
        when_clean=settings.notes.when_clean,
    )
