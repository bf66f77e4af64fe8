"""A progress bar for long imports (tqdm), shown only on a terminal so logs and pipes stay clean."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from tqdm import tqdm

from syncd.adapters.files import ImportItem


class ImportProgress:
    """Counts bytes of the files handed to the importer; totals are the sizes of the given paths."""

    def __init__(self, paths: Sequence[Path], *, enabled: bool | None = None) -> None:
        self._enabled = sys.stderr.isatty() if enabled is None else enabled
        total = sum(_size(p) for p in paths) if self._enabled else 0
        self._bar: tqdm[Any] | None = None
        if self._enabled:
            self._bar = tqdm(total=total, unit="B", unit_scale=True, desc="import", file=sys.stderr)

    def advance(self, item: ImportItem) -> None:
        if self._bar is not None:
            self._bar.set_postfix_str(item.name[-40:], refresh=False)
            self._bar.update(item.size)

    def __enter__(self) -> ImportProgress:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._bar is not None:
            self._bar.close()


def _size(path: Path) -> int:
    try:
        if path.is_dir():
            return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
        return path.stat().st_size
    except OSError:
        return 0
