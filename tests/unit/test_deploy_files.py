"""deploy/ stays in step with the code: the example config is exactly `syncd init --print`."""

from __future__ import annotations

from pathlib import Path

from syncd.config import load_settings
from syncd.entrypoints.setup import example_config

ROOT = Path(__file__).resolve().parents[2]


def test_deploy_example_config_is_init_print() -> None:
    assert (ROOT / "deploy" / "config.example.toml").read_text(encoding="utf-8") == example_config()


def test_deploy_example_config_loads(tmp_path: Path) -> None:
    settings = load_settings(ROOT / "deploy" / "config.example.toml", env={"HOME": str(tmp_path)})
    assert settings.web.port == 8080


def test_unit_file_uses_notify_watchdog_and_credentials() -> None:
    unit = (ROOT / "systemd" / "syncd.service").read_text(encoding="utf-8")
    for line in ("Type=notify", "WatchdogSec=", "LoadCredential=", "ProtectSystem=strict", "Restart=on-failure"):
        assert line in unit
