"""Send one email over SMTP: STARTTLS, implicit TLS or plain; optional AUTH; bounded by a timeout.

Every failure becomes one `MailError` line naming the host and what went wrong (refused, timed out, TLS, login
rejected, recipient refused) and never the password. `permanent` tells the caller whether a retry can help: a
refused recipient or a rejected login will not fix itself, but the service still retries those slowly, because
the user may fix the config without restarting.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from dataclasses import dataclass
from email.message import EmailMessage

DEFAULT_TIMEOUT_S = 30.0


class MailError(Exception):
    """One line naming the SMTP host and the problem; `permanent` when retrying unchanged cannot succeed."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class SmtpMailer:
    """Settings for one SMTP server. `ssl_context` defaults to the system trust store (SSL_CERT_FILE honoured)."""

    host: str
    port: int = 587
    security: str = "starttls"  # starttls | tls | none
    username: str | None = None
    password: str | None = None
    timeout_s: float = DEFAULT_TIMEOUT_S
    ssl_context: ssl.SSLContext | None = None

    def __repr__(self) -> str:
        return f"SmtpMailer(host={self.host!r}, port={self.port}, security={self.security!r})"

    @property
    def where(self) -> str:
        return f"SMTP server {self.host}:{self.port}"

    def _timed_out(self) -> str:
        return f"{self.where} timed out after {self.timeout_s:g} s; check host, port, [email] security and firewall"

    def _context(self) -> ssl.SSLContext:
        return self.ssl_context or ssl.create_default_context()

    def _connect(self) -> smtplib.SMTP:
        if self.security == "tls":
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout_s, context=self._context())
        client = smtplib.SMTP(self.host, self.port, timeout=self.timeout_s)
        try:
            if self.security == "starttls":
                client.ehlo()
                if not client.has_extn("starttls"):
                    raise MailError(
                        f'{self.where} does not offer STARTTLS; set [email] security = "tls" (port 465) or fix '
                        "the server",
                        permanent=True,
                    )
                client.starttls(context=self._context())
                client.ehlo()
        except BaseException:
            client.close()
            raise
        return client

    def send(self, message: EmailMessage) -> None:
        """Deliver `message` to its To/Cc recipients; raises MailError (one line) on any failure."""
        if self.security not in ("starttls", "tls", "none"):
            raise MailError(f"[email] security {self.security!r} is unknown; use starttls, tls or none", permanent=True)
        try:
            refused = self._deliver(message)
        except MailError:
            raise
        except (smtplib.SMTPException, OSError) as exc:
            raise self._smtp_error(exc) or self._network_error(exc) from None
        if refused:
            who = ", ".join(sorted(refused))
            raise MailError(f"{self.where} refused the recipient(s) {who}; fix the address", permanent=True)

    def _deliver(self, message: EmailMessage) -> dict[str, tuple[int, bytes]]:
        client = self._connect()
        try:
            if self.username:
                client.login(self.username, self.password or "")
            return client.send_message(message)
        finally:
            try:
                client.quit()
            except (smtplib.SMTPException, OSError):
                client.close()

    def _smtp_error(self, exc: BaseException) -> MailError | None:
        """What the SMTP server said, as one line naming the fix; None when it is not an SMTP answer."""
        if isinstance(exc, smtplib.SMTPAuthenticationError):
            return MailError(
                f"{self.where} rejected the login for {self.username!r} ({exc.smtp_code}); fix [email] username "
                "or password",
                permanent=True,
            )
        if isinstance(exc, smtplib.SMTPNotSupportedError):
            return MailError(
                f'{self.where} does not support AUTH here; use security = "starttls" or "tls", or remove '
                "[email] username",
                permanent=True,
            )
        if isinstance(exc, smtplib.SMTPRecipientsRefused):
            who = ", ".join(sorted(exc.recipients))
            return MailError(f"{self.where} refused the recipient(s) {who}; fix the address", permanent=True)
        if isinstance(exc, smtplib.SMTPSenderRefused):
            return MailError(
                f"{self.where} refused the sender {exc.sender!r} ({exc.smtp_code}); fix [email] sender", permanent=True
            )
        if isinstance(exc, smtplib.SMTPResponseException):
            text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else exc.smtp_error
            return MailError(f"{self.where} answered {exc.smtp_code} {' '.join(str(text).split())[:200]}")
        if isinstance(exc, smtplib.SMTPServerDisconnected):
            if "timed out" in str(exc):  # smtplib turns a read timeout into a disconnect
                return MailError(self._timed_out())
            return MailError(f"{self.where} closed the connection; check the port and [email] security")
        return None

    def _network_error(self, exc: BaseException) -> MailError:
        """A TLS, DNS or socket failure as one line naming the fix."""
        if isinstance(exc, ssl.SSLCertVerificationError):
            return MailError(
                f"{self.where}: TLS certificate not trusted ({exc.verify_message}); fix the server certificate or "
                "trust its CA (SSL_CERT_FILE)"
            )
        if isinstance(exc, ssl.SSLError):
            return MailError(
                f"{self.where}: TLS failed ({exc.reason}); check [email] security (starttls on 587, tls on 465)"
            )
        if isinstance(exc, TimeoutError):
            return MailError(self._timed_out())
        if isinstance(exc, ConnectionRefusedError):
            return MailError(f"{self.where} refused the connection; check [email] host and port")
        if isinstance(exc, socket.gaierror):
            return MailError(f"{self.where}: host name not found; fix [email] host")
        return MailError(f"{self.where}: {type(exc).__name__}: {' '.join(str(exc).split())[:200]}")
