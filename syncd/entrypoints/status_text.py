"""`syncd status` for a person: a few headed sections and tables instead of a dump of the JSON document."""

from __future__ import annotations

from typing import Any

from syncd.entrypoints.tables import print_table, printable, when


def print_status(status: dict[str, Any]) -> None:
    print(f"syncd {status['version']}  database {status['database']}  state {status['state_dir']}")
    rows = status["rows"]
    print(
        f"{status['athletes']} athlete(s), {rows.get('activities', 0)} activities, "
        f"{rows.get('annotations', 0)} annotations (rules {status['rules_version']})"
    )
    print()
    print_accounts(status["accounts"])
    print()
    _digests(status["digests"], status.get("owner"))
    _strava(status["strava"], status.get("rate_budget_left"), _writing(status["accounts"], "strava"))
    garmin = status["garmin"]
    if garmin["accounts"]:
        relink = f", needs a re-link: {', '.join(garmin['needs_relink'])}" if garmin["needs_relink"] else ""
        print(
            f"garmin:   {garmin['accounts']} account(s), next sync {when(garmin['next_sync'])}, "
            f"write-back {_writing(status['accounts'], 'garmin') or garmin['write_back']}{relink}"
        )
    _outbox(status["outbox"], status["accounts"])
    for item in status.get("quarantined_files", ()):
        print(
            f"quarantined: {printable(item['file'])} (content {item['sha256'][:12]}): syncd died {item['deaths']} "
            "times reading it from the watched folder; remove or replace the file"
        )
    _notify(status.get("notify", []))
    for warning in status.get("input_warnings", ()):
        print(
            f"warning:  {warning['athlete']} activity {warning['activity_id']} ({printable(warning['activity'])}, "
            f"{warning['start'][:10]}): {printable(warning['message'])}"
        )


HELD_WHY = {
    "athlete_off": "the athlete's write-back off",
    "config_off": "the platform's write_back off",
    "public": 'public runs under "private"',
}


def _outbox(outbox: dict[str, Any], accounts: list[dict[str, Any]]) -> None:
    """What waits, what the drain holds and why (written once the setting allows it), what failed, what was written:
    "write-back off" never stands next to a count of written notes without saying they came before."""
    depth = outbox["depth"]
    writing = any(a.get("write_back") not in (None, "off") for a in accounts)
    written = f"{depth.get('done', 0)} written" + (
        "" if writing or not depth.get("done") else " (before write-back was turned off)"
    )
    reasons: dict[str, int] = {}
    for line in outbox.get("held", ()):
        reasons[line["reason"]] = reasons.get(line["reason"], 0) + line["count"]
    held = ""
    if reasons:
        why = "; ".join(f"{HELD_WHY.get(reason, reason)}: {count}" for reason, count in sorted(reasons.items()))
        held = f"{sum(reasons.values())} held ({why}; written once the setting allows them), "
    print(
        f"outbox:   {depth.get('pending', 0)} note(s) waiting to be written, {held}{depth.get('failed', 0)} failed, "
        f"{written}"
    )
    for error in outbox["last_errors"]:
        print(f"  {when(error['at'])}  {error['provider']} activity {error['activity_id']}: {error['error']}")


def _notify(targets: list[dict[str, Any]]) -> None:
    """Push targets by position and scheme (never the URL), with what is waiting and why."""
    if not targets:
        return
    print(f"notify:   {len(targets)} target(s)")
    for target in targets:
        line = f"  {target['athlete']} {target['target']} ({target['scheme']}): {target['sent']} sent, "
        line += f"{target['waiting']} waiting"
        if target["waiting"] and target.get("next_attempt_at"):
            line += f" (next try {when(target['next_attempt_at'])})"
        line += f", {target['failed']} given up"
        if target.get("last_error"):
            line += f"; last error: {target['last_error']}"
        print(line)


