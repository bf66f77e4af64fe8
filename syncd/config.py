"""Typed settings: TOML file < environment (`SYNCD_<SECTION>_<KEY>`) < command-line flags.

Secrets can also come from `<key>_file` in the TOML, `SYNCD_<SECTION>_<KEY>_FILE` in the environment, or a systemd
credential named `<section>_<key>` in `$CREDENTIALS_DIRECTORY`, so they never need to sit in the config file.
Every problem is reported as one `ConfigError` line naming the key and how to fix it.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal, get_args, get_origin, get_type_hints
from urllib.parse import urlsplit

from syncd.domain.thresholds import Thresholds


class ConfigError(Exception):
    """A configuration problem; str() is one line that names the key and the fix."""


class Secret:
    """A string that never shows itself in repr/str/logs; call `.reveal()` where the value is really needed."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)


SECRET = {"secret": True}


@dataclass(frozen=True)
class DatabaseSettings:
    url: str | None = None
    encryption_key: Secret | None = field(default=None, metadata=SECRET)


@dataclass(frozen=True)
class StravaSettings:
    client_id: str | None = None
    client_secret: Secret | None = field(default=None, metadata=SECRET)
    api_url: str = "https://www.strava.com/api/v3"
    oauth_url: str = "https://www.strava.com/oauth"
    write_back: Literal["all", "private", "off"] = "off"
    webhook_verify_token: Secret | None = field(default=None, metadata=SECRET)
    poll_share_pct: int = 25  # at most this % of the daily read budget goes to polling all athletes
    poll_interval_min: int = 15  # shortest polling interval per athlete
    rescan_days: int = 7  # re-list this many recent days on every poll to catch edits and deletions
    write_reserve: int = 20  # requests per window that reads leave for write-backs
    timeout_s: int = 30  # per HTTP request


@dataclass(frozen=True)
class GarminSettings:
    api_url: str = "https://connectapi.garmin.com"
    write_back: Literal["all", "private", "off"] = "off"
    backoff_hours: int = 6  # after a 429, ask Garmin nothing for this long (it blocks accounts that keep asking)
    poll_interval_min: int = 30  # how often each Garmin account is polled
    rescan_days: int = 7  # re-list this many recent days on every poll to catch edits and deletions
    history_days: int = 365  # the first sync lists this far back before the annotation window


@dataclass(frozen=True)
class WebSettings:
    host: str = "127.0.0.1"
    port: int = 8080
    token: Secret | None = field(default=None, metadata=SECRET)
    # The address people and feed readers reach the feed at (behind a reverse proxy: the public https URL). Atom ids
    # and links are built from it, never from a request's Host header; https here also marks the cookie Secure.
    base_url: str | None = None


@dataclass(frozen=True)
class EmailSettings:
    host: str | None = None
    port: int = 587
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: str | None = None
    password: Secret | None = field(default=None, metadata=SECRET)
    sender: str | None = None
    to: str | None = None
    reply_to: str | None = None


@dataclass(frozen=True)
class DigestSettings:
    """Weekly digest: sent on `weekday` at `hour` local time for the previous ISO week; `when_empty` = short|skip."""

    weekday: Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"] = "monday"
    hour: int = 7
    when_empty: Literal["short", "skip"] = "short"
    feed_url: str | None = None


@dataclass(frozen=True)
class SurfaceSettings:
    osm_file: Path | None = None
    overpass_url: str | None = None


@dataclass(frozen=True)
class NotesSettings:
    units: Literal["metric", "imperial"] = "metric"
    when_clean: Literal["line", "none"] = "line"
    annotation_window_days: int = 30


@dataclass(frozen=True)
class AthleteSettings:
    """The default athlete's own figures; `max_heart_rate` (bpm) turns on heart-rate load (TRIMP) and HR zones."""

    max_heart_rate: int | None = None


