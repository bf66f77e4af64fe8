"""The layers hold: SQLAlchemy and the database engine stay inside syncd/adapters/db (issue 14), the domain stays
pure. Read from the source (AST), so a new import anywhere fails here at once."""

from __future__ import annotations

import ast
import functools
from pathlib import Path

SYNCD = Path(__file__).resolve().parents[2] / "syncd"
DB_ADAPTER = SYNCD / "adapters" / "db"


@functools.cache
def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"))


def _modules(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts)


def _imports(tree: ast.AST) -> list[str]:
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def test_no_sqlalchemy_and_no_engine_outside_the_database_adapter() -> None:
    offenders: list[str] = []
    for path in _modules(SYNCD):
        if DB_ADAPTER in path.parents:
            continue
        tree = _tree(path)
        where = path.relative_to(SYNCD.parent)
        offenders += [f"{where}: imports {n}" for n in _imports(tree) if n.split(".")[0] == "sqlalchemy"]
        offenders += [
            f"{where}:{node.lineno}: uses .engine"
            for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and node.attr == "engine"
        ]
    assert offenders == []


def test_the_domain_imports_no_adapter_service_or_io_library() -> None:
    banned = ("syncd.adapters", "syncd.services", "syncd.entrypoints", "sqlalchemy", "requests", "stravalib")
    offenders = [
        f"{path.relative_to(SYNCD.parent)}: imports {name}"
        for path in _modules(SYNCD / "domain")
        for name in _imports(_tree(path))
        if name.startswith(banned)
    ]
    assert offenders == []


def test_services_depend_on_ports_not_on_platform_clients() -> None:
    banned = ("stravalib", "garminconnect", "requests", "sqlalchemy")
    offenders = [
        f"{path.relative_to(SYNCD.parent)}: imports {name}"
        for path in _modules(SYNCD / "services")
        for name in _imports(_tree(path))
        if name.split(".")[0] in banned
    ]
    assert offenders == []


# What services/ still imports from syncd/adapters (issue 14: services depend on ports). The list may only shrink:
# a new adapter import fails here, and so does a listed one that is gone (delete its line). The store is reached
# through the Protocols in syncd/ports.py; the mailer, the chart, each platform's sessions (adapters/<platform>/
# sessions.py, as ports.AccountSessions) and the watched folder are built in syncd/entrypoints/wiring.py and handed
# in. Left: the file parsers, which the import use cases call.
KNOWN_ADAPTER_IMPORTS: dict[str, set[str]] = {
    "annotate_files": {"syncd.adapters.files"},
    "importing": {"syncd.adapters.files"},
}


def test_services_import_no_adapter_beyond_the_shrinking_list() -> None:
    """Every import counts, also those under TYPE_CHECKING and inside functions (ast.walk sees them all)."""
    found: dict[str, set[str]] = {}
    for path in _modules(SYNCD / "services"):
        adapters = {
            name for name in _imports(_tree(path)) if name == "syncd.adapters" or name.startswith("syncd.adapters.")
        }
        if adapters:
            found[path.stem] = adapters
    assert found == KNOWN_ADAPTER_IMPORTS
