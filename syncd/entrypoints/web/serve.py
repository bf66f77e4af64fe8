"""Serve an ASGI app with uvicorn on a background thread: for `syncd run`, `syncd demo`, tests and benchmarks.

The socket is bound here, before uvicorn starts, so a port that cannot be had is a PortUnavailableError with the
operating system's reason, and any other start-up failure (a missing file, a bad app) is never blamed on the port.
Binding port 0 lets the OS pick a free port; the real port is read back from the bound socket, so parallel test
runs never collide.

A reverse proxy's X-Forwarded-Proto/-For headers are believed only from the addresses listed in uvicorn's own
setting, `FORWARDED_ALLOW_IPS` (environment) or `forwarded_allow_ips`: by default from nobody, so a client cannot
claim HTTPS (which would, for instance, decide whether the session cookie is Secure) by sending a header.

The listening socket is made with its protocol named (IPPROTO_TCP) and TCP_NODELAY set. `socket.create_server`
leaves the protocol 0, and asyncio turns Nagle's algorithm off only on accepted sockets whose protocol is
IPPROTO_TCP: without it uvicorn's two writes (headers, then body) meet the client's delayed ACK and every response
after the first on a kept-alive connection waits ~40 ms.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn


class PortUnavailableError(OSError):
    """The web address cannot be bound (port in use, a privileged port, or a host that is not this machine)."""


def bind_socket(host: str, port: int) -> socket.socket:
    try:
        family, _, _, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        return _listen(family, address)
    except OSError as exc:
        raise PortUnavailableError(f"cannot listen on {host}:{port} ({exc.strerror or exc})") from None


def _listen(family: socket.AddressFamily, address: Any) -> socket.socket:
    """What `socket.create_server` does, but with the protocol named so accepted connections get TCP_NODELAY."""
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        if os.name != "nt":  # as create_server: on Windows SO_REUSEADDR would let another process share the port
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind(address)
        sock.listen()
    except OSError:
        sock.close()
        raise
    return sock


@contextmanager
def serve_in_thread(
    app: Any, host: str = "127.0.0.1", port: int = 0, *, forwarded_allow_ips: str | None = None
) -> Iterator[str]:
    """Run `app` until the block ends; yields its base URL ("http://127.0.0.1:PORT")."""
    trusted = forwarded_allow_ips if forwarded_allow_ips is not None else os.environ.get("FORWARDED_ALLOW_IPS", "")
    # log_config=None: uvicorn must not install its own plain-text handlers; its loggers propagate to the root
    # logger, which `syncd.logging.configure_logging` renders as JSON (tracebacks included) like everything else.
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        lifespan="off",
        access_log=False,
        log_config=None,
        proxy_headers=bool(trusted.strip()),
        forwarded_allow_ips=trusted.strip() or None,
    )
    sock = bind_socket(host, port)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="syncd-web", daemon=True)
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError(f"the web server on {host}:{port} stopped while starting; rerun with --debug")
            thread.join(0.02)
        bound_port = sock.getsockname()[1]
        shown = f"[{host}]" if ":" in host else host
        yield f"http://{shown}:{bound_port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
