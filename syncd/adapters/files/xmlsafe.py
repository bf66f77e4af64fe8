"""What GPX and TCX reading shares: refuse XML with a DTD before any parser builds a tree (activity files never need
one, and entities are the attack), namespace-free tag names, ISO 8601 times.

The DTD check runs twice: a byte search (`<!DOCTYPE`, `<!ENTITY`) catches UTF-8 and ASCII files at once, and an
expat pass over the document's prolog catches every other encoding expat reads (UTF-16, UTF-32 via a BOM, Latin-1
and the rest by declaration), since it sees the text as the real parser will decode it. That pass stops at the root
element's start tag: a DTD can only come before it. ElementTree never fetches external entities, and files are
capped in size before they are read (detect.MAX_FILE_BYTES).
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from xml.parsers import expat

from .errors import FileImportError

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_CHUNK = 4096  # the prolog is nearly always in the first chunk; the pass stops at the root element


class _DeclaredError(Exception):
    """A DOCTYPE or entity declaration was seen in the prolog."""


class _RootReachedError(Exception):
    """The root element started: no DTD can follow."""


def refuse_dtd(data: bytes, name: str, kind: str) -> None:
    """Raise FileImportError when the document declares a DTD or entities (XXE, entity expansion), in any encoding."""
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data or _prolog_declares_dtd(data):
        raise FileImportError(
            name,
            f"{kind} file declares a DTD or entities, which activity files never need",
            "re-export the activity from the device or platform",
        )


def _prolog_declares_dtd(data: bytes) -> bool:
    """Whether expat, decoding `data` as the parser will, meets a DOCTYPE or entity declaration before the root."""

    def declared(*_args: object) -> None:
        raise _DeclaredError

    def root(*_args: object) -> None:
        raise _RootReachedError

    parser = expat.ParserCreate()
    parser.StartDoctypeDeclHandler = declared
    parser.EntityDeclHandler = declared
    parser.UnparsedEntityDeclHandler = declared
    parser.StartElementHandler = root
    try:
        for offset in range(0, len(data), _CHUNK):
            parser.Parse(data[offset : offset + _CHUNK], False)
        parser.Parse(b"", True)
    except _DeclaredError:
        return True
    except (_RootReachedError, expat.ExpatError, ValueError, LookupError):
        return False  # a malformed document is named by the real parse
    return False


@lru_cache(maxsize=512)
def local_name(tag: str) -> str:
    """An element's tag without its namespace: GPX and TCX files in the wild use several namespace versions.

    Cached: a TCX file asks for the same few dozen tags millions of times (issue 32: 7.6 million calls for 528
    files), and the set of distinct tags is small."""
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
    return (moment - _EPOCH).total_seconds()  # what `timestamp()` computes for an aware time, without its checks
