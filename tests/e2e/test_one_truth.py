"""A change reaches every surface at once (issue 27), as a runner meets it: `syncd sync --once` with the real
stravalib client against the simulated Strava. A `#back 6` typed into the title of an earlier run turns the notes of
every later run in the window to sore after the next one-shot sync, in syncd and on Strava (the tag is on Strava),
without waiting for the daemon's daily re-scan; the title stays byte for byte the runner's."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from syncd.adapters.db import Store
from syncd.domain.description import START_MARKER
from syncd.testing.seed import detail_payload, streams_payload, synthetic_run
from syncd.testing.strava_server import StravaSimulator
from tests.e2e.conftest import RunSyncd

TITLE = "Hill reps w/ Jo  \u2014 knackered \U0001f62c"
SORE_ON_STRAVA = "Mode: sore (your #back tag in the last 7 days)."
SORE_IN_SYNCD = "Mode: sore (back pain logged in the last 7 days)."


@pytest.fixture
def sim() -> Iterator[StravaSimulator]:
    with StravaSimulator() as server:
        yield server


def _add_runs(sim: StravaSimulator, athlete: int, days_ago: list[float]) -> list[int]:
    ids = []
    for index, days in enumerate(days_ago):
        start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=days)
        run = synthetic_run(start, minutes=35, pace_s_per_km=330, seed=index + 1)
        assert run.streams is not None
        detail = {**detail_payload(run, start=start), "name": TITLE if index == 0 else f"Easy {index}"}
        ids.append(sim.add_activity(athlete, detail, streams_payload(run.streams)))
    return ids


def _linked_and_synced(
    run_syncd: RunSyncd, sim: StravaSimulator, tmp_path: Path
) -> tuple[int, list[int], dict[str, str]]:
    """Ada with four runs over five days, linked and synced once: every note written, all staying well."""
    athlete = sim.add_athlete(firstname="Ada", lastname="Runner").id
    runs = _add_runs(sim, athlete, [5.2, 4.1, 3.2, 1.1])
    tokens = sim.issue_tokens(athlete)
    token_file = tmp_path / "tokens.json"
    token_file.write_text(json.dumps({k: tokens[k] for k in ("access_token", "refresh_token", "expires_at")}))
    env = {
        "SYNCD_STRAVA_CLIENT_ID": str(sim.client_id),
        "SYNCD_STRAVA_CLIENT_SECRET": sim.client_secret,
        "SYNCD_STRAVA_API_URL": sim.api_url,
        "SYNCD_STRAVA_OAUTH_URL": sim.oauth_url,
        "SYNCD_STRAVA_WRITE_BACK": "all",
    }
    assert run_syncd("link", "strava", "--token-file", token_file, env=env).returncode == 0
    first = run_syncd("sync", "--once", env=env)
    assert first.returncode == 0, first.stdout + first.stderr
    for run in runs:
        assert "Mode: staying well" in (sim.description(run) or "")
    return athlete, runs, env


def _store(syncd_env: dict[str, str]) -> Store:
    state = Path(syncd_env["XDG_STATE_HOME"]) / "syncd"
    [database] = [*state.glob("*.sqlite3"), *state.glob("*.db")]
    return Store.open(f"sqlite:///{database}")


def test_a_back_tag_in_an_earlier_title_turns_every_later_note_sore_at_the_next_sync(
    run_syncd: RunSyncd, sim: StravaSimulator, tmp_path: Path, syncd_env: dict[str, str]
) -> None:
    athlete, (earlier, *later), env = _linked_and_synced(run_syncd, sim, tmp_path)

    # the runner types the tag into the earlier run's title on Strava (no webhook here: the next one-shot sync)
    tagged_title = TITLE + " #back 6"
    sim.update_activity(earlier, name=tagged_title)
    puts_before = sim.count("PUT")
    second = run_syncd("sync", "--once", env=env)
    assert second.returncode == 0, second.stdout + second.stderr

    # on Strava: every later run's note is sore now; the tagged run's own note (written before the tag counts) and
    # its title are as they were: only the three notes that changed were written
    for run in later:
        text = sim.description(run) or ""
        assert START_MARKER in text and SORE_ON_STRAVA in text, text
    assert "Keep moving gently for a day or two" in (sim.description(later[0]) or "")  # the first run since the pain
    assert "Mode: staying well" in (sim.description(earlier) or "")
    assert sim.count("PUT") - puts_before == len(later)
    [detail] = [d for d in sim.athletes[athlete].activities.values() if d["id"] == earlier]
    assert detail["name"] == tagged_title  # byte for byte the runner's

    # in syncd: the same runs' own notes are sore, and nothing is left for the daily re-scan to redo
    with _store(syncd_env) as store:
        for run in later:
            activity_id = store.find_activity_id("strava", str(run))
            assert activity_id is not None
            own = store.latest_annotation(activity_id)
            assert own is not None and own.note is not None and own.note.startswith(SORE_IN_SYNCD), own
        athlete_id = store.get_activity(activity_id, with_streams=False).athlete_id
        assert store.annotation_batches.marked_stale_ids(athlete_id) == []

    # a third sync with nothing new writes nothing (an unchanged note is never queued again)
    puts_before = sim.count("PUT")
    assert run_syncd("sync", "--once", env=env).returncode == 0
    assert sim.count("PUT") == puts_before


def test_pain_typed_on_the_cli_reaches_the_later_notes_in_that_command_and_not_the_platform(
    run_syncd: RunSyncd, sim: StravaSimulator, tmp_path: Path, syncd_env: dict[str, str]
) -> None:
    """`syncd pain` redoes the notes it reaches before it returns; Strava's notes carry no pain from the CLI, so
    nothing is queued for Strava (an unchanged platform note is never queued again)."""
    athlete, (earlier, *later), env = _linked_and_synced(run_syncd, sim, tmp_path)
    with _store(syncd_env) as store:
        stored = store.get_activity(store.find_activity_id("strava", str(earlier)) or 0, with_streams=False)
        day = stored.activity.start_local.date().isoformat()
    recorded = run_syncd("pain", f"strava:{athlete}", day, "7", env=env)
    assert recorded.returncode == 0, recorded.stderr
    assert f"{len(later) + 1} note(s) redone with it" in recorded.stdout  # the runs from that day on
    with _store(syncd_env) as store:
        for run in later:
            own = store.latest_annotation(store.find_activity_id("strava", str(run)) or 0)
            assert own is not None and own.note is not None and own.note.startswith(SORE_IN_SYNCD), own
        assert store.outbox_log.pending_items() == []
    puts = sim.count("PUT")
    assert run_syncd("sync", "--once", env=env).returncode == 0
    assert sim.count("PUT") == puts
    assert all("Mode: staying well" in (sim.description(run) or "") for run in later)


def test_status_and_accounts_say_what_the_daemon_will_do(
    run_syncd: RunSyncd, sim: StravaSimulator, tmp_path: Path
) -> None:
    """No "write-back off" beside notes written with the athlete's own choice, no fixed "polled every 15 min"
    beside an adaptive next poll hours away: the status shows the write-back each account gets and the next poll."""
    athlete, runs, env = _linked_and_synced(run_syncd, sim, tmp_path)
    off = {**env, "SYNCD_STRAVA_WRITE_BACK": "off"}
    status = run_syncd("status", env=off)
    assert status.returncode == 0, status.stderr
    assert "polled every" not in status.stdout and "next poll " in status.stdout
    assert "write-back off" in status.stdout
    assert f"{len(runs)} written (before write-back was turned off)" in status.stdout

    # the athlete's own choice wins over the platform's default: the status and the accounts say so
    chosen = run_syncd("athlete", "set", f"strava:{athlete}", "--write-back", "all", env=off)
    assert chosen.returncode == 0, chosen.stderr
    status = run_syncd("status", env=off)
    assert "write-back all" in status.stdout and "write-back off" not in status.stdout
    assert "before write-back was turned off" not in status.stdout
    accounts = run_syncd("accounts", "--json", env=off)
    [row] = json.loads(accounts.stdout)["accounts"]
    assert row["write_back"] == "all"
    listed = run_syncd("accounts", env=off)
    assert "write-back" in listed.stdout.splitlines()[0] and listed.stdout.splitlines()[1].rstrip().endswith("all")
