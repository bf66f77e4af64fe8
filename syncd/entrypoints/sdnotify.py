"""systemd's notify protocol (sd_notify(3)) with the standard library: one datagram per message to $NOTIFY_SOCKET.

`Type=notify` units wait for READY=1 before they count as started; with `WatchdogSec=` systemd kills and restarts
a service whose WATCHDOG=1 pings stop. The daemon sends those pings from a scheduler job, so a stuck scheduler (not
merely a live process) trips the watchdog. Outside systemd ($NOTIFY_SOCKET unset) every call is a cheap no-op, and
a socket error is never fatal: losing a status line must not take the daemon down.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping


class Notifier:
    """Sends notify messages to the socket systemd named; `enabled` is False when there is none."""

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        env = os.environ if env is None else env
        address = env.get("NOTIFY_SOCKET", "")
        self._address: str | None = None
        if address.startswith("@"):  # abstract namespace socket
            self._address = "\0" + address[1:]
        elif address.startswith("/"):
            self._address = address
        self._watchdog_usec = _positive_int(env.get("WATCHDOG_USEC"))
        pid = _positive_int(env.get("WATCHDOG_PID"))
        if pid is not None and pid != os.getpid():  # the watchdog is meant for another process
            self._watchdog_usec = None

    @property
    def enabled(self) -> bool:
        return self._address is not None

    @property
    def watchdog_interval_s(self) -> float | None:
        """Half the WatchdogSec systemd set (the recommended ping rate), or None when the watchdog is off."""
        return None if self._watchdog_usec is None else self._watchdog_usec / 2_000_000

    def notify(self, **fields: str | int) -> bool:
        """Send KEY=value lines, e.g. notify(READY=1, STATUS="serving"); True when the datagram went out."""
        if self._address is None or not fields:
            return False
        message = "\n".join(f"{key}={_one_line(str(value))}" for key, value in fields.items())
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
                sock.connect(self._address)
                sock.sendall(message.encode("utf-8"))
        except OSError:
            return False
        return True

    def ready(self, status: str) -> bool:
        return self.notify(READY=1, STATUS=status)

    def watchdog(self) -> bool:
        return self.notify(WATCHDOG=1)

    def status(self, text: str) -> bool:
        return self.notify(STATUS=text)

    def stopping(self, status: str = "stopping") -> bool:
        return self.notify(STOPPING=1, STATUS=status)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _positive_int(value: str | None) -> int | None:
    try:
        number = int(value or "")
    except ValueError:
        return None
    return number if number > 0 else None
