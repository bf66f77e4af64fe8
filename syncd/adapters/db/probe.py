"""A glance at the database for a short command, without the repositories (ORM models, numpy, the codecs).

`syncd sync --once` run by a timer or cron with nothing linked must cost little more than Python's start.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from syncd.adapters.db.engine import create_store_engine, upgrade_schema
from syncd.adapters.db.errors import StoreError

_ACCOUNTS = sa.table("accounts", sa.column("id"))


def has_accounts(url: str) -> bool | None:
    """Whether any platform account is linked (creating the database if needed, like `Store.open`); None when the
    database cannot say, so the caller takes the full path, which names the problem."""
    try:
        engine = create_store_engine(url)
    except StoreError:
        return None
    try:
        upgrade_schema(engine)
        with engine.connect() as conn:
            return conn.execute(sa.select(_ACCOUNTS.c.id).limit(1)).first() is not None
    except (StoreError, DBAPIError):
        return None
    finally:
        engine.dispose()
