"""The rough edges a new user hits first (issue 12): each is one clear line, and nothing happens silently."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

from syncd.logging import use_colour
from tests.e2e.conftest import FIXTURES, SYNCD, RunSyncd

ROOT = Path(__file__).resolve().parents[2]


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*")) if root.exists() else []


def test_a_database_in_a_missing_directory_is_named_not_created(run_syncd: RunSyncd, tmp_path: Path) -> None:
    missing = tmp_path / "nonexistent" / "dir"
    result = run_syncd("--database-url", f"sqlite:///{missing / 'x.db'}", "status")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"syncd: error: the directory {missing} of the SQLite database does not exist; create it or fix --database-url"
    )
    assert not missing.parent.exists()


def test_a_mistyped_flag_prints_that_commands_usage(run_syncd: RunSyncd) -> None:
    status = run_syncd("status", "--jsn")
    assert status.returncode == 2
    assert status.stderr.startswith("usage: syncd status [-h] [--json]")
    assert "unrecognized arguments: --jsn" in status.stderr
    nested = run_syncd("athlete", "set", "--unitz", "imperial")
    assert nested.returncode == 2 and nested.stderr.startswith("usage: syncd athlete set")
    jobs = run_syncd("import", "--jobs", "0", "x.fit")
    assert jobs.returncode == 2
    assert jobs.stderr.strip().endswith("'0' is not a number of processes; use a whole number from 1 to 64")
    rules = run_syncd("reannotate", "--jobs", "many")
    assert rules.returncode == 2
    assert rules.stderr.strip().endswith("'many' is not a number of processes; use a whole number from 1 to 64")


def test_doctor_on_a_fresh_machine_creates_nothing_and_says_what_next(
    run_syncd: RunSyncd, syncd_env: dict[str, str], tmp_path: Path
) -> None:
    before = _files(tmp_path)
    result = run_syncd("doctor")
    assert result.returncode == 0, result.stdout
    assert _files(tmp_path) == before
    assert result.stdout.splitlines()[-1].startswith("next: `syncd init` writes a commented config")


def test_status_json_dates_are_iso_8601_and_a_closed_pipe_is_quiet(
    run_syncd: RunSyncd, syncd_env: dict[str, str]
) -> None:
    assert run_syncd("import", FIXTURES / "real" / "run.fit", "--quiet").returncode == 0
    status = json.loads(run_syncd("status", "--json").stdout)
    assert "datetime" not in json.dumps(status)
    read, write = os.pipe()
    os.close(read)  # the reader is gone before syncd writes a byte: `syncd status --json | head -0`
    try:
        result = subprocess.run(
            [str(SYNCD), "status", "--json"],
            env=syncd_env,
            stdout=write,
            stderr=subprocess.PIPE,
            timeout=120,
            check=False,
        )
    finally:
        os.close(write)
    assert result.returncode == 141
    assert result.stderr == b""


def test_no_colour_for_no_color_or_a_dumb_terminal() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert use_colour(Tty(), {"TERM": "xterm-256color"})
    assert not use_colour(Tty(), {"TERM": "xterm-256color", "NO_COLOR": "1"})
    assert not use_colour(Tty(), {"TERM": "dumb"})
    assert not use_colour(io.StringIO(), {"TERM": "xterm"})


def test_install_sh_stops_before_anything_when_python_cannot_make_a_venv(tmp_path: Path) -> None:
    """Debian's python3 without python3-venv: install.sh names the package instead of failing half-way."""
    fake = tmp_path / "python3"
    fake.write_text(f'#!/bin/sh\ncase "$*" in *ensurepip*) exit 1;; esac\nexec {sys.executable} "$@"\n')
    fake.chmod(0o755)
    prefix = tmp_path / "opt"
    result = subprocess.run(
        ["bash", str(ROOT / "deploy" / "install.sh")],
        env={**os.environ, "SYNCD_PYTHON": str(fake), "SYNCD_PREFIX": str(prefix), "SYNCD_ETC": str(tmp_path / "e")},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert "apt-get install python3-venv" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not prefix.exists()


def test_sync_once_with_nothing_linked_loads_no_platform_client_or_rule(syncd_env: dict[str, str]) -> None:
    """A timer running `syncd sync --once` on a machine with nothing linked must stay cheap (issue 16)."""
    probe = (
        "import sys\n"
        "from syncd.entrypoints.cli import main\n"
        "code = main(['sync', '--once'])\n"
        "heavy = sorted(m for m in ('stravalib', 'garminconnect', 'apscheduler', 'syncd.entrypoints.daemon',"
        " 'syncd.domain.rules.engine', 'syncd.services.annotating', 'numpy', 'sqlalchemy.orm', 'alembic',"
        " 'syncd.adapters.db.repository', 'syncd.adapters.db.models', 'cryptography') if m in sys.modules)\n"
        "print('heavy:', ','.join(heavy))\n"
        "sys.exit(code)\n"
    )
    env = {**syncd_env, "SYNCD_STRAVA_CLIENT_ID": "123", "SYNCD_STRAVA_CLIENT_SECRET": "test-secret"}
    result = subprocess.run(
        [sys.executable, "-c", probe], check=False, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "no linked account; link one with `syncd link strava`" in result.stdout
    # The first run creates the database (Alembic and the models, once); no platform client or rule even then.
    first = set(result.stdout.strip().splitlines()[-1].removeprefix("heavy:").strip().split(",")) - {""}
    assert first <= {"alembic", "sqlalchemy.orm", "syncd.adapters.db.models", "cryptography"}, first
    # Every later run on the existing database: no repositories, no ORM, no numpy.
    again = subprocess.run(
        [sys.executable, "-c", probe], check=False, env=env, capture_output=True, text=True, timeout=60
    )
    assert again.returncode == 0 and again.stdout.strip().splitlines()[-1] == "heavy:", again.stderr


_HEAVY_PROBE = (
    "import sys\n"
    "from syncd.entrypoints.cli import main\n"
    "code = main(sys.argv[1:])\n"
    "heavy = sorted(m for m in ('numpy', 'sqlalchemy.orm', 'syncd.domain.rules.engine', 'syncd.services.annotating',"
    " 'alembic', 'stravalib', 'garminconnect', 'apscheduler', 'apprise', 'jinja2', 'structlog',"
    " 'sqlalchemy.dialects.postgresql', 'sqlalchemy') if m in sys.modules)\n"
    "print('heavy:', ','.join(heavy), file=sys.stderr)\n"
    "sys.exit(code)\n"
)
_READERS: dict[str, tuple[str, ...]] = {
    "status": ("status",),
    "status --json": ("status", "--json"),
    "accounts": ("accounts",),
    "athlete show": ("athlete", "show"),
    "athlete list": ("athlete", "list"),
    "pain --list": ("pain", "--list"),
}
# These read through adapters/db/reads.py over sqlite3: importing SQLAlchemy alone costs more than their budget.
_PLAIN_SQL = ("status", "status --json", "athlete show", "pain --list")
# `pain ATHLETE --analysis` is left out on purpose: it runs the permutation test (numpy) over the stored flags.


def _heavy_modules(args: tuple[str, ...], env: dict[str, str]) -> tuple[set[str], str]:
    result = subprocess.run(
        [sys.executable, "-c", _HEAVY_PROBE, *args], check=False, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    last = result.stderr.strip().splitlines()[-1]
    return set(last.removeprefix("heavy:").strip().split(",")) - {""}, result.stdout


def test_commands_that_read_an_existing_database_load_no_numpy_rules_or_migrations(
    run_syncd: RunSyncd, syncd_env: dict[str, str]
) -> None:
    """`syncd status`, `athlete show`, `pain --list`: a person waits for these (issue 32); numpy, the rule engine,
    Alembic, SQLAlchemy's ORM and the platform clients cost more than the command's own work, and none is needed to
    read settings, counts or a diary; structlog waits for a log line and SQLite never loads the PostgreSQL dialect."""
    assert run_syncd("import", FIXTURES / "real" / "run.fit", "--quiet").returncode == 0
    assert run_syncd("pain", "local", "2026-11-28", "3").returncode == 0
    for name, args in _READERS.items():
        heavy, stdout = _heavy_modules(args, syncd_env)
        assert stdout.strip(), name  # the command did its work
        if name in _PLAIN_SQL:
            assert not heavy & {"sqlalchemy", "alembic"}, (name, heavy)
        assert not heavy & {"numpy", "syncd.domain.rules.engine", "syncd.services.annotating", "alembic"}, (name, heavy)
        assert not heavy & {"sqlalchemy.orm", "sqlalchemy.dialects.postgresql", "structlog"}, (name, heavy)
        assert not heavy & {"stravalib", "garminconnect", "apscheduler", "apprise", "jinja2"}, (name, heavy)


def test_athlete_set_mode_is_shown_validated_and_redoes_the_notes(run_syncd: RunSyncd) -> None:
    """`syncd athlete set --mode sore|well|auto` (issue 15): a bad value is one line and exit 2; the notes the mode
    reaches are redone by the command itself (issue 27), not at the daemon's daily re-scan."""
    assert run_syncd("import", FIXTURES / "real" / "run.fit", "--quiet").returncode == 0
    bad = run_syncd("athlete", "set", "--mode", "achy")
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1
    assert "--mode must be sore, well or auto" in bad.stderr
    assert json.loads(run_syncd("athlete", "show", "--json").stdout)["mode"] == "auto"
    done = run_syncd("athlete", "set", "--mode", "sore")
    assert done.returncode == 0, done.stderr
    assert "local: mode: sore" in done.stdout and "1 note(s) redone" in done.stdout
    shown = run_syncd("athlete", "show")
    assert "mode         sore (chosen)" in shown.stdout
    assert run_syncd("athlete", "set", "--mode", "well").returncode == 0
    assert json.loads(run_syncd("athlete", "show", "--json").stdout)["mode"] == "staying_well"
    assert run_syncd("athlete", "set", "--mode", "auto").returncode == 0
    assert "mode         auto ([advice] mode)" in run_syncd("athlete", "show").stdout