@dataclass(frozen=True)
class Settings:
    state_dir: Path
    config_path: Path | None
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    strava: StravaSettings = field(default_factory=StravaSettings)
    garmin: GarminSettings = field(default_factory=GarminSettings)
    web: WebSettings = field(default_factory=WebSettings)
    email: EmailSettings = field(default_factory=EmailSettings)
    digest: DigestSettings = field(default_factory=DigestSettings)
    surface: SurfaceSettings = field(default_factory=SurfaceSettings)
    notes: NotesSettings = field(default_factory=NotesSettings)
    athlete: AthleteSettings = field(default_factory=AthleteSettings)
    rules: Thresholds = field(default_factory=Thresholds)

    @property
    def database_url(self) -> str:
        if self.database.url:
            return self.database.url
        return f"sqlite:///{self.state_dir / 'syncd.sqlite3'}"


SECTIONS: dict[str, type] = {
    "database": DatabaseSettings,
    "strava": StravaSettings,
    "garmin": GarminSettings,
    "web": WebSettings,
    "email": EmailSettings,
    "digest": DigestSettings,
    "surface": SurfaceSettings,
    "notes": NotesSettings,
    "athlete": AthleteSettings,
}
URL_KEYS = {
    ("strava", "api_url"),
    ("strava", "oauth_url"),
    ("garmin", "api_url"),
    ("surface", "overpass_url"),
    ("digest", "feed_url"),
    ("web", "base_url"),
}


def default_config_path(env: Mapping[str, str]) -> tuple[Path, bool]:
    """The config file to read and whether the user named it explicitly (then it must exist)."""
    if env.get("SYNCD_CONFIG"):
        return Path(env["SYNCD_CONFIG"]), True
    xdg = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME", "~")).expanduser() / ".config")
    user_file = Path(xdg) / "syncd" / "config.toml"
    if user_file.exists():
        return user_file, False
    return Path("/etc/syncd/config.toml"), False


def default_state_dir(env: Mapping[str, str]) -> Path:
    if env.get("STATE_DIRECTORY"):  # systemd StateDirectory= (may list several, colon-separated)
        return Path(env["STATE_DIRECTORY"].split(":")[0])
    xdg = env.get("XDG_STATE_HOME") or str(Path(env.get("HOME", "~")).expanduser() / ".local" / "state")
    return Path(xdg) / "syncd"


def load_settings(
    config_path: Path | None = None,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
) -> Settings:
    """Resolve settings from file, environment and flag overrides (`{"section": {"key": value}}`)."""
    env = os.environ if env is None else env
    if config_path is not None:
        path, required = config_path, True
    else:
        path, required = default_config_path(env)
    data = _read_toml(path, required)
    raw: dict[str, dict[str, Any]] = {}
    for section, values in data.items():
        if section not in (*SECTIONS, "rules"):
            raise ConfigError(f"{path}: unknown section [{section}]{_suggest(section, [*SECTIONS, 'rules'])}")
        if not isinstance(values, dict):
            raise ConfigError(f"{path}: [{section}] must be a table of keys, not {type(values).__name__}")
        raw[section] = dict(values)
    _apply_env(raw, env)
    for section, values in (overrides or {}).items():
        raw.setdefault(section, {}).update({k: v for k, v in values.items() if v is not None})

    built: dict[str, Any] = {}
    for section, cls in SECTIONS.items():
        built[section] = _build_section(section, cls, raw.get(section, {}), env, path)
    try:
        built["rules"] = Thresholds.from_mapping(raw.get("rules", {}))
    except ValueError as exc:
        raise ConfigError(f"{exc}; fix it in {path} or the SYNCD_RULES_* environment") from None
    state_dir = Path(env["SYNCD_STATE_DIR"]) if env.get("SYNCD_STATE_DIR") else default_state_dir(env)
    return Settings(state_dir=state_dir, config_path=path if path.exists() else None, **built)


def with_overrides(settings: Settings, **sections: Any) -> Settings:
    return replace(settings, **sections)


def _read_toml(path: Path, required: bool) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        if required:
            raise ConfigError(
                f"config file {path} does not exist; create it with `syncd init` or fix the path"
            ) from None
        return {}
    except PermissionError:
        raise ConfigError(f"config file {path} is not readable; fix its permissions (chmod 640 and group)") from None
    except IsADirectoryError:
        raise ConfigError(f"config file {path} is a directory; point SYNCD_CONFIG at a TOML file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML ({exc}); fix the syntax") from None


