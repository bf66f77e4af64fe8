"""Store errors now live in `syncd.errors` (services catch them without the database adapter); this module keeps
the old import path working."""

from sqlalchemy.exc import StatementError

from syncd.errors import NotFoundError, RowRefusedError, StoreError

__all__ = ["NotFoundError", "RowRefusedError", "StoreError", "refusal"]


def refusal(exc: BaseException) -> str:
    """What kind of refusal a statement met, without the row: the driver's class name and SQLSTATE (its message
    may quote the value, e.g. PostgreSQL's "invalid input syntax for type json ... Token ...")."""
    orig = exc.orig if isinstance(exc, StatementError) else exc
    sqlstate = getattr(orig, "sqlstate", None)
    kind = type(orig).__name__ if orig is not None else type(exc).__name__
    return f"{kind}, SQLSTATE {sqlstate}" if sqlstate else kind
