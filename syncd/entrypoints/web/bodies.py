"""Request bodies with a hard cap, counted while they stream (issue 31).

A chunked 300 MB `POST /pain` with a valid key once grew the daemon from 157 to 772 MB, because the handler read
the whole body before cutting it to 8 KiB. Two layers now:

- `BodyLimit`, an ASGI middleware on every app: no request body may pass `MAX_BODY` (a Content-Length over it is
  refused before reading; a chunked one as soon as the count passes it), answered 413. Every route, also one
  added later, is covered without doing anything.
- `read_capped(request, limit)`, for a handler with a smaller limit of its own (the pain form: 8 KiB).

`same_origin` is the other check every posted form makes before reading its body.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from starlette.requests import ClientDisconnect, Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY = 64 * 1024  # the largest body any route takes (the webhook's events are a few hundred bytes)


class BodyTooLargeError(Exception):
    """Raised from `receive` when the body passes the cap; turned into a 413 by BodyLimit."""


def too_large(limit: int) -> Response:
    return PlainTextResponse(f"request body larger than {limit} bytes: send less", 413)


def _declared_over(scope: Scope, limit: int) -> bool:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            return not (value.isascii() and value.isdigit()) or int(value) > limit
    return False


class BodyLimit:
    """ASGI middleware: every HTTP request body is at most `max_bytes`, or the answer is 413."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if _declared_over(scope, self.max_bytes):
            await too_large(self.max_bytes)(scope, receive, send)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLargeError
            return message

        async def watching_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        except BodyTooLargeError:
            if not started:
                await too_large(self.max_bytes)(scope, receive, send)


async def read_capped(request: Request, limit: int) -> bytes | Response:
    """The body, or the 413 refusing it: at most `limit` bytes, counted while streaming (a chunked body has no
    length), never buffered whole. A sender that gives up mid-body gets a 400 (nobody reads it)."""
    length = request.headers.get("content-length")
    if length is not None and (not (length.isascii() and length.isdigit()) or int(length) > limit):
        return too_large(limit)
    body = bytearray()
    try:
        async for chunk in request.stream():
            body += chunk
            if len(body) > limit:
                return too_large(limit)
    except BodyTooLargeError:  # the app-wide cap was passed first (a large chunk)
        return too_large(limit)
    except ClientDisconnect:
        return Response(status_code=400)
    return bytes(body)


def body_limit() -> list[Any]:
    """The middleware list every syncd Starlette app is built with."""
    from starlette.middleware import Middleware

    return [Middleware(BodyLimit)]


def same_origin(request: Request) -> bool:
    """A named other origin is refused; "null" is what Chromium sends under our no-referrer policy (the form's own
    credential, a CSRF token or a signed link, still has to match)."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return True
    return urlsplit(origin).netloc == request.headers.get("host", "")
