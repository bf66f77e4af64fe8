"""`syncd sync [--once] [--dry-run]`: pull due Strava and Garmin accounts, annotate, and drain the write-back outbox."""

from __future__ import annotations

import argparse
import os
import socket
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from syncd.config import Settings

if TYPE_CHECKING:
    from syncd.services.account_sync import PassReport
    from syncd.services.writeback import WritebackReport


def register(subparsers: Any) -> None:
    sync = subparsers.add_parser("sync", help="sync linked accounts now and write notes back")
    sync.add_argument("--once", action="store_true", help="one pass, then exit (default: keep polling)")
    sync.add_argument(
        "--dry-run", action="store_true", help="pull and annotate, but write nothing back: print the diffs instead"
    )
    sync.set_defaults(handler=cmd_sync, needs_settings=True)


def cmd_sync(args: argparse.Namespace, settings: Settings | None) -> int:
    from syncd.entrypoints.wiring import folder_service, garmin_service, open_store, strava_service

    assert settings is not None
    worker = f"{socket.gethostname()}:{os.getpid()}"
    store = open_store(settings)
    try:
        providers = {a.provider for a in store.list_accounts()}
        strava_configured = bool(settings.strava.client_id) or "strava" in providers
        # Strava as before (its config is required unless only Garmin or a folder is used); Garmin when linked.
        others = "garmin" in providers or settings.folder.path is not None
        strava = strava_service(settings, store) if strava_configured or not others else None
        garmin = garmin_service(settings, store) if "garmin" in providers else None
        folder = folder_service(settings, store) if settings.folder.path is not None else None
        while True:
            code = 0
            # Each platform syncs its accounts and drains its own outbox items.
            if strava is not None:
                code = max(code, _print(strava.run_once(worker, dry_run=args.dry_run), args.dry_run))
            if garmin is not None:
                code = max(code, _print(garmin.run_once(worker, dry_run=args.dry_run), args.dry_run, label="garmin"))
            if folder is not None:
                code = max(code, _print(folder.run_once(worker, dry_run=args.dry_run), args.dry_run, label="folder"))
            if args.once:
                return code
            due = [a.next_due_at for a in store.list_accounts() if a.state == "ok"]
            wait = min(due, default=datetime.now(UTC)) - datetime.now(UTC)
            time.sleep(min(max(wait.total_seconds(), 5.0), 60.0))
    finally:
        store.close()


def _print(report: PassReport, dry_run: bool, *, label: str = "strava") -> int:
    """Print one platform's pass; 1 when anything failed (an account, a run's payload, a write-back)."""
    failed = _print_accounts(report, label)
    if not report.accounts:
        print(f"no {label.title()} account due; `syncd accounts` shows when each syncs next")
    if report.writeback is not None:
        failed = _print_writeback(report.writeback, dry_run) or failed
    if report.plan is not None:
        print(
            f"polling: every {report.plan.interval_s / 60:.0f} min per athlete, about "
            f"{report.plan.projected_daily_reads:.0f} reads/day ({report.plan.share_pct:.0f}% share)"
        )
    return 1 if failed else 0


def _print_accounts(report: PassReport, label: str) -> bool:
    failed = False
    for outcome in report.accounts:
        if outcome.error:
            failed = True
            print(f"{label} {outcome.external_id}: {outcome.error}")
            continue
        sync = outcome.report
        if sync is None:
            continue
        line = (
            f"{label} {outcome.external_id}: listed {sync.listed}, fetched {sync.detailed}, annotated "
            f"{sync.annotated}, queued {sync.queued} note(s), deleted {sync.deleted}"
        )
        if sync.linked:
            line += f", {sync.linked} matched across platforms"
        if sync.pending:
            line += f", {sync.pending} waiting"
        if sync.stopped:
            line += f"; stopped: {sync.stopped}"
        print(line)
        for ext_id, why in sync.skipped:
            print(f"  skipped {ext_id}: {why}")
        for ext_id, why in sync.failed:
            failed = True
            print(f"  failed {ext_id}: {why}")
    return failed


def _print_writeback(wb: WritebackReport, dry_run: bool) -> bool:
    failed = False
    for item in wb.outcomes:
        if dry_run and item.diff:
            print(item.diff, end="" if item.diff.endswith("\n") else "\n")
        if item.error:
            failed = True
            print(f"write-back {item.provider} activity {item.activity_id}: {item.error}")
    if dry_run:
        changes = sum(1 for o in wb.outcomes if o.diff)
        print(f"dry run: {changes} description(s) would change; nothing was written")
    else:
        unchanged = sum(1 for o in wb.outcomes if o.status == "unchanged")
        print(f"wrote {wb.written} note(s), {unchanged} already up to date, {wb.failed} failed")
    return failed
