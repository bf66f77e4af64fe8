"""`syncd accounts [--unlink ID]`: the linked platform accounts and their state."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from syncd.config import Settings


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
    from syncd.entrypoints.wiring import open_store
    from syncd.services.accounts import LinkError, unlink

    assert settings is not None
    store = open_store(settings)
    try:
        if args.unlink is not None:
            try:
                deleted = unlink(store, args.unlink)
            except LinkError as exc:
                print(f"syncd: error: {exc}", file=sys.stderr)
                return 1
            print(f"unlinked account {args.unlink}; deleted {deleted} synced activities")
            return 0
        athletes = {a.id: a for a in store.list_athletes()}
        rows = [
            {
                "id": a.id,
                "provider": a.provider,
                "external_id": a.external_id,
                "athlete": athletes[a.athlete_id].name if a.athlete_id in athletes else "",
                "state": a.state,
                "message": a.state_message,
                "next_sync": a.next_due_at.isoformat(timespec="seconds"),
            }
            for a in store.list_accounts()
        ]
    finally:
        store.close()
    if args.json:
        print(json.dumps({"accounts": rows}, indent=2))
    elif not rows:
        print("no linked accounts; link one with `syncd link strava`")
    else:
        for row in rows:
            line = f"{row['id']:>4}  {row['provider']:<7} {row['external_id']:<12} {row['state']:<13} {row['athlete']}"
            print(line + (f"\n      {row['message']}" if row["message"] else ""))
    return 0
