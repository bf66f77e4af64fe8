"""The HTTP plumbing the simulated platforms share: a threaded server on loopback, started and stopped cleanly."""

from __future__ import annotations

import re
import socket
import sys
import threading
from contextlib import AbstractContextManager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol, Self
from urllib.parse import parse_qs, urlsplit


class QuietServer(ThreadingHTTPServer):
    """Clients that time out or hang up (fault tests) are expected: no tracebacks on stderr for those."""

    block_on_close = False  # keep-alive handler threads must not hold up stop()
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


class RequestLine(Protocol):
    @property
    def method(self) -> str: ...

    @property
    def path(self) -> str: ...


class RequestCounting[R: RequestLine]:
    """The request log a simulator keeps, so tests can pin how many calls a sync made (its rate budget)."""

    requests: list[R]
    _lock: AbstractContextManager[Any]

    def count(self, method: str | None = None, path: str | None = None) -> int:
        """Requests logged so far, optionally only those with `method` and a path matching regex `path`."""
        with self._lock:
            return sum(
                1
                for r in self.requests
                if (method is None or r.method == method.upper()) and (path is None or re.search(path, r.path))
            )

    def reset_log(self) -> None:
        with self._lock:
            self.requests.clear()


class LoopbackServer:
    """Serves `handler` on host:port (port 0: any free one) in a background thread; a context manager."""

    def __init__(self, host: str, port: int, handler: type[BaseHTTPRequestHandler], *, name: str) -> None:
        self._server = QuietServer((host, port), handler)
        self._thread: threading.Thread | None = None
        self._name = name

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> Self:
        if self._thread is None:
            self._thread = threading.Thread(target=self._server.serve_forever, name=self._name, daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=10)
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def platform_normalise(text: Any) -> str:
    """What Strava and Garmin both do to a description they store: CRLF -> LF, trailing spaces and outer whitespace
    trimmed (the invariants compare what the athlete typed after this, as the platform shows it)."""
    lines = [line.rstrip() for line in str(text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return "\n".join(lines).strip()


class SimHandler(BaseHTTPRequestHandler):
    """Request plumbing of a simulated platform; subclasses implement `_serve(method)`."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as separate writes: no 40 ms delayed-ACK stalls

    def log_message(self, format: str, *args: Any) -> None:
        return  # the simulator keeps its own request log

    def read_request(self) -> tuple[str, dict[str, str], dict[str, str], bytes]:
        """Path, query (last value of each key), lower-cased headers and body."""
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        return parts.path, query, {k.lower(): v for k, v in self.headers.items()}, body

    def reset(self) -> None:
        """Drop the connection with a TCP reset (an injected "connection reset by peer")."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        self.close_connection = True
        self.connection.close()

    def send(
        self, code: int, headers: dict[str, str], data: bytes, content_type: str, *, truncate: bool = False
    ) -> None:
        """Answer `code` with `data`; `truncate`: announce the full length, send half, then drop the line (with no
        body to cut, the answer is simply lost: the line drops before the status line)."""
        if truncate and not data:
            self.reset()
            return
        self.send_response(code)
        for key, value in headers.items():
            self.send_header(key, value)
        if code != 204:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if truncate:
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.reset()
            return
        self.wfile.write(data)

    def _serve(self, method: str) -> None:
        raise NotImplementedError

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PUT(self) -> None:
        self._serve("PUT")
