"""syncd as installed: the sdist, the wheel built from it, a fresh venv outside the checkout, and a user's first day.

`python -m build` makes the sdist and then the wheel *from the sdist*, so a file MANIFEST.in misses is missing from
the wheel as well; the wheel goes into a new virtual environment in a temporary directory (dependencies come through
pip and its cache, as for a user), and every command runs from there, never importing the checkout.
"""

from __future__ import annotations

import email
import email.policy
import json
import os
import signal
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
import requests

from syncd.testing.seed import seed_synthetic
from syncd.testing.strava_server import StravaSimulator
from tests.integration.digest_smtp import smtp_server
from tests.net import free_port

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Installed:
    venv: Path
    wheel: Path
    sdist: Path
    work: Path

    @property
    def syncd(self) -> Path:
        return self.venv / "bin" / "syncd"


def _run(cmd: list[str | Path], **kwargs: object) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, check=False, **kwargs)  # type: ignore[call-overload]
    assert result.returncode == 0, f"{cmd}: {result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    work = tmp_path_factory.mktemp("installed")
    assert ROOT not in work.parents
    dist = work / "dist"
    _run([sys.executable, "-m", "build", "--outdir", dist, ROOT], timeout=900)
    [wheel] = dist.glob("syncd-*.whl")
    [sdist] = dist.glob("syncd-*.tar.gz")
    venv = work / "venv"
    _run([sys.executable, "-m", "venv", venv], timeout=300)
    _run([venv / "bin" / "python", "-m", "pip", "install", "--quiet", wheel], timeout=900, cwd=work)
    return Installed(venv, wheel, sdist, work)


def _package_data() -> set[str]:
    """Every file of the package that is not Python source: templates, static files, resources, migrations."""
    found = set()
    for path in (ROOT / "syncd").rglob("*"):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix not in (".py", ".pyc"):
            found.add(path.relative_to(ROOT).as_posix())
    return found


def test_wheel_and_sdist_carry_every_template_static_file_and_migration(installed: Installed) -> None:
    wanted = _package_data()
    assert "syncd/entrypoints/web/static/style.css" in wanted and "syncd/resources/config.example.toml" in wanted
    migrations = {p.relative_to(ROOT).as_posix() for p in (ROOT / "syncd/adapters/db/migrations").rglob("*.py")}
    in_wheel = set(zipfile.ZipFile(installed.wheel).namelist())
    assert wanted | migrations <= in_wheel, sorted((wanted | migrations) - in_wheel)
    with tarfile.open(installed.sdist) as sdist:
        prefix = sdist.getnames()[0].split("/")[0] + "/"
        in_sdist = {name.removeprefix(prefix) for name in sdist.getnames()}
    assert wanted | migrations <= in_sdist, sorted((wanted | migrations) - in_sdist)


