from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SYNCD = Path(sys.executable).with_name("syncd")

RunSyncd = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def syncd_env(tmp_path: Path) -> dict[str, str]:
    """A clean environment: its own HOME, config and state directories, no SYNCD_* leaking in from the caller."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SYNCD_", "XDG_", "CREDENTIALS_DIRECTORY"))}
    env.update(
        HOME=str(tmp_path / "home"),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_STATE_HOME=str(tmp_path / "state"),
    )
    env.pop("STATE_DIRECTORY", None)
    return env


@pytest.fixture
def run_syncd(syncd_env: dict[str, str]) -> RunSyncd:
    def run(
        *args: str | Path, env: dict[str, str] | None = None, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(SYNCD), *map(str, args)],
            env={**syncd_env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            check=False,
        )

    return run
