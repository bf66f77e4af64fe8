"""The `syncd` command as a user runs it: a real process, its exit codes, its one-line errors."""

from __future__ import annotations

import json
import shutil
import stat
from dataclasses import fields
from pathlib import Path

import pytest

from syncd.config import load_settings
from syncd.domain.thresholds import Thresholds
from tests.e2e.conftest import FIXTURES, RunSyncd
from tests.real_sample import real_sample

REAL = FIXTURES / "real"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_help_lists_commands_and_each_has_help(run_syncd: RunSyncd) -> None:
    result = run_syncd("--help")
    assert result.returncode == 0
    for command in ("init", "doctor", "import", "annotate", "reannotate", "status"):
        assert command in result.stdout
        assert run_syncd(command, "--help").returncode == 0


def test_usage_error_exits_2(run_syncd: RunSyncd) -> None:
    assert run_syncd("import").returncode == 2
    assert run_syncd("frobnicate").returncode == 2


def test_init_writes_private_commented_config_that_loads(run_syncd: RunSyncd, tmp_path: Path) -> None:
    target = tmp_path / "conf" / "config.toml"
    result = run_syncd("init", "--path", target)
    assert result.returncode == 0, result.stderr
    assert mode(target) == 0o600
    text = target.read_text()
    for field in fields(Thresholds):
        assert field.name in text, f"example config does not document [rules] {field.name}"
    settings = load_settings(target, env={"HOME": str(tmp_path)})
    assert settings.strava.write_back == "off"
    again = run_syncd("init", "--path", target)
    assert again.returncode == 2
    assert "already exists; pass --force" in again.stderr


