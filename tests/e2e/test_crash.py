"""Crash suite (issue 17): real `syncd` processes killed with SIGKILL at random points, then started again.

Sync and write-back: the simulated Strava holds the API request numbered k (drawn per seed; for a PUT, applied
first or not) unanswered, the daemon is killed while it waits, and a new daemon (another pid, same host) must
recognise the dead worker's leases and finish at once: every eligible run noted exactly once, the athlete's text
byte-exact, SQLite intact, no request over the limits. Import: `syncd import` killed after a random delay, then
run again: the same activities and annotations as an uninterrupted import. Digests: `syncd digest --send` killed
while a real SMTP server (aiosmtpd) holds the k-th message, before it is accepted (RCPT) or after (QUIT, the 250
for DATA already given), then run again: every digest delivered, none lost; exactly once, except the one accepted
just before the kill, which arrives twice with the same Message-ID (the documented at-least-once point,
docs/digest.md).

`SYNCD_CRASH_SEEDS=100 pytest -m crash` runs more seeds (bench/RESULTS.md).
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from syncd.adapters.crypto import SecretBox, load_or_create_key
from syncd.adapters.db import Store
from syncd.testing import strava_harness as harness
from syncd.testing.invariants import check_notes
from syncd.testing.seed import seed_synthetic
from syncd.testing.strava_server import StravaSimulator, platform_normalise
from tests.e2e.conftest import SYNCD
from tests.e2e.daemon_proc import DaemonProcess, strava_env, wait_for
from tests.integration.digest_smtp import HoldingSink, smtp_server
from tests.integration.test_digest_send import add_week
from tests.real_sample import real_sample

pytestmark = [pytest.mark.crash, pytest.mark.slow]
SEEDS = int(os.environ.get("SYNCD_CRASH_SEEDS", "20"))
REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real"
TEXTS = ["Felt good.\r\nBack ok 🙂", "  with the club  ", "Ø løb — ½", ""]
# Seeds whose kill point lands between storing a run's summary or detail and annotating it (1, 3, 14, 15, 16 of the
# 20 CI seeds) failed until issue 17 item 2 (helper i14pipe) was merged; they pass since. Keep seeds here marked
# xfail(strict=True, reason=...) only while a known, filed fix is pending.
NEEDS_ITEM_2: set[int] = set()


@pytest.fixture
def sim() -> Iterator[StravaSimulator]:
    with StravaSimulator() as server:
        yield server
        server.release.set()


def _world(sim: StravaSimulator, state: Path, rng: random.Random) -> tuple[Store, dict[int, str]]:
    store = Store.open(f"sqlite:///{state / 'syncd.sqlite3'}", secret_box=SecretBox(load_or_create_key(state, None)))
    texts: dict[int, str] = {}
    end = datetime.now(UTC) - timedelta(hours=1)
    for index in range(2):
        athlete = sim.add_athlete(firstname=f"K{index}")
        for activity_id in seed_synthetic(sim, athlete.id, count=4, end=end, run_share=0.8, seed=rng.randrange(10**6)):
            text = platform_normalise(rng.choice(TEXTS))
            sim.update_activity(activity_id, description=text)
            texts[activity_id] = text
        harness.link(store, sim, athlete.id)
    return store, texts


def _integrity(state: Path) -> None:
    with sqlite3.connect(state / "syncd.sqlite3") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


@pytest.mark.parametrize(
    "seed",
    [
        pytest.param(s, marks=pytest.mark.xfail(strict=True, reason="issue 17 item 2, i14pipe"))
        if s in NEEDS_ITEM_2
        else s
        for s in range(SEEDS)
    ],
)
def test_sigkill_during_sync_or_write_back_then_restart(
    seed: int, sim: StravaSimulator, syncd_env: dict[str, str], tmp_path: Path
) -> None:
    rng = random.Random(seed)
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    store, texts = _world(sim, state, rng)
    env = {**syncd_env, **strava_env(sim), "SYNCD_STATE_DIR": str(state)}
    sim.hold_at = sim.api_requests + rng.randint(1, 20)
    sim.hold_applies = rng.random() < 0.5
    first = DaemonProcess(SYNCD, env)
    try:

        def held_or_done() -> bool:  # k past the last request: the kill lands on an idle daemon, also a case
            return sim.held.is_set() or check_notes(store, sim, texts, now=datetime.now(UTC)).converged

        wait_for(held_or_done, 90, "the held request")
        first.proc.send_signal(signal.SIGKILL)
    finally:
        first.kill()
    sim.release.set()
    _integrity(state)
    killed_at = sim.requests[-1] if sim.requests else None

    began = time.monotonic()
    second = DaemonProcess(SYNCD, env)
    try:

        def converged() -> bool:
            return check_notes(store, sim, texts, now=datetime.now(UTC)).converged

        try:
            wait_for(converged, 30, f"every run noted after the restart (killed at {killed_at})")
        except AssertionError as exc:
            problems = check_notes(store, sim, texts, now=datetime.now(UTC))
            raise AssertionError(f"{exc}; {problems}; log of the restarted daemon:\n{second.output()}") from None
        recovered_s = time.monotonic() - began
        second.wait_healthy()  # converged before it finished starting: SIGTERM only once it serves
        assert second.terminate() == 0, second.output()
    finally:
        if second.proc.poll() is None:
            second.kill()
    check = check_notes(store, sim, texts, now=datetime.now(UTC))
    print(f"\nseed {seed}: killed at {killed_at}, recovered in {recovered_s:.1f} s, {check.noted} runs noted")
    assert check.problems == [] and check.converged
    assert recovered_s < 30  # the dead worker's leases were not waited out (15 minutes)
    assert sim.over_limit == 0
    _integrity(state)
    store.close()


def _import(state: Path, folder: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(SYNCD), "import", str(folder), "--quiet"],
        env={**env, "SYNCD_STATE_DIR": str(state)},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _snapshot(state: Path) -> tuple[list[tuple[str, str]], int, int]:
    with sqlite3.connect(state / "syncd.sqlite3") as db:
        activities = sorted(db.execute("SELECT source, external_id FROM activities").fetchall())
        annotated = db.execute("SELECT count(DISTINCT activity_id) FROM annotations").fetchone()[0]
        doubled = db.execute(
            "SELECT count(*) FROM (SELECT activity_id, rules_version FROM annotations "
            "GROUP BY activity_id, rules_version HAVING count(*) > 1)"
        ).fetchone()[0]
    return activities, annotated, doubled


@pytest.fixture(scope="module")
def reference_import(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[tuple[str, str]], int, int]:
    base = tmp_path_factory.mktemp("reference")
    (base / "config.toml").write_text("")
    env = {**os.environ, "SYNCD_CONFIG": str(base / "config.toml")}
    done = _import(base / "state", real_sample(base), env)
    done.communicate(timeout=300)
    return _snapshot(base / "state")


@pytest.mark.parametrize("seed", range(max(4, SEEDS // 4)))
def test_sigkill_during_import_then_import_again(
    seed: int, tmp_path: Path, reference_import: tuple[list[tuple[str, str]], int, int]
) -> None:
    rng = random.Random(seed)
    folder = tmp_path / "in"
    shutil.copytree(real_sample(tmp_path / "sample"), folder)
    (tmp_path / "config.toml").write_text("")
    env = {**os.environ, "SYNCD_CONFIG": str(tmp_path / "config.toml")}
    state = tmp_path / "state"
    victim = _import(state, folder, env)
    time.sleep(rng.uniform(0.5, 4.0))
    victim.send_signal(signal.SIGKILL)
    victim.communicate(timeout=30)
    again = _import(state, folder, env)
    _out, err = again.communicate(timeout=300)
    assert again.returncode == 0, err[-2000:]
    _integrity(state)
    assert _snapshot(state) == reference_import


DIGEST_WEEK = "2026-W47"  # add_week's runs: 16-22 Nov 2026
DIGEST_ATHLETES = 4


def _digest_send(state: Path, port: int, env: dict[str, str]) -> subprocess.Popen[str]:
    mail = {
        "SYNCD_STATE_DIR": str(state),
        "SYNCD_EMAIL_HOST": "127.0.0.1",
        "SYNCD_EMAIL_PORT": str(port),
        "SYNCD_EMAIL_SECURITY": "none",
        "SYNCD_EMAIL_SENDER": "syncd <syncd@example.org>",
    }
    return subprocess.Popen(
        [str(SYNCD), "digest", "--send", "--week", DIGEST_WEEK],
        env={**env, **mail},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.parametrize("seed", range(max(4, SEEDS // 4)))
def test_sigkill_during_digest_send_then_send_again(seed: int, syncd_env: dict[str, str], tmp_path: Path) -> None:
    rng = random.Random(seed)
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    with Store.open(
        f"sqlite:///{state / 'syncd.sqlite3'}", secret_box=SecretBox(load_or_create_key(state, None))
    ) as store:
        for index in range(DIGEST_ATHLETES):
            add_week(store, f"club{index}", email=f"runner{index}@example.org", opt_in=True)
    # seed 0 and 1 pin both phases; the rest draw them
    phase = ("rcpt", "quit")[seed] if seed < 2 else rng.choice(["rcpt", "quit"])
    sink = HoldingSink(hold_at=rng.randint(1, DIGEST_ATHLETES), phase=phase)
    with smtp_server(sink=sink) as server:
        victim = _digest_send(state, server.port, syncd_env)
        try:
            wait_for(sink.held.is_set, 60, f"the SMTP server to hold message {sink.hold_at} at {phase}")
            victim.send_signal(signal.SIGKILL)
            victim.communicate(timeout=30)
        finally:
            if victim.poll() is None:
                victim.kill()
                victim.communicate(timeout=30)
        sink.release.set()
        _integrity(state)
        accepted_before = [r.message()["Message-ID"] for r in sink.received]

        again = _digest_send(state, server.port, syncd_env)
        out, err = again.communicate(timeout=120)
    assert again.returncode == 0, err[-2000:]
    ids = [r.message()["Message-ID"] for r in sink.received]
    per_athlete = {f"runner{i}@example.org": 0 for i in range(DIGEST_ATHLETES)}
    for received in sink.received:
        for rcpt in received.rcpt_tos:
            per_athlete[rcpt] += 1
    print(
        f"\nseed {seed}: killed holding message {sink.hold_at} at {phase}; {len(accepted_before)} accepted before the "
        f"kill; after the restart {sorted(per_athlete.values())} copies per athlete; restart said {out.strip()!r}"
    )
    assert all(count >= 1 for count in per_athlete.values()), per_athlete  # no digest lost
    if phase == "rcpt":  # killed before the server accepted it: each digest exactly once
        assert sorted(per_athlete.values()) == [1] * DIGEST_ATHLETES, per_athlete
        assert len(set(ids)) == len(ids) == DIGEST_ATHLETES
    else:  # accepted, then killed before marking it sent: that one arrives twice, with the same Message-ID (the
        # restart takes the dead sender's claim over; a loaded machine once made it skip that digest instead)
        assert sorted(per_athlete.values()) == [1] * (DIGEST_ATHLETES - 1) + [2], per_athlete
        assert len(set(ids)) == DIGEST_ATHLETES and len(ids) == DIGEST_ATHLETES + 1
        assert ids.count(accepted_before[-1]) == 2
    assert f"{DIGEST_ATHLETES - sink.hold_at + 1} sent" in out  # the restart sent what was left, not all again
    with Store.open(f"sqlite:///{state / 'syncd.sqlite3'}") as store:
        assert store.digest_log.sent_count() == DIGEST_ATHLETES
    _integrity(state)
