"""One entry point for one file's bytes: decompress, detect the format, hash, and hand to the format's parser."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

from syncd.domain.sport_inference import with_inferred_sport

from .detect import GZIP_MAGIC, ZIP_MAGIC, Format, detect, gunzip
from .errors import FileImportError
from .fit import parse_fit
from .gpx import parse_gpx
from .local_time import with_local_time
from .parsed import ParsedActivity
from .tcx import parse_tcx


def parse_bytes(data: bytes, name: str) -> list[ParsedActivity]:
    """The activities in one file (FIT/GPX/TCX, optionally gzipped); raises FileImportError on bad input.

    `content_sha256` hashes the decompressed bytes, so the same recording gzipped or not imports once.
    """
    if not data:
        raise FileImportError(name, "empty file (0 bytes)", "copy the file again from the device or platform")
    if data[:2] == GZIP_MAGIC:
        data = gunzip(data, name)
        if not data:
            raise FileImportError(name, "empty file inside gzip", "copy the file again from the device or platform")
    if data[:4] == ZIP_MAGIC:
        raise FileImportError(
            name, "a zip archive, not a single activity file", "import the .zip itself (folders and zips are expanded)"
        )
    fmt = detect(data, name)
    sha256 = hashlib.sha256(data).hexdigest()
    parser = {Format.FIT: parse_fit, Format.GPX: parse_gpx}.get(fmt, parse_tcx)
    return [
        replace(parsed, activity=with_inferred_sport(with_local_time(parsed.activity)))
        for parsed in parser(data, name, sha256)
    ]


def load_activities(path: Path) -> list[ParsedActivity]:
    """Parse one file on disk (a convenience for tests, rules and `syncd annotate`)."""
    return parse_bytes(read_file(path), str(path))


def read_file(path: Path) -> bytes:
    """A file's bytes, with OS errors turned into one-line FileImportErrors."""
    try:
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise FileImportError(path, "no such file", "check the path") from exc
    except PermissionError as exc:
        raise FileImportError(path, "permission denied", "make the file readable by the syncd user") from exc
    except IsADirectoryError as exc:
        raise FileImportError(path, "is a directory", "pass files, or import the folder itself") from exc
    except OSError as exc:
        raise FileImportError(path, f"cannot read file ({exc.strerror or exc})", "check the file and disk") from exc
