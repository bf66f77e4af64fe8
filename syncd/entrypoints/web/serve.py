"""Serve an ASGI app with uvicorn on a background thread: for tests, benchmarks and `syncd demo`.

Binding port 0 lets the OS pick a free port; the real port is read back from the bound socket, so parallel test
runs never collide.

A reverse proxy's X-Forwarded-Proto/-For headers are believed only from the addresses listed in uvicorn's own
setting, `FORWARDED_ALLOW_IPS` (environment) or `forwarded_allow_ips`: by default from nobody, so a client cannot
claim HTTPS (which would, for instance, decide whether the session cookie is Secure) by sending a header.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn


@contextmanager
def serve_in_thread(
    app: Any, host: str = "127.0.0.1", port: int = 0, *, forwarded_allow_ips: str | None = None
) -> Iterator[str]:
    """Run `app` until the block ends; yields its base URL ("http://127.0.0.1:PORT")."""
    trusted = forwarded_allow_ips if forwarded_allow_ips is not None else os.environ.get("FORWARDED_ALLOW_IPS", "")
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        lifespan="off",
        access_log=False,
        proxy_headers=bool(trusted.strip()),
        forwarded_allow_ips=trusted.strip() or None,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="syncd-web", daemon=True)
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError(f"web server did not start on {host}:{port}: is the port in use?")
            thread.join(0.02)
        sockets = [sock for srv in server.servers for sock in srv.sockets]
        bound_port = sockets[0].getsockname()[1]
        yield f"http://{host}:{bound_port}"
    finally:
        server.should_exit = True
        thread.join(10)
