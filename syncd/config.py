"""Typed settings: TOML file < environment (`SYNCD_<SECTION>_<KEY>`) < command-line flags.

Secrets can also come from `<key>_file` in the TOML, `SYNCD_<SECTION>_<KEY>_FILE` in the environment, or a systemd
credential named `<section>_<key>` in `$CREDENTIALS_DIRECTORY`, so they never need to sit in the config file.
Every problem is reported as one `ConfigError` line naming the key and how to fix it.
"""

from __future__ import annotations

import difflib
import math
import os
import stat
import tomllib
from collections.abc import Callable, Mapping
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
    timeout_s: int = 15  # per HTTP request


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
class FolderSettings:
    """A watched folder of FIT/GPX/TCX files (a phone sync app, a watch's USB dump, a Syncthing share)."""

    path: Path | None = None
    poll_s: int = 60  # how often the folder is scanned (a stat per file)


@dataclass(frozen=True)
class FilesSettings:
    """Activity files (`syncd import`, `annotate`, the watched folder)."""

    max_activities_per_file: int = 25  # a triathlon or a stage race, yes; 10,000 sessions, no


@dataclass(frozen=True)
class NotesSettings:
    units: Literal["metric", "imperial"] = "metric"
    when_clean: Literal["line", "none"] = "line"
    annotation_window_days: int = 30


@dataclass(frozen=True)
class AdviceSettings:
    """Sore now or staying well (docs/pain.md): `auto` chooses from the pain diary; `threshold` 1-10 within
    `window_days` makes a run's advice the sore-back kind."""

    mode: Literal["auto", "sore", "staying_well"] = "auto"
    threshold: int = 4
    window_days: int = 7


@dataclass(frozen=True)
class AthleteSettings:
    """The default athlete's own figures; `max_heart_rate` (bpm) turns on heart-rate load (TRIMP) and HR zones.

    With `resting_heart_rate` too, the hard zone is read from the heart-rate reserve; `threshold_heart_rate` (the
    lactate-threshold heart rate, from a test or the watch) is the most personal reference and wins when set."""

    max_heart_rate: int | None = None
    resting_heart_rate: int | None = None
    threshold_heart_rate: int | None = None


@dataclass(frozen=True)
class NotifySettings:
    """Push notifications through Apprise (docs/notify.md): `urls` reach the install's owner (each athlete can have
    their own, `syncd athlete set --notify`); each kind can be turned off; nothing is sent between `quiet_start` and
    `quiet_end` (hours, the athlete's time zone; equal: no quiet hours); the daily check-in goes at `checkin_hour`."""

    urls: Secret | None = field(default=None, metadata=SECRET)
    notes: bool = True  # a run's note with a caution or a high flag, soon after it is written
    digest: bool = True  # the weekly digest as a short text with a link
    checkin: bool = True  # the daily "How is your back today?" link
    checkin_hour: int = 19
    quiet_start: int = 22
    quiet_end: int = 7
    timeout_s: int = 10  # per target and message


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
    folder: FolderSettings = field(default_factory=FolderSettings)
    files: FilesSettings = field(default_factory=FilesSettings)
    advice: AdviceSettings = field(default_factory=AdviceSettings)
    athlete: AthleteSettings = field(default_factory=AthleteSettings)
    notify: NotifySettings = field(default_factory=NotifySettings)
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
    "folder": FolderSettings,
    "files": FilesSettings,
    "advice": AdviceSettings,
    "athlete": AthleteSettings,
    "notify": NotifySettings,
}


@dataclass(frozen=True)
class Check:
    """What one key accepts beyond its type (the type comes from the settings dataclass): a range, a URL."""

    low: float | None = 0  # numbers: inclusive bounds (None: unbounded)
    high: float | None = None
    url: bool = False  # strings: an http(s) URL
    apprise: bool = False  # secrets: Apprise URLs (a list, or one string separated by commas, spaces or newlines)
    meaning: str = ""  # what the number is, for the error message


