"""The one error type for bad input files: one line naming the file, the problem and the fix."""

from __future__ import annotations

from pathlib import Path


class FileImportError(Exception):
    """`str(e)` is "<path>: <problem>; <fix>" on one line, so a batch import can report it and go on."""

    path: Path
    problem: str
    fix: str

    def __init__(self, path: Path | str, problem: str, fix: str) -> None:
        self.path = Path(path)
        self.problem = _one_line(problem)
        self.fix = _one_line(fix)
        super().__init__(f"{path}: {self.problem}; {self.fix}")

    def __reduce__(self) -> tuple[type[FileImportError], tuple[Path, str, str]]:
        """Pickled by its parts (the default would call __init__ with the message alone): parsing runs in worker
        processes (pool.py) that send errors back."""
        return type(self), (self.path, self.problem, self.fix)


def _one_line(text: str) -> str:
    return " ".join(text.split())