def print_accounts(accounts: list[dict[str, Any]]) -> None:
    if not accounts:
        print("no linked accounts; link one with `syncd link strava` (or `syncd link garmin`)")
        return
    print_table(
        ("id", "account", "athlete", "state", "last sync", "next sync", "write-back"),
        [
            (
                a["id"],
                f"{a['provider']}:{a['external_id']}",
                a.get("athlete_name") or a["athlete"],
                a["state"],
                when(a["last_sync"]),
                "-" if a["state"] not in ("ok", "degraded") else when(a["next_due"]),
                _write_back_cell(a),  # what the drain will do: the athlete's choice over the platform's
            )
            for a in accounts
        ],
    )
    for a in accounts:
        name = f"{a['provider']}:{a['external_id']}"
        if a["message"]:
            print(f"  {name}: {a['message']}")
        if a.get("leased_by"):
            print(f"  {name}: being synced by {a['leased_by']} (lease until {when(a['lease_until'])})")
        if a.get("streams_waiting"):
            print(
                f"  {name}: {a['streams_waiting']} older run(s) wait for their streams, fetched in the background "
                "from the requests the regular sync leaves over (their notes say 'no streams yet' until then)"
            )


def _digests(digests: dict[str, Any], owner: str | None) -> None:
    if not digests["enabled"]:
        print("digests:  off ([email] host is not set)")
    elif not digests["to"]:
        print("digests:  nobody will receive one: set [email] to, or `syncd athlete set --email ADDRESS --digest on`")
    else:
        for line in digests["to"]:
            print(f"digests:  {line['athlete']} -> {line['address']} ({line['why']})")
    if owner and digests["enabled"]:
        print(f"          [email] to means {owner}, the one athlete of this install")
    if digests["sent"] or digests["failed"]:
        print(f"          {digests['sent']} sent, {len(digests['failed'])} failed")
    for failed in digests["failed"]:
        print(f"          week {failed['week']}: {failed['error']} ({failed['attempts']} attempt(s))")
    for problem in digests["invalid_addresses"]:
        print(f"          {problem['athlete']}: {problem['problem']}")


def _write_back_cell(account: dict[str, Any]) -> str:
    """The account's write-back as the drain decides it, with the notes it holds because of it."""
    mode = account.get("write_back") or "-"
    return f"{mode} ({account['held']} held)" if account.get("held") else mode


def _writing(accounts: list[dict[str, Any]], provider: str) -> str | None:
    """Where this platform's notes go, as the daemon will decide it per account (the athlete's choice over the
    platform's `write_back`): "all", "off", or "all for strava:1, off for strava:2"."""
    modes = {f"{a['provider']}:{a['external_id']}": a.get("write_back") for a in accounts if a["provider"] == provider}
    shown = {str(mode) for mode in modes.values() if mode is not None}
    if not shown:
        return None
    if len(shown) == 1:
        return shown.pop()
    return ", ".join(f"{mode} for {name}" for name, mode in modes.items())


def _strava(strava: dict[str, Any], budget: dict[str, int] | None, writing: str | None) -> None:
    if not strava["accounts"] and budget is None:
        return
    # adaptive polling: around each athlete's usual upload hours (never more often than poll_interval_min) plus a
    # daily safety poll; the next poll is the earliest account's due time, which is what the daemon will do
    next_poll = f", next poll {when(strava['next_poll'])}" if strava.get("next_poll") else ""
    line = (
        f"strava:   {strava['accounts']} account(s), polled around each athlete's usual upload hours "
        f"(about {strava['projected_daily_reads']} of {strava['read_daily_limit']} reads/day){next_poll}, "
        f"write-back {writing or strava['write_back']}"
    )
    print(line)
    if budget is not None:
        print(
            f"          rate budget left: {budget['reads_this_window']} reads this 15 min, "
            f"{budget['reads_today']} today"
        )
    if strava.get("needs_relink"):
        print(f"          needs a re-link: {', '.join(strava['needs_relink'])} (`syncd link strava`)")
    if strava.get("warning"):
        print(f"          {strava['warning']}")
