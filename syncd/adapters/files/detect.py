"""Which format a file is, from its name or, failing that, its first bytes; and bounded gzip decompression."""

from __future__ import annotations

import re
import zlib
from enum import StrEnum

from .errors import FileImportError

GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = b"PK\x03\x04"
# An activity file above this is not an activity file (the largest real ones are a few MB; a 24 h GPX with heart
# rate is ~20 MB). Applies to files on disk, zip members and gzip output alike, so memory stays bounded.
MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_DECOMPRESSED_BYTES = MAX_FILE_BYTES
_XML_ROOT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(gpx|TrainingCenterDatabase)[\s>/]")


class Format(StrEnum):
    FIT = "fit"
    GPX = "gpx"
    TCX = "tcx"


_SUFFIXES = {".fit": Format.FIT, ".gpx": Format.GPX, ".tcx": Format.TCX}
SUPPORTED_SUFFIXES = (".fit", ".gpx", ".tcx", ".fit.gz", ".gpx.gz", ".tcx.gz")


def is_supported_name(name: str) -> bool:
    return name.lower().endswith(SUPPORTED_SUFFIXES)


def gunzip(data: bytes, name: str) -> bytes:
    """Decompress gzip data, refusing corrupt streams and anything that inflates past a sane size."""
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(data, MAX_DECOMPRESSED_BYTES)
    except zlib.error as exc:
        raise FileImportError(name, f"corrupt gzip data ({exc})", "download or copy the file again") from exc
    if inflater.unconsumed_tail:
        raise FileImportError(
            name, f"gzip data inflates past {MAX_DECOMPRESSED_BYTES // 2**20} MiB", "import the activity file itself"
        )
    if not inflater.eof:
        raise FileImportError(name, "truncated gzip data", "download or copy the file again")
    return out


def detect(data: bytes, name: str) -> Format:
    """The format by content (FIT header, XML root element), else by the name's extension."""
    sniffed = sniff(data)
    if sniffed is not None:
        return sniffed
    base = name.lower().removesuffix(".gz")
    for suffix, fmt in _SUFFIXES.items():
        if base.endswith(suffix):
            return fmt
    raise FileImportError(
        name,
        "not a FIT, GPX or TCX file (unrecognised name and content)",
        "import .fit, .gpx or .tcx files (optionally .gz), folders or a Strava export .zip",
    )


def sniff(data: bytes) -> Format | None:
    if len(data) >= 12 and data[8:12] == b".FIT":
        return Format.FIT
    match = _XML_ROOT.search(data[:4096])
    if match is None:
        return None
    return Format.GPX if match.group(1) == b"gpx" else Format.TCX
