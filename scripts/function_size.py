"""Fail when a function in syncd/ is longer than 60 lines (issue 14's target; complexity is ruff's C901 at 15).

Migrations are exempt (declarative). KNOWN lists the functions still over the limit, each a debt to pay when its
module is next changed: the check fails on any new one, and on a known one that grew.

    .venv/bin/python scripts/function_size.py
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIMIT = 60
KNOWN = {  # path:function -> lines today
    "syncd/adapters/files/fit.py:_leg": 99,
    "syncd/adapters/files/gpx.py:parse_gpx": 74,
    "syncd/adapters/files/tcx.py:_activity": 79,
    "syncd/domain/rules/speed_work.py:_analyze": 62,
    "syncd/domain/rules/no_warmup.py:evaluate": 63,
    "syncd/entrypoints/commands/link.py:_browser_code": 71,
    "syncd/entrypoints/web/charts.py:_line_chart": 61,
}


def long_functions(root: Path) -> dict[str, int]:
    found: dict[str, int] = {}
    for path in sorted((root / "syncd").rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > LIMIT:
                    found[f"{path.relative_to(root)}:{node.name}"] = lines
    return found


def main() -> int:
    problems = [
        f"{name}: {lines} lines (limit {LIMIT}{f', known at {KNOWN[name]}' if name in KNOWN else ''}); split it"
        for name, lines in long_functions(ROOT).items()
        if lines > KNOWN.get(name, LIMIT)
    ]
    for line in problems:
        print(line, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
