"""`syncd athlete set --notify`, `syncd notify test` and `syncd status` as processes, against a loopback
ntfy-compatible server: bad URLs are one line naming the key (never the URL), the athlete's URL is stored encrypted,
the test message arrives, a failing target says so with exit 1, and `status` stays light (no Apprise import)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from tests.e2e.conftest import FIXTURES, RunSyncd
from tests.ntfy_receiver import NtfyReceiver

PASSWORD = "cli-n0tify-secret"


def _db(syncd_env: dict[str, str]) -> sa.Engine:
    return sa.create_engine(f"sqlite:///{Path(syncd_env['XDG_STATE_HOME']) / 'syncd' / 'syncd.sqlite3'}")


def test_notify_targets_from_the_command_line(run_syncd: RunSyncd, syncd_env: dict[str, str]) -> None:
    assert run_syncd("import", FIXTURES / "real" / "run.fit", "--quiet").returncode == 0
    bad = run_syncd("athlete", "set", "--notify", "ntfy://ok/topic", "--notify", f"tgram:{PASSWORD}")
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1, bad.stderr
    assert "--notify: entry 2 is not an Apprise URL" in bad.stderr and PASSWORD not in bad.stderr
    broken_config = run_syncd("status", env={"SYNCD_NOTIFY_URLS": f"ntfy://fine/x ntfy:/{PASSWORD}"})
    assert broken_config.returncode == 2 and "[notify] urls: entry 2" in broken_config.stderr
    assert PASSWORD not in broken_config.stderr and len(broken_config.stderr.strip().splitlines()) == 1

    doctor = run_syncd("doctor", env={"SYNCD_NOTIFY_URLS": f"ntfy://h/topic bogus://{PASSWORD}/y"})
    assert "[FAIL] notify: [notify] urls: Apprise cannot use entry 2 (bogus://)" in doctor.stdout
    assert PASSWORD not in doctor.stdout + doctor.stderr and doctor.returncode == 1

    nothing = run_syncd("notify", "test")
    assert nothing.returncode == 1 and "has no push target" in nothing.stderr

    with NtfyReceiver(user="runner", password=PASSWORD) as receiver, NtfyReceiver() as failing:
        failing.fail_with = 503
        url = receiver.url("runner-topic")
        done = run_syncd("athlete", "set", "--notify", url)
        assert done.returncode == 0, done.stderr
        assert "local: notify 1 URL(s) set (ntfy), stored encrypted" in done.stdout and PASSWORD not in done.stdout
        engine = _db(syncd_env)
        with engine.connect() as conn:
            sealed = bytes(conn.execute(sa.text("SELECT urls_encrypted FROM notify_targets")).scalar_one())
        engine.dispose()
        assert PASSWORD.encode() not in sealed and b"runner-topic" not in sealed

        sent = run_syncd("--log-format", "json", "notify", "test", "local")
        assert sent.returncode == 0, sent.stderr
        assert "local athlete:1 (ntfy): sent" in sent.stdout
        [message] = receiver.messages
        assert (message.topic, message.title) == ("runner-topic", "syncd test")

        config_url = failing.url("ops")
        both = run_syncd("notify", "test", env={"SYNCD_NOTIFY_URLS": config_url})
        assert both.returncode == 1
        assert "local config:1 (ntfy): FAILED: ntfy: not delivered" in both.stdout
        assert "local athlete:1 (ntfy): sent" in both.stdout and len(receiver.messages) == 2
        for output in (sent, both):
            assert PASSWORD not in output.stdout + output.stderr and "runner-topic" not in output.stdout + output.stderr

    bad_kinds = run_syncd("athlete", "set", "--notify-kinds", "note,weekly")
    assert bad_kinds.returncode == 2 and "--notify-kinds: unknown kind 'weekly'" in bad_kinds.stderr
    kinds = run_syncd("athlete", "set", "--notify-kinds", "note,checkin")
    assert kinds.returncode == 0 and "local: notify kinds off: digest" in kinds.stdout
    assert "notify       athlete:1 (ntfy); off for this athlete: digest" in run_syncd("athlete", "show").stdout
    cleared = run_syncd("athlete", "set", "--notify", "none")
    assert cleared.returncode == 0 and "notify removed" in cleared.stdout


def test_status_does_not_load_apprise(syncd_env: dict[str, str], run_syncd: RunSyncd) -> None:
    assert run_syncd("import", FIXTURES / "real" / "run.fit", "--quiet").returncode == 0
    probe = (
        "import sys\n"
        "from syncd.entrypoints.cli import main\n"
        "code = main(['status'])\n"
        "print('apprise loaded' if 'apprise' in sys.modules else 'apprise not loaded')\n"
        "sys.exit(code)\n"
    )
    env = {**syncd_env, "SYNCD_NOTIFY_URLS": "ntfy://127.0.0.1:9/x"}
    result = subprocess.run(
        [sys.executable, "-c", probe], check=False, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("apprise not loaded")


def test_sync_once_pushes_a_flagged_run_and_status_shows_the_targets(run_syncd: RunSyncd, tmp_path: Path) -> None:
    """A timer running `syncd sync --once` is its only chance: the run's note is pushed in that same run."""
    import json
    from datetime import UTC, datetime, timedelta

    from syncd.testing.seed import detail_payload, streams_payload, synthetic_run
    from syncd.testing.strava_server import StravaSimulator

    with StravaSimulator() as sim, NtfyReceiver(user="runner", password=PASSWORD) as receiver:
        athlete = sim.add_athlete(firstname="Eve")
        start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
        run = synthetic_run(start, minutes=0, pace_s_per_km=0, seed=3, plan=[(3, 230), (2, 420)] * 3 + [(3, 230)])
        detail = detail_payload(run, start=start)
        detail["workout_type"] = 3  # a workout straight from the start: speed work and no warm-up
        sim.add_activity(athlete.id, detail, streams_payload(run.streams) if run.streams is not None else None)
        env = {
            "SYNCD_STRAVA_CLIENT_ID": str(sim.client_id),
            "SYNCD_STRAVA_CLIENT_SECRET": sim.client_secret,
            "SYNCD_STRAVA_API_URL": sim.api_url,
            "SYNCD_STRAVA_OAUTH_URL": sim.oauth_url,
            "SYNCD_ADVICE_MODE": "sore",
            "SYNCD_WEB_BASE_URL": "https://syncd.example.org",
            "SYNCD_NOTIFY_URLS": receiver.url(),
            "SYNCD_NOTIFY_CHECKIN": "false",
            "SYNCD_NOTIFY_DIGEST": "off",
            "SYNCD_NOTIFY_QUIET_START": "0",  # no quiet hours: the test must not depend on the time of day
            "SYNCD_NOTIFY_QUIET_END": "0",
        }
        tokens = sim.issue_tokens(athlete.id)
        token_file = tmp_path / "tokens.json"
        token_file.write_text(json.dumps({k: tokens[k] for k in ("access_token", "refresh_token", "expires_at")}))
        assert run_syncd("link", "strava", "--token-file", token_file, env=env).returncode == 0
        synced = run_syncd("sync", "--once", env=env)
        assert synced.returncode == 0, synced.stderr
        assert "notify: 1 sent" in synced.stdout
        [message] = receiver.messages
        assert (
            message.title.startswith("Back-care caution: ")
            and "https://syncd.example.org/activities/" in message.message
        )
        again = run_syncd("sync", "--once", env=env)
        assert again.returncode == 0 and "notify:" not in again.stdout and len(receiver.messages) == 1  # once per run
        status = run_syncd("status", env=env)
        assert "notify:   1 target(s)" in status.stdout
        assert "strava:1001 config:1 (ntfy): 1 sent, 0 waiting, 0 given up" in status.stdout
        as_json = json.loads(run_syncd("status", "--json", env=env).stdout)["notify"]
        assert [(t["athlete"], t["target"], t["scheme"], t["sent"]) for t in as_json] == [
            ("strava:1001", "config:1", "ntfy", 1)
        ]
        shown = run_syncd("athlete", "show", env=env)
        assert "notify       config:1 (ntfy)" in shown.stdout
        for output in (synced, again, status, shown):
            assert PASSWORD not in output.stdout + output.stderr
