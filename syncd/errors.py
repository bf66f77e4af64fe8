"""Errors that cross the ports: raised by adapters, caught by services, so both sides name them without depending on
each other (each message is one line naming what failed and how to fix it, shown verbatim to the user)."""

from __future__ import annotations


class PayloadError(ValueError):
    """A platform payload without a field we need, or with a value of the wrong type."""


class StoreError(Exception):
    """The database cannot be opened or used as asked."""


class NotFoundError(StoreError, LookupError):
    """A row the caller named by id does not exist (deleted, or an id from another database)."""


class RowRefusedError(StoreError):
    """The database refused one row (a value it cannot keep). The message names the kind of refusal (`kind`: the
    driver's error class and SQLSTATE), never the row's contents (names, descriptions and notes may be health data)."""

    def __init__(self, message: str, kind: str = "") -> None:
        super().__init__(message)
        self.kind = kind
