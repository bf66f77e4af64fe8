"""`syncd pain` as a user runs it: record, list (JSON contract), export, and one-line errors that change nothing."""

from __future__ import annotations

import json
from datetime import date, timedelta

from tests.e2e.conftest import FIXTURES, RunSyncd

RUN = FIXTURES / "real" / "2013-02-06-12-11-14.fit"  # a run on 2013-02-06


def _entries(run_syncd: RunSyncd) -> list[dict[str, object]]:
    result = run_syncd("pain", "--list", "--json")
    assert result.returncode == 0, result.stderr
    entries: list[dict[str, object]] = json.loads(result.stdout)["entries"]
    return entries


def test_record_list_export_and_bad_input(run_syncd: RunSyncd) -> None:
    assert run_syncd("import", RUN, "--quiet").returncode == 0
    assert _entries(run_syncd) == []

    ok = run_syncd("pain", "local", "2013-02-07", "5", "--note", "woke up stiff")
    assert ok.returncode == 0, ok.stderr
    assert _entries(run_syncd) == [
        {"athlete": "local", "date": "2013-02-07", "score": 5, "source": "cli", "activity_id": None,
         "note": "woke up stiff"}
    ]  # fmt: skip
    # the same day again replaces the entry (one per day from the CLI)
    assert run_syncd("pain", "local", "2013-02-07", "3/10").returncode == 0
    assert [(e["date"], e["score"], e["note"]) for e in _entries(run_syncd)] == [("2013-02-07", 3, "")]

    before = _entries(run_syncd)
    tomorrow = (date.today() + timedelta(days=2)).isoformat()
    bad = {
        ("local", "2013-02-08", "11"): "pain score must be a whole number from 0",
        ("local", "2013-02-08", "-1"): "pain score must be a whole number from 0",
        ("local", "2013-02-08", "4.5"): "pain score must be a whole number from 0",
        ("local", tomorrow, "4"): "is in the future",
        ("local", "2013-02-05", "4"): "is before this athlete's first activity (2013-02-06)",
        ("local", "13/02/2013", "4"): "is not a date: write it as YYYY-MM-DD",
        ("strava:999", "2013-02-08", "4"): "no athlete 'strava:999'; the athletes are: local",
    }
    for args, message in bad.items():
        result = run_syncd("pain", *args)
        assert result.returncode == 2, (args, result.stdout)
        assert message in result.stderr, (args, result.stderr)
        assert result.stderr.strip().count("\n") == 0 and "Traceback" not in result.stderr
    assert _entries(run_syncd) == before

    incomplete = run_syncd("pain", "local", "2013-02-08")
    assert incomplete.returncode == 2 and "syncd pain ATHLETE DATE SCORE" in incomplete.stderr

    export = run_syncd("pain", "local", "--export")
    assert export.returncode == 0, export.stderr
    document = json.loads(export.stdout)
    assert document["athlete"] == "local" and document["advice_mode"] == "auto"
    assert [e["score"] for e in document["entries"]] == [3]

    assert run_syncd("pain", "local", "--mode", "sore").returncode == 0
    assert json.loads(run_syncd("pain", "local", "--export").stdout)["advice_mode"] == "sore"

    analysis = run_syncd("pain", "local", "--analysis")
    assert analysis.returncode == 0 and analysis.stdout.startswith("No flare-ups in your diary yet")