PORT = Check(1, 65535, meaning="a TCP port")
URL = Check(url=True)
PCT = Check(0, 100, meaning="a percentage")
# Every key whose value is constrained beyond its type, in one table; numbers not listed must not be negative.
CHECKS: dict[tuple[str, str], Check] = {
    ("advice", "threshold"): Check(1, 10, meaning="a pain score (0-10) that makes the advice the sore-back kind"),
    ("advice", "window_days"): Check(1, 60, meaning="days"),
    ("strava", "api_url"): URL,
    ("strava", "oauth_url"): URL,
    ("strava", "poll_share_pct"): Check(1, 100, meaning="a percentage of the daily read budget"),
    ("strava", "poll_interval_min"): Check(1, 1440, meaning="minutes"),
    ("strava", "rescan_days"): Check(0, 365, meaning="days"),
    # Strava's default app limit is 100 reads per 15 minutes: a reserve that large would leave no reads at all
    ("strava", "write_reserve"): Check(0, 99, meaning="requests per 15 minutes, below Strava's 100-read limit"),
    ("strava", "timeout_s"): Check(1, 600, meaning="seconds"),
    ("garmin", "api_url"): URL,
    ("garmin", "backoff_hours"): Check(1, 24 * 7, meaning="hours"),
    ("garmin", "poll_interval_min"): Check(1, 1440, meaning="minutes"),
    ("garmin", "rescan_days"): Check(0, 365, meaning="days"),
    ("garmin", "history_days"): Check(0, 36_500, meaning="days"),
    ("garmin", "timeout_s"): Check(1, 600, meaning="seconds"),
    ("web", "port"): PORT,
    ("email", "port"): PORT,
    ("digest", "hour"): Check(0, 23, meaning="an hour of the day"),
    ("digest", "feed_url"): URL,
    ("surface", "overpass_url"): URL,
    ("web", "base_url"): URL,
    ("notes", "annotation_window_days"): Check(1, 3650, meaning="days"),
    ("folder", "poll_s"): Check(5, 86_400, meaning="seconds between scans"),
    ("files", "max_activities_per_file"): Check(1, 1000, meaning="activities (sessions) one FIT file may hold"),
    ("athlete", "max_heart_rate"): Check(100, 240, meaning="a heart rate in bpm"),
    ("notify", "urls"): Check(apprise=True),
    ("notify", "checkin_hour"): Check(0, 23, meaning="an hour of the day"),
    ("notify", "quiet_start"): Check(0, 23, meaning="an hour of the day"),
    ("notify", "quiet_end"): Check(0, 23, meaning="an hour of the day"),
    ("notify", "timeout_s"): Check(1, 120, meaning="seconds"),
    ("athlete", "resting_heart_rate"): Check(25, 120, meaning="a resting heart rate in bpm"),
    ("athlete", "threshold_heart_rate"): Check(90, 230, meaning="a threshold heart rate in bpm"),
    ("rules", "hard_surface_share_pct"): PCT,
    ("rules", "hard_surface_min_known_pct"): PCT,
    ("rules", "speed_work_top_zone_share_pct"): PCT,
    ("rules", "speed_work_top_zone_from_pct_max"): PCT,
    ("rules", "speed_work_hard_from_pct_hrr"): PCT,
    ("rules", "speed_work_easy_percentile"): PCT,
    ("rules", "warmup_easier_by_pct"): PCT,
    ("rules", "downhill_grade_pct"): PCT,
    ("rules", "downhill_high_grade_pct"): PCT,
}
# Numbers not in CHECKS: a maximum by what the key's name says it is (first match wins), else MAX_SETTING.
SUFFIX_MAXIMA: tuple[tuple[str, float, str], ...] = (
    ("_days", 3650, "days"),
    ("_m_per_km", 1000, "metres per km"),
    ("_pct", 1000, "a percentage"),
    ("_km", 10_000, "kilometres"),
    ("_m", 100_000, "metres"),
    ("_s", 86_400, "seconds"),
    ("_min", 10_080, "minutes"),
    ("_hours", 24 * 365, "hours"),
    ("_per_week", 50, "sessions a week"),
    ("_reps", 100, "repetitions"),
    ("_runs", 1000, "runs"),
)
MAX_SETTING = 1_000_000  # any other number: far above any sane value, far below what overflows date arithmetic
MAX_NUMBER = 10**15  # integers above are refused before conversion, naming the key
# Pairs whose first value must be below the second (a "caution" threshold under its "high" one).
ORDERED: tuple[tuple[str, str, str], ...] = (
    ("rules", "acwr_caution", "acwr_high"),
    ("rules", "monotony_caution", "monotony_high"),
    ("rules", "shoe_nearly_worn_pct", "shoe_far_over_pct"),
)
# SYNCD_* variables that are not settings (scripts and tests read them), never reported as misspelled settings.
NOT_SETTINGS = {
    "SYNCD_CONFIG",
    "SYNCD_STATE_DIR",
    "SYNCD_REQUIRE_PG",
    "SYNCD_TEST_PG_URL",
    "SYNCD_PYTHON",
    "SYNCD_UNIT_DIR",
    "SYNCD_PREFIX",
    "SYNCD_ETC",
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
    built["rules"] = _build_rules(raw.get("rules", {}), path)
    _check_order(built)
    state_dir = Path(env["SYNCD_STATE_DIR"]) if env.get("SYNCD_STATE_DIR") else default_state_dir(env)
    return Settings(state_dir=state_dir, config_path=path if path.exists() else None, **built)


def with_overrides(settings: Settings, **sections: Any) -> Settings:
    return replace(settings, **sections)


MAX_CONFIG_BYTES = 1 << 20  # a commented config is a few KiB
MAX_SECRET_BYTES = 64 << 10  # a token, a password, a key


def read_small_file(path: Path, cap: int, what: str) -> bytes:
    """A regular file's bytes, at most `cap`; ConfigError naming `what` for a FIFO (which would block forever),
    a device (/dev/zero would be read until memory runs out) or a file over the cap. OSErrors of opening pass."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    with os.fdopen(fd, "rb") as handle:
        mode = os.fstat(handle.fileno()).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(path)
        if not stat.S_ISREG(mode):
            kind = "a FIFO" if stat.S_ISFIFO(mode) else "a device" if stat.S_ISCHR(mode) else "not a regular file"
            raise ConfigError(f"{what} {path} is {kind}; point it at a regular file")
        data = handle.read(cap + 1)
    if len(data) > cap:
        raise ConfigError(f"{what} {path} is larger than {cap // 1024} KiB; point it at the right file")
    return data


def _read_toml(path: Path, required: bool) -> dict[str, Any]:
    try:
        return tomllib.loads(read_small_file(path, MAX_CONFIG_BYTES, "config file").decode("utf-8"))
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
    except UnicodeDecodeError:
        raise ConfigError(f"config file {path} is not UTF-8 text; save it as UTF-8 (TOML requires it)") from None
    except OSError as exc:  # a symlink loop, an I/O error, ...
        reason = exc.strerror or type(exc).__name__
        raise ConfigError(f"config file {path} cannot be read ({reason}); fix the path or the file") from None


def _apply_env(raw: dict[str, dict[str, Any]], env: Mapping[str, str]) -> None:
    known = {s: {f.name for f in fields(c)} for s, c in SECTIONS.items()}
    known["rules"] = {f.name for f in fields(Thresholds)}
    for name, value in env.items():
        if not name.startswith("SYNCD_") or name in NOT_SETTINGS:
            continue
        rest = name[len("SYNCD_") :].lower()
        section, _, key = rest.partition("_")
        if section not in known:
            if suggestion := _suggest(section, known):  # a misspelled section, not another tool's variable
                raise ConfigError(f"environment variable {name}: unknown section {section!r}{suggestion}; fix the name")
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
        return read_small_file(path, MAX_SECRET_BYTES, f"{what}:").decode("utf-8").strip()
    except UnicodeDecodeError:
        raise ConfigError(f"{what}: {path} is not UTF-8 text; write the secret as plain text") from None
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ConfigError(f"{what}: cannot read {path} ({reason}); fix the path or its permissions") from None


def _build_rules(values: dict[str, Any], path: Path) -> Thresholds:
    names = {f.name for f in fields(Thresholds)}
    unknown = sorted(set(values) - names)
    if unknown:
        hint = _suggest(unknown[0], names)
        raise ConfigError(f"{path}: unknown [rules] key(s): {', '.join(unknown)}{hint}; remove or rename them")
    hints = get_type_hints(Thresholds)
    return Thresholds(**{key: _coerce("rules", key, hints[key], value) for key, value in values.items()})


def _check_order(built: Mapping[str, Any]) -> None:
    for section, low, high in ORDERED:
        below, above = getattr(built[section], low), getattr(built[section], high)
        if not below < above:
            raise ConfigError(
                f"[{section}] {low} ({below:g}) must be below [{section}] {high} ({above:g}); swap or fix them"
            )


def _fix(section: str, key: str) -> str:
    return f"fix it in the config file or SYNCD_{section.upper()}_{key.upper()}"


def _coerce(section: str, key: str, hint: Any, value: Any) -> Any:
    """One value into its declared type, checked against its entry in CHECKS; a ConfigError naming key and fix."""
    args = [a for a in get_args(hint) if a is not type(None)]
    target = args[0] if get_origin(hint) is not Literal and args else hint
    if get_origin(hint) is Literal or get_origin(target) is Literal:
        choices = get_args(target if get_origin(target) is Literal else hint)
        if value not in choices:
            raise ConfigError(f"[{section}] {key} must be one of {', '.join(map(str, choices))}; got {value!r}")
        return value
    coerce = _COERCERS.get(target)
    if coerce is None:  # pragma: no cover - programming error
        raise ConfigError(f"[{section}] {key}: unsupported setting type {hint!r}")
    return coerce(section, key, value, _check_for(section, key))


def _number(section: str, key: str, value: Any, whole: bool) -> float:
    """A finite number (a whole one when `whole`); TOML numbers and environment strings alike. Its size is checked
    before any conversion (a 400-digit integer made float() raise OverflowError without naming the key)."""
    what = "a whole number" if whole else "a number"
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ConfigError(f"[{section}] {key} must be {what}; got {value!r}; {_fix(section, key)}")
    if (isinstance(value, int) and abs(value) > MAX_NUMBER) or (isinstance(value, str) and len(value) > 32):
        shown = f"{len(str(value))} characters" if isinstance(value, str) else f"{len(str(abs(value)))} digits"
        raise ConfigError(f"[{section}] {key} is far too large ({shown}); {_fix(section, key)}")
    try:
        number = float(value) if not isinstance(value, int) else value
    except ValueError:
        raise ConfigError(f"[{section}] {key} must be {what}; got {value!r}; {_fix(section, key)}") from None
    if not math.isfinite(number):
        raise ConfigError(f"[{section}] {key} must be a finite number; got {value!r}; {_fix(section, key)}")
    if whole and number != int(number):
        raise ConfigError(
            f"[{section}] {key} must be a whole number; got {value!r} (not rounded); {_fix(section, key)}"
        )
    return number


def _in_range(section: str, key: str, number: float, check: Check) -> None:
    low, high = check.low, check.high
    if (low is None or number >= low) and (high is None or number <= high):
        return
    meaning = f" ({check.meaning})" if check.meaning else ""
    if high is None:
        bounds = f"must not be below {low:g}" if low else "must not be negative"
    else:
        bounds = f"must be between {low:g} and {high:g}"
    raise ConfigError(f"[{section}] {key}{meaning} {bounds}; got {number:g}; {_fix(section, key)}")


def _check_for(section: str, key: str) -> Check:
    """The key's entry in CHECKS, else a sane maximum from what its name says it counts (a window of 999999999999
    days passed `doctor` and then failed every annotation), else MAX_SETTING."""
    check = CHECKS.get((section, key))
    if check is not None:
        return check
    for suffix, high, meaning in SUFFIX_MAXIMA:
        if key.endswith(suffix):
            return Check(0, high, meaning=meaning)
    return Check(0, MAX_SETTING)


def _whole(section: str, key: str, value: Any, check: Check) -> int:
    number = int(_number(section, key, value, whole=True))
    _in_range(section, key, number, check)
    return number


def _real(section: str, key: str, value: Any, check: Check) -> float:
    number = float(_number(section, key, value, whole=False))
    _in_range(section, key, number, check)
    return number


def _text(section: str, key: str, value: Any, check: Check) -> str:
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        raise ConfigError(f"[{section}] {key} must be a string; got {value!r}")
    text = str(value)
    if check.url:
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigError(f"[{section}] {key} must be an http(s) URL like https://host/path; got {text!r}")
        text = text.rstrip("/")
    return text


def _path(_section: str, _key: str, value: Any, _check: Check) -> Path:
    return Path(str(value)).expanduser()


def _secret(section: str, key: str, value: Any, check: Check) -> Secret:
    if not check.apprise:
        return Secret(str(value))
    from syncd.domain.notify_urls import NotifyUrlError, split_urls

    try:
        return Secret("\n".join(split_urls(value)))
    except NotifyUrlError as exc:  # the message names the entry by position, never its text (it holds tokens)
        raise ConfigError(f"[{section}] {key}: {exc}; {_fix(section, key)}") from None


def _flag(section: str, key: str, value: Any, _check: Check) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "on", "yes", "1"):
        return True
    if text in ("false", "off", "no", "0"):
        return False
    raise ConfigError(f"[{section}] {key} must be true or false; got {value!r}; {_fix(section, key)}")


_COERCERS: dict[Any, Callable[[str, str, Any, Check], Any]] = {
    bool: _flag,
    int: _whole,
    float: _real,
    str: _text,
    Path: _path,
    Secret: _secret,
}


def _suggest(word: str, choices: Any) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
