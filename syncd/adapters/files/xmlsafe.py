"""What GPX and TCX reading shares: refuse XML with a DTD before any parser sees it (activity files never need one,
and entities are the attack), namespace-free tag names, ISO 8601 times."""

from __future__ import annotations

from datetime import UTC, datetime

from .errors import FileImportError


def refuse_dtd(data: bytes, name: str, kind: str) -> None:
    """Raise FileImportError when the document declares a DTD or entities (XXE, entity expansion)."""
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise FileImportError(
            name,
            f"{kind} file declares a DTD or entities, which activity files never need",
            "re-export the activity from the device or platform",
        )


def local_name(tag: str) -> str:
    """An element's tag without its namespace: GPX and TCX files in the wild use several namespace versions."""
    return tag.rsplit("}", 1)[-1]


def iso_seconds(text: str | None) -> float | None:
    """ISO 8601 time (naive means UTC, as gpxpy reads it) as Unix seconds; None when missing or unreadable."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()
