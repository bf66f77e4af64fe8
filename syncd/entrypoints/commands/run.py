"""`syncd run`: the long-running daemon (sync every linked account, webhook, feed, digests); see daemon.py."""

from __future__ import annotations

import argparse
import logging
import sys
import time
from types import FrameType
from typing import Any

from syncd.config import ConfigError, Settings
from syncd.entrypoints.errors import CommandError


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be more than 0 seconds")
    return value


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "run",
        help="run the daemon: keep accounts in sync, serve the feed and webhook, send digests",
        description="The set-and-forget daemon. Several processes may share one PostgreSQL database: accounts are "
        "claimed with leases, so none is synced by two at once. SIGTERM/SIGINT finish the item in hand, release "
        "leases and exit 0. Under systemd (Type=notify) it reports READY, STATUS and WATCHDOG.",
    )
    parser.add_argument("--tick", type=_positive, default=30.0, metavar="S", help="look for due accounts every S s")
    parser.add_argument("--worker", metavar="NAME", help="lease owner name (default: host:pid)")
    parser.add_argument("--no-web", action="store_true", help="do not serve the feed, webhook and /healthz")
    parser.add_argument("--seconds", type=_positive, metavar="N", help="stop by itself after N seconds")
    parser.set_defaults(handler=cmd_run, needs_settings=True)


def cmd_run(args: argparse.Namespace, settings: Settings | None) -> int:
    import signal

    from syncd.entrypoints.daemon import Daemon, DaemonOptions
    from syncd.entrypoints.web.serve import PortUnavailableError
    from syncd.entrypoints.wiring import open_store, platform_services
    from syncd.logging import configure_logging

    assert settings is not None
    if not args.debug:
        configure_logging(args.log_format, level=logging.INFO)
    store = open_store(settings)
    try:
        platforms = platform_services(settings, store)
        if not platforms:
            print(
                "syncd: no platform configured ([strava] client_id/client_secret); serving the feed and digests only",
                file=sys.stderr,
            )
        options = DaemonOptions(tick_s=args.tick, serve_web=not args.no_web)
        if args.worker:
            options = DaemonOptions(worker=args.worker, tick_s=args.tick, serve_web=not args.no_web)
        daemon = Daemon(settings, store, platforms, options=options)

        def on_signal(signum: int, _frame: FrameType | None) -> None:
            daemon.request_stop()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        try:
            daemon.start()
        except PortUnavailableError as exc:
            daemon.stop()
            raise ConfigError(f"{exc}; free the port or set [web] port (or host)") from None
        except (OSError, RuntimeError) as exc:
            daemon.stop()
            raise CommandError(
                f"the web server did not start ({exc}); if a file of syncd is missing, reinstall it "
                "(deploy/install.sh or pip install --force-reinstall), or run with --no-web"
            ) from None
        if daemon.web_url:
            print(f"syncd: serving {daemon.web_url} (feed, /webhook/strava, /healthz)", file=sys.stderr, flush=True)
        deadline = time.monotonic() + args.seconds if args.seconds else None
        daemon.run_until_stopped(deadline=deadline)
    finally:
        store.close()
    return 0