@pytest.fixture
def user_env(tmp_path: Path) -> dict[str, str]:
    """A user's environment: their own HOME and XDG directories, nothing of the checkout or the test run."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SYNCD_", "XDG_", "CREDENTIALS_DIRECTORY"))}
    env.pop("STATE_DIRECTORY", None)
    env.pop("PYTHONPATH", None)
    env.update(
        HOME=str(tmp_path / "home"),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_STATE_HOME=str(tmp_path / "state"),
    )
    return env


def _syncd(installed: Installed, env: dict[str, str], *args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(installed.syncd), *map(str, args)],
        env=env,
        cwd=installed.work,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def test_the_installed_syncd_is_the_wheel_not_the_checkout(installed: Installed, user_env: dict[str, str]) -> None:
    python = installed.venv / "bin" / "python"
    where = _run([python, "-c", "import syncd; print(syncd.__file__)"], env=user_env, cwd=installed.work)
    assert Path(where.stdout.strip()).is_relative_to(installed.venv)


def test_demo_once_from_the_wheel(installed: Installed, user_env: dict[str, str]) -> None:
    result = _syncd(installed, user_env, "demo", "--once")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "feed:    http://127.0.0.1:" in result.stdout
    assert "webhook: a new run was uploaded" in result.stdout


@contextmanager
def running(installed: Installed, env: dict[str, str], port: int) -> Iterator[str]:
    """`syncd run` from the wheel on `port`; yields its base URL once it says it serves, stops it with SIGTERM."""
    process = subprocess.Popen(
        [str(installed.syncd), "run", "--seconds", "120"],
        env={**env, "SYNCD_WEB_PORT": str(port)},
        cwd=installed.work,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    try:
        assert process.stderr is not None
        seen = []
        for line in process.stderr:
            seen.append(line)
            if "syncd: serving http://" in line:
                break
        else:
            pytest.fail("syncd run did not serve: " + "".join(seen)[-3000:])
        yield f"http://127.0.0.1:{port}"
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            assert process.wait(timeout=60) == 0
        finally:
            if process.poll() is None:
                process.kill()


def test_run_from_the_wheel_serves_the_feed_and_health(installed: Installed, user_env: dict[str, str]) -> None:
    with running(installed, user_env, free_port()) as base:
        page = requests.get(f"{base}/", timeout=30)
        assert page.status_code == 200 and "<main" in page.text and "/static/style.css" in page.text, page.text[:500]
        assert requests.get(f"{base}/static/style.css", timeout=30).status_code == 200
        health = requests.get(f"{base}/healthz", timeout=30)
        assert health.status_code == 200 and health.json()["status"] == "ok"


def test_a_web_failure_that_is_not_the_port_does_not_blame_the_port(
    installed: Installed, user_env: dict[str, str], tmp_path: Path
) -> None:
    """A broken installation (the static files gone) says what is wrong, not "free the port"."""
    broken = tmp_path / "venv"
    subprocess.run(["cp", "-a", str(installed.venv), str(broken)], check=True)
    static = next(broken.glob("lib/python*/site-packages/syncd/entrypoints/web/static"))
    for item in static.iterdir():
        item.unlink()
    static.rmdir()
    result = subprocess.run(
        [str(broken / "bin" / "python"), "-m", "syncd.entrypoints.cli", "run", "--seconds", "5"],
        env={**user_env, "SYNCD_WEB_PORT": str(free_port())},
        cwd=installed.work,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1, result.stderr[-2000:]
    error = [line for line in result.stderr.splitlines() if line.startswith("syncd: error:")]
    assert len(error) == 1 and "static" in error[0] and "reinstall" in error[0], result.stderr[-2000:]
    assert "port" not in error[0].split("(")[0] and "free the port" not in error[0]


def test_a_taken_port_is_named_as_such(installed: Installed, user_env: dict[str, str]) -> None:
    with running(installed, user_env, free_port()) as base:
        port = base.rsplit(":", 1)[1]
        second = _syncd(installed, {**user_env, "SYNCD_WEB_PORT": port}, "run", "--seconds", "5")
    assert second.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in second.stderr and "free the port" in second.stderr


def _message(data: bytes) -> EmailMessage:
    parsed = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def test_a_runner_links_strava_syncs_gets_one_digest_and_unsubscribes(
    installed: Installed, user_env: dict[str, str], tmp_path: Path
) -> None:
    """The one-person install: only `[email] to` set, the athlete linked with Strava, not `local`."""
    with StravaSimulator() as sim, smtp_server() as smtp:
        athlete = sim.add_athlete(firstname="Eve", lastname="Hills")
        last_week = datetime.now(UTC) - timedelta(days=7)
        seed_synthetic(sim, athlete.id, count=8, end=last_week, run_share=0.6, gear_id="g1")
        sim.add_gear(athlete.id, "g1", "Trail Shoes", 420_000.0)
        tokens = sim.issue_tokens(athlete.id)
        token_file = tmp_path / "tokens.json"
        token_file.write_text(json.dumps({k: tokens[k] for k in ("access_token", "refresh_token", "expires_at")}))
        port = free_port()
        env = {
            **user_env,
            "SYNCD_STRAVA_CLIENT_ID": str(sim.client_id),
            "SYNCD_STRAVA_CLIENT_SECRET": sim.client_secret,
            "SYNCD_STRAVA_API_URL": sim.api_url,
            "SYNCD_STRAVA_OAUTH_URL": sim.oauth_url,
            "SYNCD_EMAIL_HOST": smtp.host,
            "SYNCD_EMAIL_PORT": str(smtp.port),
            "SYNCD_EMAIL_SECURITY": "none",
            "SYNCD_EMAIL_SENDER": "syncd <syncd@example.org>",
            "SYNCD_EMAIL_TO": "runner@example.org",
            "SYNCD_WEB_PORT": str(port),
            "SYNCD_WEB_BASE_URL": f"http://127.0.0.1:{port}",
        }

        linked = _syncd(installed, env, "link", "strava", "--token-file", token_file)
        assert linked.returncode == 0, linked.stderr
        synced = _syncd(installed, env, "sync", "--once")
        assert synced.returncode == 0, synced.stdout + synced.stderr
        assert f"strava:{athlete.id}: 8 new, 0 updated," in synced.stdout
        doctor = _syncd(installed, env, "doctor")
        assert f"[email] to means strava:{athlete.id}" in doctor.stdout, doctor.stdout

        sent = _syncd(installed, env, "digest", "--send")
        assert sent.returncode == 0, sent.stdout + sent.stderr
        assert "1 sent" in sent.stdout
        assert len(smtp.sink.received) == 1
        mail = _message(smtp.sink.received[0].data)
        assert smtp.sink.received[0].rcpt_tos == ["runner@example.org"]
        assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        url = str(mail["List-Unsubscribe"]).strip("<>")
        assert url.startswith(f"http://127.0.0.1:{port}/unsubscribe?t=")
        body = mail.get_body(("plain",))
        assert body is not None and url in body.get_content()  # the visible link, too
        assert f"http://127.0.0.1:{port}/" in body.get_content()  # the feed link from [web] base_url

        # The daemon serves the link; it neither syncs nor mails here (no Strava or email settings for it).
        daemon_env = {k: v for k, v in env.items() if not k.startswith(("SYNCD_STRAVA_", "SYNCD_EMAIL_"))}
        with running(installed, daemon_env, port):
            confirm = requests.get(url, timeout=30)  # what a link scanner or prefetcher does: changes nothing
            assert confirm.status_code == 200 and "<form" in confirm.text
            forged = requests.post(url[:-3] + "AAA", data="List-Unsubscribe=One-Click", timeout=30)
            assert forged.status_code == 400
            still = _syncd(installed, env, "athlete", "show", "--json")
            assert json.loads(still.stdout)["digest"].startswith("to runner@example.org")
            one_click = requests.post(
                url,
                data="List-Unsubscribe=One-Click",
                headers={"Content-Type": "application/x-www-form-urlencoded"},
                timeout=30,
            )
            assert one_click.status_code == 200 and "unsubscribed" in one_click.text

        week_before = (datetime.now(UTC) - timedelta(weeks=2)).strftime("%G-W%V")
        again = _syncd(installed, env, "digest", "--send", "--week", week_before)
        assert again.returncode == 0, again.stdout + again.stderr
        assert "0 sent" in again.stdout
        assert len(smtp.sink.received) == 1
        doctor = _syncd(installed, env, "doctor")
        assert "[warn] digest: email is configured but nobody will receive a digest" in doctor.stdout
