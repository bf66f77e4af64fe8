"""structlog set-up: JSON for journald/files, console on a TTY; one redaction pass over everything logged.

Standard-library loggers (SQLAlchemy, APScheduler, urllib3, stravalib) go through the same processors, so a token
that a library logs is redacted too. Tracebacks never include local variables (they may hold tokens).

structlog itself (with asyncio, and twisted when installed) is imported at the first log line, not at start-up: a
short command such as `syncd status` usually logs nothing (issue 32). Loggers come from `get_logger` here.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import MutableMapping
from typing import TYPE_CHECKING, Any, Literal, cast

if TYPE_CHECKING:
    import structlog
    from structlog.typing import EventDict, Processor, WrappedLogger

LogFormat = Literal["auto", "json", "console"]
REDACTED = "[redacted]"
_SECRET_KEY_PARTS = (
    "token",
    "secret",
    "password",
    "passwd",
    "authorization",
    "cookie",
    "api_key",
    "apikey",
    "encryption_key",
    "private_key",
)
_PATTERNS = (
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{8,}"),
    re.compile(r"(?i)((?:access_token|refresh_token|client_secret|password|code)=)[^&\s'\"]+"),
    re.compile(r"(?i)(\"(?:access_token|refresh_token|client_secret|password)\"\s*:\s*\")[^\"]+"),
    re.compile(r"(://[^/\s:@]+:)[^@\s/]+(@)"),
)
_known_secrets: set[str] = set()
# Libraries that are chatty at INFO; they log at WARNING and above unless --debug.
QUIETED_LOGGERS = ("sqlalchemy.engine", "alembic", "urllib3", "apscheduler", "stravalib", "asyncio")


def register_secret(value: str | None) -> None:
    """Remember a secret value so it is scrubbed wherever it appears in a log line (min. 6 chars to avoid noise)."""
    if value and len(value) >= 6:
        _known_secrets.add(value)


def redact_text(text: str) -> str:
    for secret in _known_secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + REDACTED + (m.group(2) if m.lastindex == 2 else ""), text)
    return text


def _is_secret_key(key: str) -> bool:
    lowered = key.lower()
    return any(part in lowered for part in _SECRET_KEY_PARTS)


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, MutableMapping):
        return {k: REDACTED if _is_secret_key(str(k)) and v else _redact_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_redact_value(v) for v in value]
    return value


def redact_processor(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    for key in list(event_dict):
        value = event_dict[key]
        if _is_secret_key(key) and value and key != "event":
            event_dict[key] = REDACTED
        else:
            event_dict[key] = _redact_value(value)
    return event_dict


def configure_logging(fmt: LogFormat = "auto", *, level: int = logging.INFO, stream: Any = None) -> None:
    stream = stream or sys.stderr
    use_json = fmt == "json" or (fmt == "auto" and not _isatty(stream))
    handler = logging.StreamHandler(stream)
    handler.setFormatter(_LazyFormatter(use_json, use_colour(stream)))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in QUIETED_LOGGERS:
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
    logging.captureWarnings(True)
    _due.add("structlog")
    if "structlog" in sys.modules:  # already paid for: configure now, as before
        _configure_structlog()


_due: set[str] = set()  # {"structlog"}: configure_logging ran and structlog is not configured for it yet


def _shared() -> list[Processor]:
    import structlog

    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]


def _configure_structlog() -> None:
    """structlog's loggers go to the standard-library handler configure_logging installed (once per call of it)."""
    if "structlog" not in _due:
        return
    _due.discard("structlog")
    import structlog

    structlog.configure(
        processors=[*_shared(), structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )


def _formatter(use_json: bool, colours: bool) -> logging.Formatter:
    import structlog
    from structlog.tracebacks import ExceptionDictTransformer

    exception_renderer = (
        structlog.processors.ExceptionRenderer(ExceptionDictTransformer(show_locals=False, use_rich=False))
        if use_json
        else structlog.processors.ExceptionRenderer()
    )
    renderer: Processor = (
        structlog.processors.JSONRenderer()
        if use_json
        else structlog.dev.ConsoleRenderer(colors=colours, exception_formatter=structlog.dev.plain_traceback)
    )
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_shared(),
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            exception_renderer,
            redact_processor,
            renderer,
        ],
    )


class _LazyFormatter(logging.Formatter):
    """structlog's ProcessorFormatter (JSON or console, redacted), built at the first record that is written."""

    def __init__(self, use_json: bool, colours: bool) -> None:
        super().__init__()
        self._args = (use_json, colours)
        self._real: logging.Formatter | None = None

    def format(self, record: logging.LogRecord) -> str:
        if self._real is None:
            self._real = _formatter(*self._args)
        return self._real.format(record)


class _LazyLogger:
    """Stands in for structlog's logger until it is first used, then configures structlog if that is still due."""

    def __init__(self, name: str | None, initial: dict[str, Any]) -> None:
        self._name = name
        self._initial = initial

    def __getattr__(self, attribute: str) -> Any:
        import structlog

        _configure_structlog()
        return getattr(structlog.stdlib.get_logger(self._name, **self._initial), attribute)


def get_logger(name: str | None = None, **initial: Any) -> structlog.stdlib.BoundLogger:
    """A lazy logger: safe at module level, it picks up `configure_logging` whenever that runs."""
    return cast("structlog.stdlib.BoundLogger", _LazyLogger(name, initial))


def use_colour(stream: Any, env: dict[str, str] | None = None) -> bool:
    """Colour only on a terminal, and never with NO_COLOR set (https://no-color.org) or TERM=dumb."""
    env = dict(os.environ) if env is None else env
    if env.get("NO_COLOR") or env.get("TERM") == "dumb":
        return False
    return _isatty(stream)


def _isatty(stream: Any) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


__all__ = ["configure_logging", "get_logger", "redact_text", "register_secret"]
