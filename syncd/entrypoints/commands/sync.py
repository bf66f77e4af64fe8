"""`syncd sync [--once] [--dry-run]`: sync every linked Strava and Garmin account now, annotate, and drain the
write-back outbox; without --once keep polling on the daemon's schedule afterwards.

A person who types `syncd sync` wants a sync now, so the first pass takes every linked account, due or not (the
platforms' rate budget still applies: a pass that runs out of it says so and stops). An account another process
holds (a running daemon, or a killed one whose lease has not expired yet) is named with the holder and the time it
frees itself.
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from syncd.config import Settings
from syncd.entrypoints.tables import printable

if TYPE_CHECKING:
    from syncd.adapters.db.records import AccountRecord
    from syncd.adapters.db.repository import Store
    from syncd.services.account_sync import AccountOutcome, PassReport
    from syncd.services.writeback import WritebackReport


def register(subparsers: Any) -> None:
    sync = subparsers.add_parser(
        "sync",
        help="sync every linked account now and write notes back",
        description="Sync every linked account now (due or not, within the platforms' rate limits), annotate new "
        "runs and write the notes back. Without --once it then keeps polling on the daemon's schedule.",
    )
    sync.add_argument("--once", action="store_true", help="one pass, then exit (default: keep polling)")
    sync.add_argument(
        "--dry-run", action="store_true", help="pull and annotate, but write nothing back: print the diffs instead"
    )
    sync.set_defaults(handler=cmd_sync, needs_settings=True)


NOTHING_LINKED = "no linked account; link one with `syncd link strava` (or `syncd link garmin`)"


def cmd_sync(args: argparse.Namespace, settings: Settings | None) -> int:
    from syncd.entrypoints.wiring import ensure_state_dir, open_store

    assert settings is not None
    if settings.folder.path is None:
        from syncd.adapters.db.probe import has_accounts

        ensure_state_dir(settings.state_dir)
        if has_accounts(settings.database_url) is False:
            # nothing to sync: a timer or cron job running this must not pay for the repositories or platform clients
            print(NOTHING_LINKED)
            return 0
    import socket  # not at import: every command builds the parser, which imports this module (issue 32)

    worker = f"{socket.gethostname()}:{os.getpid()}"
    store = open_store(settings)
    try:
        accounts = store.list_accounts()
        if not accounts and settings.folder.path is None:
            print(NOTHING_LINKED)
            return 0
        from syncd.entrypoints.daemon import take_over_dead
        from syncd.entrypoints.wiring import folder_service, garmin_service, strava_service

        providers = {a.provider for a in accounts}
        strava_configured = bool(settings.strava.client_id) or "strava" in providers
        # Strava as before (its config is required unless only Garmin or a folder is used); Garmin when linked.
        others = "garmin" in providers or settings.folder.path is not None
        strava = strava_service(settings, store) if strava_configured or not others else None
        garmin = garmin_service(settings, store) if "garmin" in providers else None
        folder = folder_service(settings, store) if settings.folder.path is not None else None
        first = True
        while True:
            code = 0
            started = datetime.now(UTC)
            if first:
                take_over_dead(store)  # a killed syncd on this host: its leases are free now, not in 15 min
                store.make_accounts_due(started)
                _explain_unavailable(store, started, worker)
            # Each platform syncs its accounts and drains its own outbox items.
            if strava is not None:
                code = max(code, _print(store, strava.run_once(worker, dry_run=args.dry_run), started, args.dry_run))
            if garmin is not None:
                report = garmin.run_once(worker, dry_run=args.dry_run)
                code = max(code, _print(store, report, started, args.dry_run, provider="garmin"))
            if folder is not None:
                report = folder.run_once(worker, dry_run=args.dry_run)
                code = max(code, _print(store, report, started, args.dry_run, provider="folder"))
            if not args.dry_run:
                _notify(store, settings, worker)
            if args.once:
                return code
            first = False
            due = [a.next_due_at for a in store.list_accounts() if a.state == "ok"]
            wait = min(due, default=datetime.now(UTC)) - datetime.now(UTC)
            time.sleep(min(max(wait.total_seconds(), 5.0), 60.0))
    finally:
        store.close()


def _notify(store: Store, settings: Settings, worker: str) -> None:
    """Push notifications for this pass's flagged notes, the check-in and the digest (a timer's only chance)."""
    from syncd.entrypoints.wiring import notify_repositories
    from syncd.services.notifications import notify_pass, wants_notifications

    if wants_notifications(notify_repositories(store), settings):
        from syncd.entrypoints.wiring import push_sender

        report = notify_pass(notify_repositories(store), settings, push_sender(settings), datetime.now(UTC), worker)
        if report.sent or report.failed:
            print(f"notify: {report.sent} sent" + "".join(f"\n  failed {line}" for line in report.failed))


def _explain_unavailable(store: Store, now: datetime, worker: str) -> None:
    """Say why an account will not be synced in this pass: it needs a re-link, or another process holds it."""
    for account in store.list_accounts():
        name = f"{account.provider}:{account.external_id}"
        if account.state != "ok":
            fix = f"`syncd link {account.provider}`" if account.state == "needs_relink" else "`syncd status`"
            print(f"{name}: not synced: {account.state_message or account.state}; fix with {fix}")
        elif _held(account, now, worker):
            until = account.lease_expires_at.astimezone() if account.lease_expires_at else now
            print(
                f"{name}: not synced now: held by {account.lease_owner} until {until:%H:%M} (another syncd is "
                "syncing it, or a process that was killed held it; it is free again then)"
            )


def _held(account: AccountRecord, now: datetime, worker: str) -> bool:
    expires = account.lease_expires_at
    return expires is not None and expires > now and account.lease_owner not in (None, worker)


def _print(store: Store, report: PassReport, started: datetime, dry_run: bool, *, provider: str = "strava") -> int:
    """Print one platform's pass; 1 when anything failed (an account, a run's payload, a write-back)."""
    failed = _print_accounts(store, report.accounts, started, provider)
    if report.writeback is not None:
        failed = _print_writeback(report.writeback, dry_run) or failed
    if report.plan is not None and report.accounts:
        print(
            "next: the daemon (`syncd run`) polls adaptively, around each athlete's usual upload hours plus a daily "
            "safety poll; `syncd status` shows the reads per day, `syncd accounts` each account's next sync"
        )
    return 1 if failed else 0


def _print_accounts(store: Store, outcomes: list[AccountOutcome], started: datetime, provider: str) -> bool:
    failed = False
    changes = store.activity_changes(started)
    athletes = {a.id: a.athlete_id for a in store.list_accounts()}
    source = "file" if provider == "folder" else provider  # a folder's activities are files
    for outcome in outcomes:
        name = f"{provider}:{outcome.external_id}"
        if outcome.error:
            failed = True
            print(f"{name}: {outcome.error}")
            continue
        sync = outcome.report
        if sync is None:
            continue
        new, updated = changes.get((athletes.get(outcome.account_id, -1), source), (0, 0))
        parts = [f"{new} new", f"{updated} updated", f"{sync.annotated} annotated", f"{sync.queued} note(s) queued"]
        if sync.deleted:
            parts.append(f"{sync.deleted} deleted")
        if sync.linked:
            parts.append(f"{sync.linked} matched across platforms")
        if sync.pending:
            parts.append(f"{sync.pending} waiting (rate limit or a fault; the next pass tries again)")
        if sync.history_fetched or sync.history_waiting:
            parts.append(
                f"older runs' streams: {sync.history_fetched} fetched, {sync.history_waiting} still to come "
                "(from the budget the sync leaves over)"
            )
        line = f"{name}: " + ", ".join(parts) + f" ({sync.listed} listed)"
        print(line + (f"; stopped: {sync.stopped}" if sync.stopped else ""))
        for ext_id, why in sync.skipped:
            print(f"  skipped {printable(ext_id)}: {printable(why)}")
        for ext_id, why in sync.failed:
            failed = True
            print(f"  failed {printable(ext_id)}: {printable(why)}")
        for ext_id, why in sync.unstored:
            failed = True
            print(f"  not stored {printable(ext_id)}: {printable(why)}")
        for ext_id, fields in sync.cleaned:
            print(
                f"  cleaned {ext_id}: its {fields} held a character no database keeps (NUL or a broken surrogate); "
                "stored without it (the raw payload keeps it escaped)"
            )
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
        count = sum(1 for o in wb.outcomes if o.diff)
        print(f"dry run: {count} description(s) would change; nothing was written")
    elif wb.outcomes:
        unchanged = sum(1 for o in wb.outcomes if o.status == "unchanged")
        held = f", {wb.held} held (the write-back does not allow them: see `syncd status`)" if wb.held else ""
        print(f"wrote {wb.written} note(s), {unchanged} already up to date{held}, {wb.failed} failed")
    return failed
