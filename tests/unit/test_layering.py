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
# a new adapter import fails here, and so does a listed one that is gone (delete its line). Typing a service against
# the narrow Protocols in syncd/ports.py removes its `syncd.adapters.db.repository`; the platform wiring modules
# (strava_sync, garmin_sync, *accounts) construct adapters and belong in entrypoints/wiring or the adapter package.
KNOWN_ADAPTER_IMPORTS: dict[str, set[str]] = {
    "account_sync": {"syncd.adapters.db.repository"},
    "accounts": {
        "syncd.adapters.clock",
        "syncd.adapters.db.repository",
        "syncd.adapters.strava.api",
        "syncd.adapters.strava.errors",
    },
    "annotate_files": {"syncd.adapters.files"},
    "annotating": {"syncd.adapters.db.repository"},
    "athletes": {"syncd.adapters.db.repository", "syncd.adapters.db.pain_repository"},  # the mode setting (issue 15)
    "digests": {"syncd.adapters.charts", "syncd.adapters.db.repository", "syncd.adapters.smtp"},
    "feed": {"syncd.adapters.db.repository"},
    "garmin_accounts": {
        "syncd.adapters.clock",
        "syncd.adapters.db.repository",
        "syncd.adapters.garmin.api",
        "syncd.adapters.garmin.client",
        "syncd.adapters.garmin.errors",
    },
    "garmin_sync": {
        "syncd.adapters.clock",
        "syncd.adapters.db.repository",
        "syncd.adapters.garmin.api",
        "syncd.adapters.garmin.errors",
        "syncd.adapters.garmin.source",
        "syncd.adapters.garmin.writer",
    },
    "importing": {"syncd.adapters.db.repository", "syncd.adapters.files"},
    "pain_diary": {"syncd.adapters.db.pain_repository", "syncd.adapters.db.repository"},
    "platforms": {"syncd.adapters.db.repository"},
    "status": {"syncd.adapters.db.engine", "syncd.adapters.db.repository"},
    "strava_sync": {
        "syncd.adapters.clock",
        "syncd.adapters.db.repository",
        "syncd.adapters.strava.api",
        "syncd.adapters.strava.client",
        "syncd.adapters.strava.errors",
        "syncd.adapters.strava.source",
        "syncd.adapters.strava.writer",
    },
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