def _apply_env(raw: dict[str, dict[str, Any]], env: Mapping[str, str]) -> None:
    known = {s: {f.name for f in fields(c)} for s, c in SECTIONS.items()}
    known["rules"] = {f.name for f in fields(Thresholds)}
    for name, value in env.items():
        if not name.startswith("SYNCD_") or name in {"SYNCD_CONFIG", "SYNCD_STATE_DIR"}:
            continue
        rest = name[len("SYNCD_") :].lower()
        section, _, key = rest.partition("_")
        if section not in known:
            continue
        if key in known[section] or (key.endswith("_file") and key[: -len("_file")] in known[section]):
            raw.setdefault(section, {})[key] = value
        else:
            raise ConfigError(
                f"environment variable {name} is not a known setting{_suggest(key, known[section])}; "
                "remove it or fix the name"
            )


def _build_section(section: str, cls: type, values: dict[str, Any], env: Mapping[str, str], path: Path) -> Any:
    hints = get_type_hints(cls)
    names = {f.name for f in fields(cls)}
    secret_names = {f.name for f in fields(cls) if f.metadata.get("secret")}
    for key in values:
        if key not in names and key.removesuffix("_file") not in secret_names:
            raise ConfigError(f"{path}: unknown key [{section}] {key}{_suggest(key, names)}; remove or rename it")
    kwargs: dict[str, Any] = {}
    for f in fields(cls):
        value = values.get(f.name)
        if f.name in secret_names:
            value = _resolve_secret(section, f.name, value, values.get(f"{f.name}_file"), env)
        if value is None:
            continue
        kwargs[f.name] = _coerce(section, f.name, hints[f.name], value)
    return cls(**kwargs)


def _resolve_secret(section: str, key: str, value: Any, file_value: Any, env: Mapping[str, str]) -> Any:
    if value not in (None, ""):
        return value
    if file_value:
        return _read_secret_file(Path(str(file_value)), f"[{section}] {key}_file")
    credentials = env.get("CREDENTIALS_DIRECTORY")
    if credentials:
        candidate = Path(credentials) / f"{section}_{key}"
        if candidate.exists():
            return _read_secret_file(candidate, f"credential {candidate.name}")
    return None


def _read_secret_file(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(f"{what}: cannot read {path} ({exc.strerror}); fix the path or its permissions") from None


def _coerce(section: str, key: str, hint: Any, value: Any) -> Any:
    where = f"[{section}] {key}"
    args = [a for a in get_args(hint) if a is not type(None)]
    target = args[0] if get_origin(hint) is not Literal and args else hint
    if get_origin(hint) is Literal or get_origin(target) is Literal:
        choices = get_args(target if get_origin(target) is Literal else hint)
        if value not in choices:
            raise ConfigError(f"{where} must be one of {', '.join(map(str, choices))}; got {value!r}")
        return value
    if target is Secret:
        return Secret(str(value))
    if target is int:
        if isinstance(value, bool):
            raise ConfigError(f"{where} must be a whole number; got {value!r}")
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{where} must be a whole number; got {value!r}") from None
        if key == "max_heart_rate" and not 100 <= number <= 240:
            raise ConfigError(f"{where} must be a heart rate in bpm between 100 and 240; got {number}")
        if key == "port" and not 0 < number < 65536:
            raise ConfigError(f"{where} must be a TCP port between 1 and 65535; got {number}")
        if number < 0:
            raise ConfigError(f"{where} must not be negative; got {number}")
        return number
    if target is Path:
        return Path(str(value)).expanduser()
    if target is str:
        if not isinstance(value, (str, int)):
            raise ConfigError(f"{where} must be a string; got {value!r}")
        text = str(value)
        if (section, key) in URL_KEYS:
            parts = urlsplit(text)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ConfigError(f"{where} must be an http(s) URL like https://host/path; got {text!r}")
            text = text.rstrip("/")
        return text
    raise ConfigError(f"{where}: unsupported setting type {hint!r}")  # pragma: no cover - programming error


def _suggest(word: str, choices: Any) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
