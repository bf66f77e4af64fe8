"""Refuse XML with a DTD before any parser sees it: activity files never need one, and entities are the attack."""

from __future__ import annotations

from .errors import FileImportError


def refuse_dtd(data: bytes, name: str, kind: str) -> None:
    """Raise FileImportError when the document declares a DTD or entities (XXE, entity expansion)."""
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise FileImportError(
            name,
            f"{kind} file declares a DTD or entities, which activity files never need",
            "re-export the activity from the device or platform",
        )
