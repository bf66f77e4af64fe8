"""`syncd accounts [--unlink ID]`: the linked platform accounts, their state, last and next sync, and errors."""

from __future__ import annotations

import argparse
import json
from typing import Any

from syncd.config import Settings
from syncd.entrypoints.errors import CommandError


def register(subparsers: Any) -> None:
    accounts = subparsers.add_parser("accounts", help="list linked accounts and their state, or unlink one")
    accounts.add_argument(
        "--unlink",
        type=int,
        metavar="ID",
        help="unlink account ID and delete its synced data (and the pain diary with the last account)",
    )
    accounts.add_argument("--json", action="store_true")
    accounts.set_defaults(handler=cmd_accounts, needs_settings=True)


def cmd_accounts(args: argparse.Namespace, settings: Settings | None) -> int:
    from syncd.entrypoints.status_text import print_accounts
    from syncd.entrypoints.tables import iso
    from syncd.entrypoints.wiring import link_repositories, open_store, status_reads
    from syncd.services.accounts import LinkError, unlink
    from syncd.services.status import account_rows

    assert settings is not None
    store = open_store(settings)
    try:
        if args.unlink is not None:
            try:
                deleted = unlink(link_repositories(store), args.unlink)
            except LinkError as exc:
                raise CommandError(str(exc)) from None
            print(f"unlinked account {args.unlink}; deleted {deleted} synced activities")
            return 0
        rows = account_rows(status_reads(store), settings)
    finally:
        store.close()
    if args.json:
        print(json.dumps({"accounts": rows}, indent=2, default=iso))
    else:
        print_accounts(rows)
    return 0
