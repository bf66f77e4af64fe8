"""Files whose parsing killed syncd, remembered by hash so a watched folder keeps importing everything else.

The watched folder is parsed in the daemon's own process. A file that kills it there (a decoder's native crash,
the kernel's OOM killer) would kill it again after every restart, and the good files sorting after it would never
be imported (issue 31). So before parsing a file the folder source notes it here ("parsing"), and clears the note
when the parser returns, whatever it returned. A note found at start-up means the process died while parsing that
file: it counts as one death of that content. Content that died `DEATHS` times is quarantined: skipped with one
line, and listed by `syncd status`, until the file changes (a new hash) or the state file is removed. Two deaths,
not one, so a single unrelated kill (a reboot, `kill -9`) mid-parse never quarantines a good file.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FILE_NAME = "folder-quarantine.json"
DEATHS = 2


@dataclass(frozen=True)
class Quarantined:
    file: str
    sha256: str
    deaths: int


class Quarantine:
    """The state file in the state directory: the file being parsed now, and the deaths per content hash."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._state = _load(path)
        parsing = self._state.pop("parsing", None)
        if isinstance(parsing, dict) and isinstance(parsing.get("sha256"), str):
            record = self._state["deaths"].setdefault(parsing["sha256"], {"file": str(parsing.get("file", "")), "n": 0})
            record["n"] = int(record.get("n", 0)) + 1
            self._save()

    def holds(self, sha256: str) -> bool:
        record = self._state["deaths"].get(sha256)
        return isinstance(record, dict) and int(record.get("n", 0)) >= DEATHS

    @contextlib.contextmanager
    def parsing(self, file: str, sha256: str) -> Iterator[None]:
        """Note the file while it is parsed; a parser that returns or raises clears the note."""
        self._state["parsing"] = {"file": file, "sha256": sha256}
        self._save()
        try:
            yield
        finally:
            self._state.pop("parsing", None)
            self._save()

    def _save(self) -> None:
        """Best effort: an unwritable state directory costs this protection, never the import."""
        tmp = self.path.with_name(self.path.name + ".tmp")
        with contextlib.suppress(OSError):
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            tmp.write_text(json.dumps(self._state))
            os.replace(tmp, self.path)


def quarantined(state_dir: Path) -> list[Quarantined]:
    """What `syncd status` lists: the quarantined files (read only: a status never counts a death)."""
    state = _load(state_dir / FILE_NAME)
    return [
        Quarantined(str(record.get("file", "")), sha, int(record.get("n", 0)))
        for sha, record in sorted(state["deaths"].items())
        if isinstance(record, dict) and int(record.get("n", 0)) >= DEATHS
    ]


def _load(path: Path) -> dict[str, Any]:
    try:
        state = json.loads(path.read_text())
    except (OSError, ValueError):  # none yet, or damaged: start afresh (at worst a killer file is tried again)
        state = {}
    if not isinstance(state, dict) or not isinstance(state.get("deaths"), dict):
        state = {**(state if isinstance(state, dict) else {}), "deaths": {}}
    return state
