from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog

from syncd.logging import (
    QUIETED_LOGGERS,
    REDACTED,
    configure_logging,
    get_logger,
    redact_text,
    register_secret,
)


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """configure_logging changes process-wide state; put it back so later tests (caplog at DEBUG) see it as it was."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    levels = {name: logging.getLogger(name).level for name in QUIETED_LOGGERS}
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, previous in levels.items():
        logging.getLogger(name).setLevel(previous)
    logging.captureWarnings(False)
    structlog.reset_defaults()


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_json_when_not_a_tty_and_secret_keys_redacted() -> None:
    stream = io.StringIO()
    configure_logging("auto", stream=stream)
    get_logger("t").info("token refreshed", access_token="abc123secretvalue", athlete=42)
    (record,) = lines(stream)
    assert record["event"] == "token refreshed"
    assert record["access_token"] == REDACTED
    assert record["athlete"] == 42


def test_stdlib_loggers_go_through_the_same_redaction() -> None:
    stream = io.StringIO()
    configure_logging("json", stream=stream)
    register_secret("s3cr3t-client-value")
    logging.getLogger("urllib3.connectionpool").warning(
        "POST /oauth/token?client_secret=s3cr3t-client-value&refresh_token=rrrrrrrr HTTP/1.1"
    )
    (record,) = lines(stream)
    text = json.dumps(record)
    assert "s3cr3t-client-value" not in text
    assert "rrrrrrrr" not in text
    assert record["logger"] == "urllib3.connectionpool"


def test_tracebacks_have_no_local_variables() -> None:
    stream = io.StringIO()
    configure_logging("json", stream=stream)
    password = "hunter2-very-secret"
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        get_logger("t").exception("failed")
    assert password  # used, so it is a real local of this frame
    out = stream.getvalue()
    assert "hunter2-very-secret" not in out
    assert "RuntimeError" in out


def test_patterns_redact_bearer_urls_and_json_tokens() -> None:
    assert "abcdefgh12345" not in redact_text("Authorization: Bearer abcdefgh12345")
    assert "pw" not in redact_text("postgresql://user:pw@host/db").split("@")[0].split(":")[-1]
    assert "tok-123456" not in redact_text('{"refresh_token": "tok-123456"}')


def test_console_format_on_request() -> None:
    stream = io.StringIO()
    configure_logging("console", stream=stream)
    get_logger("t").warning("hello", password="pw-value-123")
    out = stream.getvalue()
    assert "hello" in out and "pw-value-123" not in out
    structlog.reset_defaults()


def test_structlog_is_loaded_at_the_first_log_line_and_configured_then() -> None:
    """A short command that logs nothing must not import structlog (issue 32); the first line still gets the JSON
    format and the redaction configure_logging chose, from structlog loggers and standard-library ones alike."""
    probe = (
        "import io, json, logging, sys\n"
        "from syncd.logging import configure_logging, get_logger\n"
        "log = get_logger('early')\n"
        "out = io.StringIO()\n"
        "configure_logging('json', stream=out)\n"
        "print('before:', 'structlog' in sys.modules)\n"
        "log.warning('first', access_token='abc123secretvalue')\n"
        "logging.getLogger('lib').warning('second client_secret=zzzzzzzzzz')\n"
        "print(out.getvalue(), end='')\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True)
    before, *records = result.stdout.splitlines()
    assert before == "before: False"
    first, second = (json.loads(line) for line in records)
    assert first["event"] == "first" and first["access_token"] == REDACTED and first["logger"] == "early"
    assert second["logger"] == "lib" and "zzzzzzzzzz" not in second["event"]
