"""Every test leaves the logging set-up as it found it.

A test that runs the CLI in process (`syncd.entrypoints.cli.main`) calls `configure_logging`, which replaces the
root handler with one on that test's captured stderr and raises the root level to WARNING. Left in place, every
later test in the run logs into a closed stream ("--- Logging error ---") and loses its INFO records, so tests that
read the log (a bad pain tag is logged, no token reaches the log) failed only when run after it."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
import structlog


@pytest.fixture(autouse=True)
def _logging_restored() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    loggers = {
        name: logger.level
        for name, logger in logging.root.manager.loggerDict.items()
        if isinstance(logger, logging.Logger)
    }
    config = structlog.get_config()
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, logger in list(logging.root.manager.loggerDict.items()):
        if isinstance(logger, logging.Logger):
            logger.setLevel(loggers.get(name, logging.NOTSET))
    structlog.configure(**config)
