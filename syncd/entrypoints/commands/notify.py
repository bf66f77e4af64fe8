"""`syncd notify test [ATHLETE]`: send one test message to each of an athlete's push targets now (quiet hours and
the queue bypassed) and say, per target, whether it arrived. Targets are named by position and scheme, never by
URL: the URLs hold tokens."""

from __future__ import annotations

import argparse
from typing import Any

from syncd.config import Settings
from syncd.entrypoints.errors import CommandError

EXIT_OK = 0
EXIT_FAILED = 1


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "notify",
        help="push notifications: `notify test [ATHLETE]` sends a test message to every target",
        description="Push notifications through Apprise ([notify] urls, `syncd athlete set --notify URL`); "
        "see docs/notify.md.",
    )
    sub = parser.add_subparsers(dest="notify_command", metavar="test", required=True)
    test = sub.add_parser("test", help="send one test message to each of the athlete's targets and say what happened")
    test.add_argument(
        "athlete",
        nargs="?",
        metavar="ATHLETE",
        help="strava:1001, local, … (default: the only athlete, or the install's owner)",
    )
    test.set_defaults(handler=cmd_notify_test, needs_settings=True)


def cmd_notify_test(args: argparse.Namespace, settings: Settings | None) -> int:
    from syncd.entrypoints.wiring import notify_repositories, open_store, push_sender
    from syncd.services.athletes import AthleteError, find_athlete
    from syncd.services.notifications import send_test

    assert settings is not None
    store = open_store(settings)
    try:
        try:
            athlete = find_athlete(store, args.athlete)
        except AthleteError as exc:
            raise CommandError(str(exc)) from None
        results = send_test(notify_repositories(store), settings, push_sender(settings), athlete)
    finally:
        store.close()
    if not results:
        raise CommandError(
            f"{athlete.key} has no push target: set [notify] urls (the install's owner) or "
            f"`syncd athlete set {athlete.key} --notify URL`"
        )
    for target, error in results:
        print(f"{athlete.key} {target}: {'sent' if error is None else 'FAILED: ' + error}")
    return EXIT_FAILED if any(error for _, error in results) else EXIT_OK
