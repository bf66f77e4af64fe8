"""A real SMTP server for the digest tests: aiosmtpd on a free loopback port, optional STARTTLS/implicit TLS + AUTH.

Shared by the integration and end-to-end digest tests. The TLS certificate comes from `trustme` (a throw-away CA),
so clients verify it for real against that CA instead of switching verification off.
"""

from __future__ import annotations

import email
import email.policy
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

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


def _authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


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
def smtp_server(*, security: str = "none", auth: bool = False) -> Iterator[SmtpServer]:
    """Start aiosmtpd on 127.0.0.1 with `security` starttls | tls | none, requiring AUTH when `auth`."""
    sink = Sink()
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
