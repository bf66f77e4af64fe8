"""`syncd digest`: preview a weekly digest as an HTML file, or send the digests that are due now."""

from __future__ import annotations

import argparse
import re
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from syncd.config import ConfigError, Settings

EXIT_OK, EXIT_FAILURE = 0, 1
_WEEK = re.compile(r"^\d{4}-W\d{2}$")


def _week(text: str) -> str:
    from syncd.domain.digest import parse_week

    if not _WEEK.match(text):
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO week; use the form 2026-W47")
    try:
        parse_week(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "digest",
        help="preview the weekly email digest (--preview FILE) or send the due digests now (--send)",
        description="Weekly back-care digest. --preview writes the HTML of one athlete's week without sending; "
        "--send sends every digest that is due (each athlete and week only once).",
    )
    parser.add_argument("--preview", type=Path, metavar="FILE", help="write the digest HTML here; send nothing")
    parser.add_argument("--athlete", metavar="A", help="athlete key (default: the local athlete)")
    parser.add_argument("--week", type=_week, metavar="2026-W47", help="ISO week (default: the last complete week)")
    parser.add_argument("--send", action="store_true", help="send the due digests now (with --week: that week)")
    parser.set_defaults(handler=cmd_digest, needs_settings=True)


def cmd_digest(args: argparse.Namespace, settings: Settings | None) -> int:
    from syncd.entrypoints.wiring import digest_repositories, mailer_from_settings, open_store, trend_chart
    from syncd.services.digests import preview, send_due_digests

    assert settings is not None
    if args.preview is None and not args.send:
        raise ConfigError("say what to do: --preview FILE writes the HTML, --send sends the due digests")
    mailer = mailer_from_settings(settings) if args.send else None
    now = datetime.now(UTC)
    store = open_store(settings)
    try:
        if args.preview is not None:
            digest, html = preview(
                digest_repositories(store), settings, now, athlete_key=args.athlete, week=args.week, chart=trend_chart()
            )
            try:
                args.preview.write_text(html, encoding="utf-8")
            except OSError as exc:
                raise ConfigError(f"cannot write {args.preview} ({exc.strerror}); choose a writable path") from None
            print(f"wrote {args.preview}: {digest.subject}")
        if not args.send:
            return EXIT_OK
        from syncd.entrypoints.daemon import take_over_dead

        take_over_dead(store)  # a syncd killed on this host mid-send: its digest claims are free now, not in 10 min
        report = send_due_digests(
            digest_repositories(store),
            settings,
            now,
            mailer=mailer,
            chart=trend_chart(),
            athlete_key=args.athlete,
            week=args.week,
            retry_now=True,
        )
        nobody = not (report.sent or report.skipped or report.failed or report.invalid)
        if nobody:
            from syncd.services.digest_recipients import digest_summary

            nobody = digest_summary(store, store.digest_log, settings)["recipients"] == 0
    finally:
        store.close()
    for line in report.sent:
        print(f"sent {line}")
    for line in report.invalid:
        print(f"syncd: invalid address: {line}", file=sys.stderr)
    for line in report.failed:
        print(f"syncd: digest failed: {line}", file=sys.stderr)
    print(f"{len(report.sent)} sent, {report.skipped} skipped, {len(report.failed) + len(report.invalid)} failed")
    if nobody:
        print(
            "nobody receives a digest (`syncd athlete list` shows why): set [email] to, or "
            "`syncd athlete set ATHLETE --email ADDRESS --digest on`"
        )
    return EXIT_FAILURE if report.failed or report.invalid else EXIT_OK
