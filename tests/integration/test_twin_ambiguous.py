"""Issue 27's bad input: a run that matches two runs on the other platform (a duplicate upload) is linked to
neither: all are kept and counted, and `syncd status` says which and the fix, until the duplicate is gone.
Real store (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from syncd.adapters.db import Store
from syncd.config import Settings
from syncd.domain.model import Activity, Source, Sport
from syncd.entrypoints.status_text import print_status
from syncd.entrypoints.wiring import status_reads
from syncd.services.identity import link_all
from syncd.services.status import collect_status

START = datetime(2026, 11, 20, 6, 30, tzinfo=UTC)


def _run(store: Store, athlete: int, source: Source, ext_id: str, seconds: int, metres: float) -> int:
    activity = Activity(
        source, ext_id, Sport.RUN, "Run", START + timedelta(seconds=seconds), distance_m=metres, elapsed_s=3000.0
    )
    return store.upsert_activity(athlete, activity, {"id": ext_id}).activity_id


def test_a_run_matching_two_on_the_other_platform_is_kept_apart_and_status_says_why(
    store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    athlete = store.ensure_athlete("strava:7")
    garmin = _run(store, athlete, Source.GARMIN, "g1", 0, 10_000.0)
    first = _run(store, athlete, Source.STRAVA, "s1", 30, 10_050.0)
    again = _run(store, athlete, Source.STRAVA, "s2", 50, 9_990.0)  # the same run uploaded twice to Strava

    for order in ([first, garmin, again], [garmin, first, again], [again, first, garmin]):  # whatever comes first
        assert link_all(store, order) == []
    assert all(store.get_activity(i, with_streams=False).logical_group is None for i in (garmin, first, again))
    [warning] = store.input_warnings()
    assert (warning.activity_id, warning.kind) == (garmin, "twin")
    assert f"matches 2 other runs ({first}, {again})" in warning.message and "delete the wrong copy" in warning.message

    status = collect_status(status_reads(store), Settings(state_dir=tmp_path, config_path=None), "v")
    print_status(status)
    shown = [line for line in capsys.readouterr().out.splitlines() if line.startswith("warning:")]
    assert shown == [f"warning:  strava:7 activity {garmin} (garmin:g1, 2026-11-20): {warning.message}"]

    assert store.mark_deleted("strava", "s2")  # the runner deleted the duplicate
    [linked] = link_all(store, [garmin, first])
    assert linked.activity_ids == (garmin, first) and store.input_warnings() == []
