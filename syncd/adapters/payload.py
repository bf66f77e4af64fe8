"""Reading platform JSON defensively: a missing or mistyped field is one PayloadError naming the field."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from syncd.errors import PayloadError
from syncd.storable import storable_json

__all__ = ["PayloadError", "number", "summary_changed"]


def number(payload: Mapping[str, Any], key: str) -> float | None:
    """A finite number, or None when absent, null or not finite; a non-number is a PayloadError."""
    value = payload.get(key)
    if value is None or isinstance(value, bool):
        return None
    if not isinstance(value, (int, float)):
        raise PayloadError(f"field {key!r} should be a number, got {type(value).__name__}")
    result = float(value)
    return result if math.isfinite(result) else None


def summary_changed(keys: Sequence[str], payload: Mapping[str, Any], stored_raw: Mapping[str, Any]) -> bool:
    """Whether a listed summary differs from the stored one (`stored_raw["summary"]`) in any of `keys`."""
    old = stored_raw.get("summary")
    if not isinstance(old, dict):
        return True
    # compared as stored: a name with a NUL is kept escaped (syncd.storable), and is not a change every pass
    return [old.get(k) for k in keys] != [storable_json(payload.get(k)) for k in keys]
