"""A real SMTP server for the digest tests: aiosmtpd on a free loopback port, optional STARTTLS/implicit TLS + AUTH.

Shared by the integration and end-to-end digest tests. The TLS certificate comes from `trustme` (a throw-away CA),
so clients verify it for real against that CA instead of switching verification off.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.net import free_port

USER, PASSWORD = "runner-mailer", "s3cret-smtp-pass"


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.data, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class Sink:
    """aiosmtpd handler that keeps every message; `reject` makes RCPT fail for these addresses."""

    received: list[Received] = field(default_factory=list)
    reject: set[str] = field(default_factory=set)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any) -> str:
        if address in self.reject:
            return "550 5.1.1 no such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content)))
        return "250 Message accepted"


@dataclass
class HoldingSink(Sink):
    """A Sink that holds the `hold_at`-th message (1-based, counted at MAIL FROM) unanswered for the crash suite.

    `phase` "rcpt": held at RCPT, before the message is sent (never accepted). "quit": held at QUIT, after DATA
    was answered 250 (accepted and kept) while the client waits to hang up, before it can record the send. `held` is
    set when the hold begins; the test kills the client, then sets `release`.
    """

    hold_at: int | None = None
    phase: str = "rcpt"
    held: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    transactions: int = 0

    async def _hold(self, phase: str) -> None:
        if self.phase == phase and self.transactions == self.hold_at:
            self.held.set()
            for _ in range(1200):  # at most a minute: the event loop keeps serving other connections meanwhile
                if self.release.is_set():
                    return
                await asyncio.sleep(0.05)

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str, mail_options: Any) -> str:
        self.transactions += 1
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any) -> str:
        await self._hold("rcpt")
        return await super().handle_RCPT(server, session, envelope, address, rcpt_options)

    async def handle_QUIT(self, server: Any, session: Any, envelope: Any) -> str:
        await self._hold("quit")
        return "221 Bye"


def _authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False)


@dataclass
class SmtpServer:
    host: str
    port: int
    sink: Sink
    ca: trustme.CA | None

    def client_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        assert self.ca is not None
        self.ca.configure_trust(context)
        return context


@contextmanager
def smtp_server(*, security: str = "none", auth: bool = False, sink: Sink | None = None) -> Iterator[SmtpServer]:
    """Start aiosmtpd on 127.0.0.1 with `security` starttls | tls | none, requiring AUTH when `auth`."""
    sink = sink if sink is not None else Sink()
    ca = trustme.CA() if security != "none" else None
    kwargs: dict[str, Any] = {}
    if ca is not None:
        server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1", "localhost").configure_cert(server_context)
        if security == "starttls":
            kwargs.update(tls_context=server_context, require_starttls=True)
        else:
            kwargs.update(ssl_context=server_context)
    if auth:
        # aiosmtpd only knows about TLS it negotiated itself (STARTTLS); on implicit TLS it would hide AUTH.
        kwargs.update(authenticator=_authenticator, auth_required=True, auth_require_tls=security == "starttls")
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", port, sink, ca)
    finally:
        controller.stop()


@contextmanager
def silent_server() -> Iterator[int]:
    """A port that accepts TCP connections and never says a word (an SMTP server that hangs)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield int(listener.getsockname()[1])
