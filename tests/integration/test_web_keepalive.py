"""Responses on a kept-alive connection are not held back by Nagle's algorithm meeting the client's delayed ACK.

uvicorn writes the headers and the body of a response in two writes; with Nagle on, the body waits for the ACK of
the headers, which the client delays by ~40 ms. Browsers and feed readers keep connections open, so every page
after the first would take 40 ms more (issue 32). The app below answers in two ASGI messages like Starlette does.
"""

from __future__ import annotations

import http.client
import socket
import statistics
import time
from typing import Any

from syncd.entrypoints.web.serve import bind_socket, serve_in_thread


async def _two_part_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    assert scope["type"] == "http"
    body = b'{"ok": true}'
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _timed_requests(base: str, count: int) -> list[float]:
    host, port = base.removeprefix("http://").rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    times = []
    try:
        for _ in range(count):
            started = time.perf_counter()
            conn.request("GET", "/healthz")
            response = conn.getresponse()
            assert response.status == 200 and response.read() == b'{"ok": true}'
            assert not response.will_close
            times.append(time.perf_counter() - started)
    finally:
        conn.close()
    return times


def test_requests_after_the_first_on_one_connection_are_fast() -> None:
    with serve_in_thread(_two_part_app) as base:
        times = _timed_requests(base, 6)
    later = times[1:]
    # With Nagle on, each of these takes ~40 ms (the delayed ACK); with TCP_NODELAY well under 1 ms. The median
    # of the five keeps one request slowed by a busy machine from failing the test.
    assert statistics.median(later) < 0.020, [round(t * 1000, 1) for t in times]


def test_listening_socket_names_tcp_and_disables_nagle() -> None:
    sock = bind_socket("127.0.0.1", 0)
    try:
        assert sock.proto == socket.IPPROTO_TCP  # asyncio sets TCP_NODELAY on accepted sockets only then
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    finally:
        sock.close()
