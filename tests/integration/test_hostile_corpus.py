"""The hostile input corpus as one real `syncd import` (issue 17): ~60 kinds of bad files and archives beside a
good one. Each bad input is one line naming it, nothing of it is stored, no traceback, the good file is imported,
the process stays under 512 MB (and runs under a 2 GiB address-space limit, so a bomb cannot take the machine
down). Importing the corpus again changes nothing. Configs and environment overrides: one line, no traceback.

Webhook bodies and query strings of the corpus live in test_webhook_hostile.py and test_web_hostile.py.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import sys
from pathlib import Path

import pytest

from tests.hostile import GOOD_FIT, build_files, run_bounded

pytestmark = [pytest.mark.hostile, pytest.mark.slow]
SYNCD = str(Path(sys.executable).with_name("syncd"))
MEMORY_LIMIT_MB = 512


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SYNCD_", "XDG_", "CREDENTIALS_DIRECTORY"))}
    env.pop("STATE_DIRECTORY", None)
    (tmp_path / "config.toml").write_text("")
    env.update(HOME=str(tmp_path), SYNCD_CONFIG=str(tmp_path / "config.toml"), SYNCD_STATE_DIR=str(tmp_path / "s"))
    return env


def _rows(tmp_path: Path) -> dict[str, int]:
    with sqlite3.connect(tmp_path / "s" / "syncd.sqlite3") as db:
        return {
            t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("activities", "streams", "annotations")
        }


def test_the_corpus_is_refused_line_by_line_within_bounded_memory(tmp_path: Path) -> None:
    folder = tmp_path / "corpus"
    expect = build_files(folder)
    shutil.copy(GOOD_FIT, folder / "zz_good.fit")
    env = _env(tmp_path)
    first = run_bounded([SYNCD, "import", str(folder), "--quiet"], env)
    print(f"\ncorpus of {len(expect)} bad inputs: peak RSS {first.max_rss_mb:.0f} MB")
    assert "Traceback" not in first.stderr and "Traceback" not in first.stdout
    assert first.returncode == 1, first.stderr[-3000:]
    skipped = [line for line in first.stderr.splitlines() if line.startswith("syncd: skipped ")]
    stray = [line for line in first.stderr.splitlines() if line.strip() and not line.startswith("syncd: ")]
    assert stray == [], stray[:20]
    by_name: dict[str, str] = {}
    for line in skipped:
        path = line.removeprefix("syncd: skipped ").split(": ", 1)[0]
        by_name[path.removeprefix(f"{folder}/")] = line
    decoded_by_fallback = {n for n, word in expect.items() if word == "?" and n not in by_name}
    missing = sorted(set(expect) - set(by_name) - decoded_by_fallback)
    assert missing == [], f"not refused: {missing}"
    wrong = {
        n: by_name[n] for n, word in expect.items() if n in by_name and word not in ("", "?") and word not in by_name[n]
    }
    assert wrong == {}
    assert first.max_rss_mb < MEMORY_LIMIT_MB
    rows = _rows(tmp_path)
    assert rows["activities"] == 1 + len(decoded_by_fallback)  # the good file (and bit flips the fallback read)

    again = run_bounded([SYNCD, "import", str(folder), "--quiet"], env)
    assert again.returncode == 1 and "Traceback" not in again.stderr
    assert "0 new, 0 updated" in again.stdout
    assert _rows(tmp_path) == rows


CONFIGS = {
    "not_toml": "x = ",
    "port_text": '[web]\nport = "abc"',
    "port_nan": "[web]\nport = nan",
    "port_huge": "[web]\nport = 99999",
    "unknown_section": "[nosuch]\na = 1",
    "unknown_key": "[web]\nnosuchkey = 1",
    "database_mysql": '[database]\nurl = "mysql://x"',
    "negative_threshold": "[rules]\nacwr_high = -1",
    "section_not_table": 'web = "x"',
    "array_for_int": "[web]\nport = [1, 2]",
    "deep_table": "[web.a.b.c]\nx = 1",
    "reserve_inf": "[strava]\nwrite_reserve = inf",
    "not_utf8": b"\xff\xfe[web]",
    "int_400_digits": "[web]\nport = " + "9" * 400,  # issue 31: "unexpected OverflowError" without the key
    "window_huge": "[rules]\neasy_pace_window_days = 999999999999",  # issue 31: passed doctor, failed annotating
}


def _config_case(name: str, text: str | bytes, tmp_path: Path) -> None:
    env = _env(tmp_path)
    path = tmp_path / "config.toml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    result = run_bounded([SYNCD, "status"], env, timeout=60)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode in (1, 2), (name, result.stdout[-500:])
    assert len(lines) == 1 and lines[0].startswith("syncd: error: "), (name, lines[:5])
    assert "unexpected" not in lines[0] and "Traceback" not in result.stderr, (name, lines[0])
    assert not (tmp_path / "s" / "syncd.sqlite3").exists()


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_bad_config_is_one_line(name: str, tmp_path: Path) -> None:
    _config_case(name, CONFIGS[name], tmp_path)


ENVS = {
    "port_text": ("SYNCD_WEB_PORT", "eighty"),
    "port_negative": ("SYNCD_WEB_PORT", "-1"),
    "reserve_inf": ("SYNCD_STRAVA_WRITE_RESERVE", "inf"),
    "database_garbage": ("SYNCD_DATABASE_URL", "::::"),
    "threshold_text": ("SYNCD_RULES_ACWR_HIGH", "high"),
    "secret_file_missing": ("SYNCD_WEB_TOKEN_FILE", "/nonexistent/token"),
    "secret_file_is_dir": ("SYNCD_WEB_TOKEN_FILE", "/"),
    "misspelled_section": ("SYNCD_STARVA_CLIENT_ID", "1"),
    "config_dev_zero": ("SYNCD_CONFIG", "/dev/zero"),  # issue 31: read until memory ran out
    "secret_file_dev_zero": ("SYNCD_WEB_TOKEN_FILE", "/dev/zero"),
}


def _env_case(name: str, key: str, value: str, tmp_path: Path) -> None:
    env = {**_env(tmp_path), key: value}
    result = run_bounded([SYNCD, "status"], env, timeout=60)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode in (1, 2), (name, result.stdout[-300:], lines)
    assert len(lines) == 1 and lines[0].startswith("syncd: error: "), (name, lines[:5])
    assert "unexpected" not in lines[0] and "Traceback" not in result.stderr, (name, lines[0])
    assert value not in lines[0] or "/" in value or len(value) < 10


@pytest.mark.parametrize("name", sorted(ENVS))
def test_bad_environment_override_is_one_line(name: str, tmp_path: Path) -> None:
    _env_case(name, *ENVS[name], tmp_path)
