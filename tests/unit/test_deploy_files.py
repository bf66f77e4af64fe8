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


def test_worker_template_is_hardened_like_the_main_unit_and_names_its_workers() -> None:
    main = (ROOT / "systemd" / "syncd.service").read_text(encoding="utf-8")
    template = (ROOT / "systemd" / "syncd@.service").read_text(encoding="utf-8")
    assert "run --worker %H-%i --no-web" in template
    sandbox = [line for line in main.splitlines() if line.split("=", 1)[0] in _SANDBOX_KEYS]
    assert sandbox and all(line in template for line in sandbox)
    assert "LoadCredential=database_encryption_key:" in template  # workers must share the token key


_SANDBOX_KEYS = {
    "CapabilityBoundingSet",
    "NoNewPrivileges",
    "ProtectSystem",
    "ProtectHome",
    "PrivateTmp",
    "PrivateDevices",
    "PrivateUsers",
    "ProtectKernelTunables",
    "RestrictAddressFamilies",
    "SystemCallFilter",
    "MemoryDenyWriteExecute",
    "DynamicUser",
    "Type",
    "WatchdogSec",
}
