"""`syncd run` as a real child process for the daemon tests and the daemon benchmark."""

from __future__ import annotations

import json
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import requests

from syncd.testing.strava_server import StravaSimulator
from tests.net import free_port

VERIFY_TOKEN = "verify-0123456789abcdef"


def strava_env(sim: StravaSimulator, **extra: str) -> dict[str, str]:
    return {
        "SYNCD_STRAVA_CLIENT_ID": str(sim.client_id),
        "SYNCD_STRAVA_CLIENT_SECRET": sim.client_secret,
        "SYNCD_STRAVA_API_URL": sim.api_url,
        "SYNCD_STRAVA_OAUTH_URL": sim.oauth_url,
        "SYNCD_STRAVA_WRITE_BACK": "all",
        "SYNCD_STRAVA_WEBHOOK_VERIFY_TOKEN": VERIFY_TOKEN,
        **extra,
    }


def wait_for(check: Callable[[], bool], timeout: float, what: str) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")


class DaemonProcess:
    """A `syncd run` child: its stderr is drained on a thread (JSON log lines kept), its port known in advance."""

    def __init__(self, syncd: Path, env: Mapping[str, str], *args: str, port: int | None = None) -> None:
        self.port = port or free_port()
        self.env = {**env, "SYNCD_WEB_PORT": str(self.port), "SYNCD_WEB_HOST": "127.0.0.1"}
        self.proc = subprocess.Popen(
            [str(syncd), "--log-format", "json", "run", "--tick", "1", *args],
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _drain(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line.rstrip("\n"))

    def events(self, name: str) -> list[dict[str, Any]]:
        found = []
        for line in list(self.lines):
            if line.startswith("{"):
                try:
                    record = json.loads(line)
                except ValueError:
                    continue
                if record.get("event") == name:
                    found.append(record)
        return found

    def healthz(self) -> dict[str, Any] | None:
        try:
            answer = requests.get(f"{self.url}/healthz", timeout=2)
        except requests.RequestException:
            return None
        data: dict[str, Any] = answer.json()
        return data

    def wait_healthy(self, timeout: float = 60) -> None:
        def up() -> bool:
            if self.proc.poll() is not None:
                raise AssertionError(f"syncd run exited {self.proc.returncode}: {self.output()}")
            health = self.healthz()
            return health is not None and health.get("status") == "ok"

        wait_for(up, timeout, "/healthz to answer ok")

    def wait_synced(self, count: int, timeout: float = 90) -> dict[str, Any]:
        """Until /healthz shows `count` accounts with a successful sync (by this process)."""
        result: dict[str, Any] = {}

        def synced() -> bool:
            health = self.healthz() or {}
            result.update(health)
            done = [a for a in health.get("accounts", []) if a.get("last_success_age_s") is not None]
            return len(done) >= count

        wait_for(synced, timeout, f"{count} account(s) synced")
        return result

    def terminate(self, timeout: float = 60) -> int:
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout)
        self._close()
        return code

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(10)
        self._close()

    def _close(self) -> None:
        """The log reader has seen the last line; the pipes are closed (no ResourceWarning per worker)."""
        self._reader.join(5)
        for pipe in (self.proc.stdout, self.proc.stderr):
            if pipe is not None and not self._reader.is_alive():
                pipe.close()

    def output(self) -> str:
        return "\n".join(self.lines[-40:])
