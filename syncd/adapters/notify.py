"""Send one push message to one Apprise URL (ntfy, Gotify, Telegram, Matrix, Signal, Discord, Slack, Pushover,
email, … — https://github.com/caronc/apprise/wiki).

Apprise is imported on first use only (the CLI's start-up stays light). Its own log lines go to a per-thread buffer,
never to syncd's logs: they can name a topic or a token. A failure becomes a `NotifyError` whose text has every
piece of the URL scrubbed out, so it can be logged and shown in `syncd status`.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from syncd.domain.notify import Message
from syncd.domain.notify_urls import log_secrets, scheme_of, secret_parts
from syncd.logging import register_secret

_captured = threading.local()
_setup = threading.Lock()
_ready: list[bool] = []  # set once Apprise's logger points at our buffer


class NotifyError(Exception):
    """A message not delivered; str() is one line with no secret in it."""


class _Buffer(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        lines = getattr(_captured, "lines", None)
        if lines is not None and record.levelno >= logging.WARNING:
            lines.append(record.getMessage())


def _apprise() -> Any:
    import apprise

    with _setup:
        if not _ready:
            logger = logging.getLogger("apprise")
            logger.handlers[:] = [_Buffer()]
            logger.propagate = False
            logger.setLevel(logging.WARNING)
            _ready.append(True)
    return apprise


def scrub(text: str, url: str) -> str:
    for part in secret_parts(url):
        text = text.replace(part, "…")
    return text


def known(url: str) -> bool:
    """Whether Apprise can build a notifier from the URL (scheme known, required parts present)."""
    return _apprise().Apprise.instantiate(url, suppress_exceptions=True) is not None


class AppriseSender:
    """`send(url, message)`: delivered, or NotifyError. Connect and read time-outs are `timeout_s` each."""

    def __init__(self, timeout_s: float = 10.0) -> None:
        self.timeout_s = timeout_s

    def send(self, url: str, message: Message) -> None:
        apprise = _apprise()
        scheme = scheme_of(url)
        for part in log_secrets(url):  # a library's debug line (urllib3 logs request paths) is scrubbed too
            register_secret(part)
        plugin = apprise.Apprise.instantiate(url, suppress_exceptions=True)
        if plugin is None:
            raise NotifyError(f"Apprise does not understand this {scheme}:// URL; check it against the Apprise wiki")
        plugin.socket_connect_timeout = self.timeout_s
        plugin.socket_read_timeout = self.timeout_s
        if message.link and hasattr(plugin, "click"):  # ntfy: tapping the notification opens the link
            plugin.click = message.link
        _captured.lines = []
        try:
            delivered = plugin.notify(body=message.body, title=message.title)
        except Exception as exc:  # a plugin bug must not take the sync pass down
            raise NotifyError(f"{scheme}: {type(exc).__name__}: {scrub(str(exc), url)}") from None
        finally:
            lines: list[str] = _captured.lines
            _captured.lines = None
        if not delivered:
            reason = scrub(lines[-1], url) if lines else "no reason given"
            raise NotifyError(f"{scheme}: not delivered ({reason})")