def test_bad_config_is_one_line_and_exit_2(run_syncd: RunSyncd, tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("[web]\nport = 'x'\n")
    result = run_syncd("--config", config, "status")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "[web] port must be a whole number" in result.stderr
    assert "Traceback" not in result.stderr


def test_unreachable_database_is_one_line_exit_1_without_password(run_syncd: RunSyncd) -> None:
    url = "postgresql+psycopg://syncd:topsecretpw@127.0.0.1:1/syncd"
    result = run_syncd("--database-url", url, "status")
    assert result.returncode == 1
    assert "topsecretpw" not in result.stderr + result.stdout
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert "Traceback" not in result.stderr


def test_import_real_files_then_reimport_changes_nothing(
    run_syncd: RunSyncd, syncd_env: dict[str, str], tmp_path: Path
) -> None:
    # The 12 shared recordings and 20 gzipped one-run files of the corpus (the whole labelled corpus, 190 files,
    # is read by tests/integration/test_corpus_labels.py; importing all of it here would take minutes).
    folder = tmp_path / "real"
    shutil.copytree(REAL, folder, ignore=shutil.ignore_patterns("corpus", "*.tsv"))
    (folder / "corpus").mkdir()
    for path in sorted((REAL / "corpus").glob("nike_*.gpx.gz"))[:20]:
        shutil.copy(path, folder / "corpus" / path.name)
    first = run_syncd("import", folder)
    assert first.returncode == 0, first.stderr
    assert " 0 failed" in first.stdout
    assert "downhill(" in first.stdout  # run.fit's steep finish
    assert "not a run" in first.stdout  # the rides, the walk, the hike, the row
    state = Path(syncd_env["XDG_STATE_HOME"]) / "syncd"
    assert mode(state / "syncd.sqlite3") == 0o600
    assert mode(state / "secret.key") == 0o600
    second = run_syncd("import", folder)
    assert second.returncode == 0, second.stderr
    assert ": 0 new, 0 updated," in second.stdout

    status = run_syncd("status", "--json")
    assert status.returncode == 0, status.stderr
    rows = json.loads(status.stdout)["rows"]
    # 12 files (the triathlon is 3 sport legs, transitions skipped) and the 20 one-run files of corpus/
    assert rows["activities"] == 14 + 20
    assert rows["streams"] == 14 + 20


def test_a_corrupt_file_is_reported_and_the_others_still_import(run_syncd: RunSyncd, tmp_path: Path) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    shutil.copy(REAL / "run.fit", folder / "good.fit")
    (folder / "broken.fit").write_bytes((REAL / "run.fit").read_bytes()[:300])
    (folder / "notes.txt").write_text("not an activity")
    result = run_syncd("import", folder)
    assert result.returncode == 1
    assert "1 new" in result.stdout
    errors = [line for line in result.stderr.splitlines() if line.strip()]
    assert any("broken.fit" in line for line in errors)
    assert "Traceback" not in result.stderr


def test_annotate_json_shape(run_syncd: RunSyncd) -> None:
    result = run_syncd("annotate", "--json", REAL / "run.fit", REAL / "c2eb1b_6.tcx")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert set(doc) == {"activities"}
    assert len(doc["activities"]) == 2
    for entry in doc["activities"]:
        assert set(entry) == {"path", "sport", "sport_inferred", "start", "distance_m", "duration_s", "flags", "note"}
        for flag in entry["flags"]:
            assert set(flag) == {"code", "severity", "confidence", "evidence", "advice"}
            assert flag["severity"] in {"info", "caution", "high"}
            assert flag["confidence"] in {"low", "medium", "high"}
    by_path = {Path(e["path"]).name: e for e in doc["activities"]}
    assert "downhill" in {f["code"] for f in by_path["run.fit"]["flags"]}
    assert "speed_work" in {f["code"] for f in by_path["c2eb1b_6.tcx"]["flags"]}
    assert [e["start"] for e in doc["activities"]] == sorted(e["start"] for e in doc["activities"])


def test_reannotate_reruns_only_when_the_rules_version_changes(run_syncd: RunSyncd) -> None:
    assert run_syncd("import", "--quiet", REAL / "run.fit", REAL / "c2eb1b_6.tcx").returncode == 0
    same = run_syncd("reannotate")
    assert same.returncode == 0, same.stderr
    assert "re-ran 0" in same.stdout
    changed = run_syncd("reannotate", env={"SYNCD_RULES_DOWNHILL_GRADE_PCT": "20"})
    assert changed.returncode == 0, changed.stderr
    assert "re-ran 2" in changed.stdout


def test_reannotate_runs_the_rules_on_worker_processes(run_syncd: RunSyncd, tmp_path: Path) -> None:
    imported = run_syncd("import", "--quiet", "--jobs", "2", real_sample(tmp_path))
    assert imported.returncode in (0, 1), imported.stderr  # the fixtures hold files the import says it skips
    stored = int(imported.stdout.split(":")[1].split(" new")[0])
    assert stored >= 32  # enough for the rules to go to the workers
    pooled = run_syncd("reannotate", "--jobs", "2", env={"SYNCD_RULES_DOWNHILL_GRADE_PCT": "20"})
    assert pooled.returncode == 0, pooled.stderr
    assert f"re-ran {stored}," in pooled.stdout and ", 0 failed" in pooled.stdout
    here = run_syncd("reannotate", "--jobs", "1", env={"SYNCD_RULES_DOWNHILL_GRADE_PCT": "20"})
    assert "re-ran 0," in here.stdout  # the workers stored the current version for every one


def test_reannotate_backfill_needs_a_date_and_says_how_long(run_syncd: RunSyncd) -> None:
    assert run_syncd("import", "--quiet", REAL / "run.fit").returncode == 0
    undated = run_syncd("reannotate", "--write-back")
    assert undated.returncode == 2 and "--since" in undated.stderr
    dated = run_syncd("reannotate", "--since", "2010-01-01", "--write-back")
    assert dated.returncode == 0, dated.stderr
    assert "backfill: nothing to write back" in dated.stdout  # imported files are never written to a platform


@pytest.mark.parametrize("args", [("doctor",)])
def test_doctor_on_a_fresh_machine_is_happy(run_syncd: RunSyncd, args: tuple[str, ...]) -> None:
    result = run_syncd(*args)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 to fix" in result.stdout


def test_doctor_names_the_problem_and_the_fix(run_syncd: RunSyncd, tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text(f"[web]\nhost = '0.0.0.0'\n[surface]\nosm_file = '{tmp_path / 'none.pbf'}'\n")
    result = run_syncd("--config", config, "doctor")
    assert result.returncode == 1
    assert "[web] token is not set; set token_file" in result.stdout
    assert "does not exist; fix the path" in result.stdout
    assert "2 to fix" in result.stdout


def test_debug_adds_the_traceback_but_never_the_password(run_syncd: RunSyncd) -> None:
    url = "postgresql+psycopg://syncd:topsecretpw@127.0.0.1:1/syncd"
    result = run_syncd("--debug", "--database-url", url, "status")
    assert result.returncode == 1
    # stderr is not a terminal here, so the log is JSON: the traceback comes as structured frames.
    record = json.loads(next(line for line in result.stderr.splitlines() if line.startswith("{")))
    assert record["exception"][0]["exc_type"] == "StoreError"
    assert record["exception"][0]["frames"]
    assert "topsecretpw" not in result.stderr + result.stdout
    assert result.stdout == ""  # logs never go to stdout, where command output belongs
