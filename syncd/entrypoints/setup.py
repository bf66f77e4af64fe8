"""`syncd init`: write the commented example configuration where syncd will look for it."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from syncd.config import ConfigError, default_config_path


def example_config() -> str:
    return resources.files("syncd.resources").joinpath("config.example.toml").read_text(encoding="utf-8")


def user_config_path(env: dict[str, str] | None = None) -> Path:
    env = dict(os.environ) if env is None else env
    if env.get("SYNCD_CONFIG"):
        return default_config_path(env)[0]
    xdg = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME", "~")).expanduser() / ".config")
    return Path(xdg) / "syncd" / "config.toml"


def write_example_config(path: Path | None, *, force: bool = False) -> Path:
    """Write 0600 (the file may later hold secrets); refuse to clobber an existing config unless forced."""
    target = path or user_config_path()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if force else os.O_EXCL)
        fd = os.open(target, flags, 0o600)
    except FileExistsError:
        raise ConfigError(
            f"{target} already exists; pass --force to overwrite it or --path to write elsewhere"
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot write {target} ({exc.strerror}); choose another place with --path") from None
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(example_config())
    return target
