"""Ports for child processes that bind a listener themselves (`syncd run`, `syncd serve`, the SMTP test server)."""

from __future__ import annotations

import random
import select
import socket
import time
from pathlib import Path
from urllib.parse import urlsplit

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


def chunked_post(base: str, path: str, headers: str = "") -> tuple[bytes, int]:
    """Stream chunks of 16 KiB (up to 64 MiB) until the server answers; (status line, bytes sent).

    The body caps must answer while the body streams, not after it: a test asserts on how little was sent."""
    parts = urlsplit(base)
    chunk = b"x" * 16_384
    sent = 0
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nTransfer-Encoding: chunked\r\n{headers}\r\n".encode()
        )
        deadline = time.monotonic() + 20
        while sent < 64 * 2**20 and time.monotonic() < deadline:
            try:
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            except OSError:  # answered and closed: the point
                break
            sent += len(chunk)
            if select.select([sock], [], [], 0)[0]:
                break
        sock.settimeout(5)
        try:
            answer = sock.recv(200)
        except OSError:
            answer = b""
    return answer.split(b"\r\n", 1)[0], sent
