"""Store errors now live in `syncd.errors` (services catch them without the database adapter); this module keeps
the old import path working."""

from syncd.errors import NotFoundError, StoreError

__all__ = ["NotFoundError", "StoreError"]
