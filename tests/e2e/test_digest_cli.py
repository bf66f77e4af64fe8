"""`syncd digest` as a process: preview to a file, send over real SMTP (plain and STARTTLS+AUTH), usage errors."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.e2e.conftest import FIXTURES, RunSyncd
from tests.integration.digest_smtp import PASSWORD, USER, smtp_server

RUN = FIXTURES / "real" / "2013-02-06-12-11-14.fit"  # a hilly run on Wednesday 6 Feb 2013
WEEK = "2013-W06"
WEEK_SPAN = "4\u201310 Feb 2013"  # how the runner reads WEEK
CHROMIUM = Path("/usr/bin/chromium")


def mail_env(port: int, **extra: str) -> dict[str, str]:
    return {
        "SYNCD_EMAIL_HOST": "127.0.0.1",
        "SYNCD_EMAIL_PORT": str(port),
        "SYNCD_EMAIL_SECURITY": "none",
        "SYNCD_EMAIL_SENDER": "syncd <syncd@example.org>",
        "SYNCD_EMAIL_TO": "runner@example.org",
        **extra,
    }


def test_preview_writes_html_with_the_chart_inlined(run_syncd: RunSyncd, tmp_path: Path) -> None:
    assert run_syncd("import", RUN, "--quiet").returncode == 0
    out = tmp_path / "digest.html"
    result = run_syncd("digest", "--preview", out, "--week", WEEK)
    assert result.returncode == 0, result.stderr
    assert f"wrote {out}: Back-care week {WEEK_SPAN}: 1 run, " in result.stdout
    html = out.read_text(encoding="utf-8")
    assert f"Your back-care week, {WEEK_SPAN}" in html
    assert 'src="data:image/png;base64,iVBORw0KGgo' in html  # the PNG signature, base64
    assert "cid:" not in html
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium: the rendered-screenshot check needs it (.ci/run installs it)")
    shot = tmp_path / "digest.png"
    subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            f"--user-data-dir={tmp_path / 'chromium'}",
            "--window-size=700,1600",
            f"--screenshot={shot}",
            out.as_uri(),
        ],
        capture_output=True,
        timeout=120,
        check=True,
    )
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 20_000  # a blank page is a few KB; the digest with its chart is far more


def test_send_delivers_once_and_status_reports_it(run_syncd: RunSyncd) -> None:
    assert run_syncd("import", RUN, "--quiet").returncode == 0
    with smtp_server() as server:
        env = mail_env(server.port)
        first = run_syncd("digest", "--send", "--week", WEEK, env=env)
        second = run_syncd("digest", "--send", "--week", WEEK, env=env)
        status = run_syncd("status", "--json", env=env)
    assert first.returncode == 0, first.stderr
    assert f"sent local {WEEK}" in first.stdout and "1 sent" in first.stdout
    assert second.returncode == 0 and "0 sent" in second.stdout
    [received] = server.sink.received
    message = received.message()
    assert message["Subject"].startswith(f"Back-care week {WEEK_SPAN}: 1 run, ")
    assert received.rcpt_tos == ["runner@example.org"]
    digests = json.loads(status.stdout)["digests"]
    assert digests["sent"] == 1 and digests["recipients"] == 1 and digests["invalid_addresses"] == []


def test_send_over_starttls_trusting_the_ca_from_ssl_cert_file(run_syncd: RunSyncd, tmp_path: Path) -> None:
    assert run_syncd("import", RUN, "--quiet").returncode == 0
    password_file = tmp_path / "smtp_password"
    password_file.write_text(PASSWORD)
    with smtp_server(security="starttls", auth=True) as server:
        assert server.ca is not None
        ca_file = tmp_path / "ca.pem"
        server.ca.cert_pem.write_to_path(str(ca_file))
        env = mail_env(
            server.port,
            SYNCD_EMAIL_SECURITY="starttls",
            SYNCD_EMAIL_USERNAME=USER,
            SYNCD_EMAIL_PASSWORD_FILE=str(password_file),
            SSL_CERT_FILE=str(ca_file),
        )
        untrusted = run_syncd("digest", "--send", "--week", WEEK, env={**env, "SSL_CERT_FILE": "/nonexistent"})
        wrong_password = tmp_path / "wrong"
        wrong_password.write_text("not-the-password-123")
        denied = run_syncd(
            "digest", "--send", "--week", WEEK, env={**env, "SYNCD_EMAIL_PASSWORD_FILE": str(wrong_password)}
        )
        sent = run_syncd("digest", "--send", "--week", WEEK, env=env)
    assert untrusted.returncode == 1 and "TLS certificate not trusted" in untrusted.stderr
    assert denied.returncode == 1 and "rejected the login" in denied.stderr
    assert "not-the-password-123" not in denied.stdout + denied.stderr
    assert sent.returncode == 0, sent.stderr
    assert len(server.sink.received) == 1


def test_usage_errors_exit_2(run_syncd: RunSyncd) -> None:
    nothing = run_syncd("digest")
    assert nothing.returncode == 2 and "--preview FILE" in nothing.stderr
    bad_week = run_syncd("digest", "--preview", "x.html", "--week", "2026-47")
    assert bad_week.returncode == 2 and "use the form 2026-W47" in bad_week.stderr
    no_mail = run_syncd("digest", "--send")
    assert no_mail.returncode == 2 and "[email] host is not set" in no_mail.stderr


def test_chromium_is_where_the_screenshot_test_expects_it() -> None:
    if shutil.which("chromium") is None and not CHROMIUM.exists():
        pytest.skip("chromium not installed here")
    assert CHROMIUM.exists()
