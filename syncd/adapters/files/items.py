"""Import items: what a batch import walks over (files, folders, zip members), read lazily one by one.

An unreadable path still becomes an item, whose `read()` raises FileImportError, so the caller reports it in
order with the rest and carries on.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .detect import ZIP_MAGIC, is_supported_name
from .errors import FileImportError
from .parse import parse_bytes, read_file
from .parsed import ParsedActivity

type Reader = Callable[[], bytes]


@dataclass(frozen=True)
class ImportItem:
    """One file to import; `export_row` is its activities.csv row when it came from a Strava export."""

    name: str
    size: int
    reader: Reader
    export_row: Mapping[str, str] | None = None

    def read(self) -> bytes:
        return self.reader()

    def parse(self, data: bytes | None = None, *, max_activities: int | None = None) -> list[ParsedActivity]:
        """Parse (reading unless `data` is given), applying the export's csv row if any; raises FileImportError."""
        read = self.read() if data is None else data
        return parse_item_bytes(read, self.name, self.export_row, max_activities=max_activities)


def parse_item_bytes(
    data: bytes, name: str, export_row: Mapping[str, str] | None, *, max_activities: int | None = None
) -> list[ParsedActivity]:
    """An item's bytes parsed, with its Strava export csv row applied (a plain function: worker processes run it)."""
    parsed = parse_bytes(data, name, max_activities=max_activities)
    if export_row is None:
        return parsed
    from .export import apply_export_row

    return apply_export_row(parsed, export_row)


def failing_item(error: FileImportError) -> ImportItem:
    """An item that reports `error` when read."""

    def read() -> bytes:
        raise error

    return ImportItem(name=str(error.path), size=0, reader=read)


def iter_paths(paths: Sequence[Path]) -> Iterator[ImportItem]:
    """Files as given, folders recursively (sorted; activity files and zips only, hidden entries skipped), and
    the members of zip archives (Strava bulk exports get their csv metadata)."""
    for path in paths:
        if path.is_dir():
            yield from _walk(path)
        else:
            yield from _file(path)


def _walk(folder: Path) -> Iterator[ImportItem]:
    errors: list[OSError] = []
    found: list[Path] = []
    for root, dirs, files in os.walk(folder, onerror=errors.append):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        found.extend(Path(root, f) for f in files if not f.startswith("."))
    for error in errors:
        where = Path(error.filename) if error.filename else folder
        problem = "permission denied" if isinstance(error, PermissionError) else f"cannot list folder ({error})"
        yield failing_item(FileImportError(where, problem, "make the folder readable by the syncd user"))
    for path in sorted(found):
        if is_supported_name(path.name) or path.name.lower().endswith(".zip"):
            yield from _file(path)


def _file(path: Path) -> Iterator[ImportItem]:
    if path.name.lower().endswith(".zip") or _starts_with(path, ZIP_MAGIC):
        from .export import iter_zip

        yield from iter_zip(path)
        return
    try:
        size = path.stat().st_size
    except OSError:
        size = 0
    yield ImportItem(name=str(path), size=size, reader=lambda: read_file(path))


def _starts_with(path: Path, magic: bytes) -> bool:
    try:
        if not path.is_file():  # a FIFO would block here; read_file reports what it is
            return False
        with path.open("rb") as handle:
            return handle.read(len(magic)) == magic
    except OSError:
        return False
