"""`syncd demo`: the whole daemon against a simulated Strava, with no account, credentials or network.

It starts the simulated Strava server (syncd.testing) on 127.0.0.1, seeds a demo athlete with five weeks of
runs, rides and strength sessions after a lighter month and a 16-day break (their first week, a return too big for
the usual week before it; one calendar week of the same run day after day, laid out by local day so it shows whatever
the hour and weekday) and a showcase (a downhill, a missed warm-up, a long-run spike, a surface from a small
bundled OSM extract), links that athlete, and runs the real daemon against it: sync, annotate, write
the notes back into the simulated activities' descriptions, serve the feed, then a webhook event for a new run and
a digest preview written to a file. Everything lives in its own temporary state directory (deleted at the end
unless --keep), so real data is never touched. Ctrl-C stops it; --once stops after the first full pass.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from syncd.config import Settings

if TYPE_CHECKING:
    from syncd.entrypoints.daemon import Daemon
    from syncd.testing.strava_server import StravaSimulator

DEMO_VERIFY_TOKEN = "syncd-demo-verify-token"  # not a secret: the demo's webhook is on loopback only
WEBHOOK_WAIT_S = 60.0
DEMO_MARKER = ".syncd-demo"  # marks a state directory the demo made, so a second run may clear it and no other
CLI_CONFIG = "syncd.toml"  # the demo's settings for the other commands on a kept state directory


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="run the daemon against a simulated Strava (no account, no network) and show the results",
        description="Starts a simulated Strava with a few weeks of activities, links a demo athlete and runs the "
        "real daemon against it: notes written into the activities' descriptions, the feed served, a webhook "
        "event handled and a digest preview written. Uses a temporary state directory; never touches real data.",
    )
    parser.add_argument("--once", action="store_true", help="exit after the first full pass (for scripts and CI)")
    parser.add_argument("--seconds", type=float, metavar="N", help="keep serving N seconds, then exit")
    parser.add_argument("--port", type=int, default=0, help="port for the feed (default: any free port)")
    parser.add_argument("--state-dir", type=Path, help="keep the demo's database here (default: a temp directory)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary state directory at the end")
    parser.set_defaults(handler=cmd_demo, needs_settings=False)


def demo_settings(sim: StravaSimulator, state_dir: Path, port: int) -> Settings:
    """Settings of their own (the user's config and environment are ignored): the simulator, write-back on."""
    from syncd.config import AthleteSettings, Secret, StravaSettings, SurfaceSettings, WebSettings
    from syncd.testing.seed import DEMO_MAX_HR, DEMO_OSM

    strava = StravaSettings(
        client_id=str(sim.client_id),
        client_secret=Secret(sim.client_secret),
        api_url=sim.api_url,
        oauth_url=sim.oauth_url,
        write_back="all",
        webhook_verify_token=Secret(DEMO_VERIFY_TOKEN),
    )
    return Settings(
        state_dir=state_dir,
        config_path=None,
        strava=strava,
        web=WebSettings("127.0.0.1", port),
        surface=SurfaceSettings(osm_file=DEMO_OSM),  # a small bundled extract: one asphalt street
        athlete=AthleteSettings(max_heart_rate=DEMO_MAX_HR),
    )


def seed(sim: StravaSimulator) -> int:
    """A demo athlete: a lighter month and a 16-day break, then five weeks of runs, rides and strength sessions
    (one of them a monotonous week), with well-worn shoes, then a hill loop, reps started cold and a long run on
    the bundled map's asphalt street (syncd.testing.seed.seed_demo)."""
    from syncd.testing.seed import seed_demo

    athlete = sim.add_athlete(firstname="Demo", lastname="Runner")
    end = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    seed_demo(sim, athlete.id, end=end, gear_id="g1001")
    sim.add_gear(athlete.id, "g1001", "Trail Shoes", 640_000.0)  # worn: 640 km now, later runs add to it
    return athlete.id


def cmd_demo(args: argparse.Namespace, _settings: Settings | None) -> int:
    import shutil
    import tempfile  # here: every `syncd` command registers `demo`

    from syncd.testing.strava_server import StravaSimulator

    state_dir = args.state_dir or Path(tempfile.mkdtemp(prefix="syncd-demo-"))
    temporary = args.state_dir is None and not args.keep
    problem = prepare_state_dir(state_dir)
    if problem:
        print(f"syncd demo: error: {problem}", file=sys.stderr)
        return 2
    try:
        with StravaSimulator() as sim:
            return _run(args, sim, state_dir)
    finally:
        if temporary:
            shutil.rmtree(state_dir, ignore_errors=True)
            print(f"removed the demo's state directory {state_dir} (--keep or --state-dir DIR keeps it)")
        elif (state_dir / CLI_CONFIG).exists():
            print(f"the demo's state stays in {state_dir}; other commands read it with the demo's settings:")
            print(f"    syncd --config {state_dir / CLI_CONFIG} status")


def write_cli_config(settings: Settings, state_dir: Path) -> None:
    """The demo's settings for the other commands, so `syncd reannotate` on the kept state uses the same map and
    maximum heart rate (without them the rules' version differs and the notes would be redone without the
    hard-surface flag) and `status` shows the write-back the demo used. The simulated Strava is gone after the demo,
    so no client settings."""
    import json

    lines = [
        "# written by syncd demo: its database, key, surface map and athlete, for the other syncd commands",
        "[database]",
        f"url = {json.dumps(settings.database_url)}",
        f"encryption_key_file = {json.dumps(str(state_dir / 'secret.key'))}",
        "[surface]",
        f"osm_file = {json.dumps(str(settings.surface.osm_file))}",
        "[athlete]",
        f"max_heart_rate = {settings.athlete.max_heart_rate}",
        "[strava]",
        f"write_back = {json.dumps(settings.strava.write_back)}  # as the demo wrote its notes",
    ]
    (state_dir / CLI_CONFIG).write_text("\n".join(lines) + "\n", encoding="utf-8")


def prepare_state_dir(state_dir: Path) -> str | None:
    """A state directory the demo can start afresh in, or why not.

    The simulated Strava is new on every run, so a previous demo's database describes activities that no longer
    exist (a second run once synced nothing and waited a silent minute for a webhook): a directory the demo made
    is cleared; any other non-empty directory is refused, so the demo never touches real data."""
    import shutil

    marker = state_dir / DEMO_MARKER
    if state_dir.exists() and not state_dir.is_dir():
        return f"--state-dir {state_dir} is a file; pass a new or empty directory"
    leftovers = [p for p in state_dir.iterdir() if p != marker] if state_dir.exists() else []
    if leftovers and not marker.exists():
        return f"--state-dir {state_dir} is not empty and was not made by syncd demo; pass a new or empty directory"
    for path in leftovers:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
    if leftovers:
        print(f"cleared the previous demo's state in {state_dir} (the simulated Strava starts afresh each run)")
    state_dir.mkdir(parents=True, exist_ok=True)
    marker.write_text("made by syncd demo: a second demo run clears this directory\n", encoding="utf-8")
    return None


def _run(args: argparse.Namespace, sim: StravaSimulator, state_dir: Path) -> int:
    import signal

    from syncd.entrypoints.daemon import Daemon, DaemonOptions
    from syncd.entrypoints.wiring import open_store, platform_services
    from syncd.testing.strava_harness import link

    athlete_id = seed(sim)
    settings = demo_settings(sim, state_dir, args.port)
    write_cli_config(settings, state_dir)
    print(f"simulated Strava at {sim.api_url} with {len(sim.athletes[athlete_id].activities)} activities")
    store = open_store(settings)
    try:
        linked = link(store, sim, athlete_id)
        print(f"linked demo athlete {linked.name} (Strava id {athlete_id}); state in {state_dir}")
        sim.add_subscription("http://127.0.0.1/webhook/strava")  # the daemon only takes events from its subscription
        daemon = Daemon(
            settings,
            store,
            platform_services(settings, store),
            options=DaemonOptions(worker="demo", tick_s=5.0, jitter_s=0.0, rescan_first_after_s=3600.0),
        )

        def on_signal(_signum: int, _frame: FrameType | None) -> None:
            daemon.request_stop()

        signal.signal(signal.SIGINT, on_signal)
        signal.signal(signal.SIGTERM, on_signal)
        daemon.start()
        try:
            if not daemon.wait_for_pass(1, timeout=300):
                print("syncd: error: the first sync did not finish within 5 minutes", file=sys.stderr)
                return 1
            _report(daemon, sim, athlete_id, state_dir, settings)
            if args.once:
                return 0
            deadline = time.monotonic() + args.seconds if args.seconds else None
            print("serving until Ctrl-C" if deadline is None else f"serving for {args.seconds:g} s", flush=True)
            daemon.run_until_stopped(deadline=deadline)
        finally:
            daemon.stop()
    finally:
        store.close()
    return 0


def _report(daemon: Daemon, sim: StravaSimulator, athlete_id: int, state_dir: Path, settings: Settings) -> None:
    from syncd.domain.description import START_MARKER
    from syncd.entrypoints.wiring import digest_repositories, trend_chart
    from syncd.services.digests import preview
    from syncd.testing.strava_server import iter_descriptions

    annotated = [(i, d) for i, d in iter_descriptions(sim) if d and START_MARKER in d]
    print(f"\nfirst pass: {daemon.last_pass.accounts} account synced, {daemon.last_pass.written} notes written back")
    if annotated:
        newest_id, newest = max(annotated)
        print(f"\nthe newest run's description on (simulated) Strava, activity {newest_id}:\n")
        print("    " + newest.replace("\n", "\n    "))
    latency = _webhook_run(daemon, sim, athlete_id)
    if latency is not None:
        print(f"\nwebhook: a new run was uploaded; its note was written back {latency:.2f} s after the event")
    else:
        print(f"\nwebhook: a new run was uploaded, but its note was not written back within {WEBHOOK_WAIT_S:g} s")
    digest_file = state_dir / "digest-preview.html"
    try:
        digest, html = preview(
            digest_repositories(daemon.store),
            settings,
            datetime.now(UTC),
            athlete_key=f"strava:{athlete_id}",
            chart=trend_chart(),
        )
        digest_file.write_text(html, encoding="utf-8")
        print(f"\ndigest preview: {digest_file} ({digest.subject})")
    except Exception as exc:
        print(f"digest preview failed: {type(exc).__name__}: {exc}", file=sys.stderr)
    print(f"\nfeed:    {daemon.web_url}/")
    print(f"atom:    {daemon.web_url}/feed.atom")
    print(f"health:  {daemon.web_url}/healthz", flush=True)


def _webhook_run(daemon: Daemon, sim: StravaSimulator, athlete_id: int) -> float | None:
    """Upload one more run to the simulator, send Strava's webhook event, time until its note is written."""
    from syncd.domain.description import START_MARKER
    from syncd.testing.seed import TEMPO_PLAN, detail_payload, streams_payload, synthetic_run

    start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=50)
    run = synthetic_run(start, minutes=42, pace_s_per_km=300, seed=4242, plan=TEMPO_PLAN)
    detail = detail_payload(run, start=start, gear_id="g1001")
    streams = streams_payload(run.streams) if run.streams is not None else None
    activity_id = sim.add_activity(athlete_id, {**detail, "name": "Tempo run"}, streams)
    began = time.monotonic()
    status = sim.send_event(
        object_type="activity",
        aspect_type="create",
        object_id=activity_id,
        owner_id=athlete_id,
        callback_url=f"{daemon.web_url}/webhook/strava",
    )
    if status != 200:
        return None
    while time.monotonic() - began < WEBHOOK_WAIT_S:
        if START_MARKER in (sim.description(activity_id) or ""):
            return time.monotonic() - began
        time.sleep(0.05)
    return None
