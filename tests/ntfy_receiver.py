"""A tiny ntfy-compatible server on loopback (https://docs.ntfy.sh/publish/): POST a JSON message
(`{"topic", "title", "message", ...}`) to `/`, or a plain body to `/<topic>` with `Title`/`X-Title` headers; basic
auth or a bearer token when configured. It records what it accepted and can be told to fail, so tests check what
Apprise really sent over HTTP."""

from __future__ import annotations

import base64
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self

from tests.net import free_port


@dataclass
class Received:
    topic: str
    title: str
    message: str
    click: str | None
    at: float = field(default_factory=time.monotonic)


class NtfyReceiver:
    def __init__(self, *, user: str | None = None, password: str | None = None) -> None:
        self.messages: list[Received] = []
        self.requests = 0
        self.fail_with: int | None = None  # answer every POST with this status while set
        self._auth = None if user is None else "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        self._arrived = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: object) -> None:
                pass

            def do_POST(self) -> None:
                receiver.handle(self)

        self._server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def url(self, topic: str = "back-care", *, scheme: str = "ntfy") -> str:
        auth = ""
        if self._auth is not None:
            user, _, password = base64.b64decode(self._auth.split()[1]).decode().partition(":")
            auth = f"{user}:{password}@"
        return f"{scheme}://{auth}127.0.0.1:{self.port}/{topic}"

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length)
        self.requests += 1
        if self._auth is not None and request.headers.get("Authorization") != self._auth:
            return self._answer(request, 401, {"code": 40101, "error": "unauthorized"})
        if self.fail_with is not None:
            return self._answer(request, self.fail_with, {"code": self.fail_with * 100, "error": "server trouble"})
        path = request.path.strip("/")
        if path:
            title = request.headers.get("X-Title") or request.headers.get("Title") or ""
            item = Received(path, title, body.decode("utf-8"), request.headers.get("X-Click"))
        else:
            data: dict[str, Any] = json.loads(body)
            if not data.get("topic"):
                return self._answer(request, 400, {"code": 40001, "error": "topic missing"})
            click = data.get("click") or request.headers.get("X-Click")
            item = Received(data["topic"], data.get("title", ""), data.get("message", ""), click)
        with self._arrived:
            self.messages.append(item)
            self._arrived.notify_all()
        return self._answer(request, 200, {"id": f"m{len(self.messages)}", "event": "message", "topic": item.topic})

    @staticmethod
    def _answer(request: BaseHTTPRequestHandler, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        request.send_response(status)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        request.wfile.write(data)

    def wait_for(self, count: int, timeout: float, *, title: str = "") -> list[Received]:
        """The first `count` messages whose title starts with `title`, waiting up to `timeout` seconds."""
        end = time.monotonic() + timeout
        with self._arrived:
            while len(found := [m for m in self.messages if m.title.startswith(title)]) < count:
                left = end - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{len(found)} message(s) titled {title!r}… arrived, wanted {count}")
                self._arrived.wait(left)
            return found[:count]

    def titled(self, title: str) -> list[Received]:
        return [m for m in self.messages if m.title.startswith(title)]

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *_exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self._server.shutdown()
        self._server.server_close()
