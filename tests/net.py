"""Ports for child processes that bind a listener themselves (`syncd run`, `syncd serve`, the SMTP test server)."""

from __future__ import annotations

import random
import socket
from pathlib import Path

_EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
_LOWEST = 10_000
_handed_out: set[int] = set()


def _ephemeral_low() -> int:
    try:
        return int(_EPHEMERAL_RANGE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32_768  # Linux's default


def free_port() -> int:
    """A free port below the kernel's ephemeral range.

    A port the kernel hands out for `bind(0)` is ephemeral: once released, any outgoing connection (PostgreSQL,
    the simulators, a worker's HTTP client) may take it as its source port before the child binds it, and the
    child then fails with "Address already in use" (seen in CI with three workers and 200 athletes). Ports below
    the range are never given to outgoing connections."""
    top = _ephemeral_low() - 1
    if top <= _LOWEST:
        raise RuntimeError(f"ephemeral ports start at {top + 1}: no room below it for test listeners")
    for _ in range(500):
        port = random.randint(_LOWEST, top)
        if port in _handed_out:
            continue
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    raise RuntimeError(f"no free port between {_LOWEST} and {top}")
