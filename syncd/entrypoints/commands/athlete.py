"""`syncd athlete list|show|set`: an athlete's settings (email, digest, units, time zone, maximum heart rate, shoe
limits, write-back) without SQL. See syncd.services.athletes."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from syncd.config import ConfigError, Settings
from syncd.entrypoints.errors import CommandError

if TYPE_CHECKING:
    from syncd.ports import AthleteReads
    from syncd.records import AthleteRecord

_WHO = "strava:1001, local, … from `syncd athlete list` (default: the only athlete, or the one linked athlete)"


def _on_off(text: str) -> bool:
    if text.lower() in ("on", "yes", "true"):
        return True
    if text.lower() in ("off", "no", "false"):
        return False
    raise argparse.ArgumentTypeError(f"{text!r}: use on or off")


def _notify_urls(given: list[str] | None) -> list[str] | None:
    """The athlete's new notify URLs ([] removes them), checked by shape; None when --notify was not given."""
    from syncd.domain.notify_urls import NotifyUrlError, split_urls

    if given is None:
        return None
    if [g.strip().lower() for g in given] == ["none"]:
        return []
    try:
        return split_urls(given)
    except NotifyUrlError as exc:  # names the entry by position: the URL itself holds a token
        raise ConfigError(f"--notify: {exc}") from None


def _muted(given: str | None) -> list[str] | None:
    from syncd.services.notifications import parse_kinds

    if given is None:
        return None
    try:
        return parse_kinds(given)
    except ValueError as exc:
        raise ConfigError(f"--notify-kinds: {exc}") from None


def _shown_urls(urls: list[str]) -> str:
    from syncd.domain.notify_urls import scheme_of

    if not urls:
        return "removed (only [notify] urls, if this is the install's owner)"
    return f"{len(urls)} URL(s) set ({', '.join(scheme_of(u) for u in urls)}), stored encrypted"


def _notify_view(store: AthleteReads, settings: Settings, athlete: AthleteRecord) -> list[dict[str, str]]:
    """The athlete's push targets by name and scheme (never the URL: it holds a token)."""
    from syncd.services.athletes import owner
    from syncd.services.notify_targets import targets_for

    boss = owner(store)
    targets = targets_for(store, settings, athlete, boss.id if boss is not None else None)
    muted = store.notifications.muted(athlete.id)
    return [{"target": t.key, "scheme": t.scheme, "off": ",".join(sorted(muted))} for t in targets]


def _notify_line(targets: list[dict[str, str]]) -> str:
    if not targets:
        return "off (no [notify] urls for this athlete, no --notify)"
    off = f"; off for this athlete: {targets[0]['off']}" if targets[0]["off"] else ""
    return ", ".join(f"{t['target']} ({t['scheme']})" for t in targets) + off


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "athlete",
        help="list athletes, show or change one's settings (email, digest, units, max HR, shoe limits, write-back)",
        description="Athlete settings. ATHLETE is a key from `syncd athlete list` (e.g. strava:1001 or local); "
        "without it, the only athlete (or the one linked athlete) is meant.",
    )
    sub = parser.add_subparsers(dest="athlete_command", required=True, metavar="{list,show,set}")
    listing = sub.add_parser("list", help="every athlete with units, digest and write-back")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=cmd_list, needs_settings=True)
    show = sub.add_parser("show", help="one athlete's settings and shoes")
    show.add_argument("athlete", nargs="?", metavar="ATHLETE", help=_WHO)
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=cmd_show, needs_settings=True)
    setter = sub.add_parser(
        "set",
        help="change settings; the notes they affect are redone at once",
        description="Change an athlete's settings. Units, maximum heart rate, a shoe limit, the write-back mode "
        "and the advice mode change notes: this command redoes those notes before it returns (a platform's "
        "note that changed is queued for write-back).",
    )
    setter.add_argument("athlete", nargs="?", metavar="ATHLETE", help=_WHO)
    setter.add_argument("--email", metavar="ADDRESS", help="the digest address (none: clear it)")
    setter.add_argument("--digest", type=_on_off, metavar="on|off", help="weekly email digest on or off")
    setter.add_argument("--units", metavar="metric|imperial|default", help="default: follow [notes] units")
    setter.add_argument("--timezone", metavar="ZONE", help="e.g. Europe/Berlin (none: from the activities)")
    setter.add_argument("--max-hr", metavar="BPM", help="maximum heart rate, for training load (none: clear)")
    setter.add_argument(
        "--shoe-limit",
        action="append",
        default=[],
        metavar="GEAR=DIST",
        help="replacement distance of one shoe, in the athlete's units or with km/mi (GEAR=none: the default)",
    )
    setter.add_argument("--write-back", metavar="all|private|off|default", help="default: [strava]/[garmin] setting")
    setter.add_argument(
        "--mode",
        metavar="sore|well|auto",
        help="the advice mode: sore now, staying well, or auto (from the pain diary; docs/pain.md)",
    )
    setter.add_argument(
        "--notify",
        action="append",
        metavar="URL",
        help="an Apprise URL for this athlete's push notifications (repeat for several; none: remove them); "
        "stored encrypted; see docs/notify.md",
    )
    setter.add_argument(
        "--notify-kinds",
        metavar="KINDS",
        help="which push messages this athlete gets: note,digest,checkin (comma-separated), all or none",
    )
    setter.set_defaults(handler=cmd_set, needs_settings=True)


def cmd_list(args: argparse.Namespace, settings: Settings | None) -> int:
    from syncd.entrypoints.tables import print_table
    from syncd.entrypoints.wiring import open_store
    from syncd.services.athletes import view

    assert settings is not None
    store = open_store(settings)
    try:
        views = [view(store, settings, a) for a in store.list_athletes()]
    finally:
        store.close()
    if args.json:
        print(json.dumps({"athletes": [v.as_json() for v in views]}, indent=2))
        return 0
    if not views:
        print("no athletes yet; link an account (`syncd link strava`) or import files (`syncd import`)")
        return 0
    print_table(
        ("athlete", "name", "units", "write-back", "digest"),
        [
            (
                v.key + (" *" if v.owner else ""),
                v.name,
                v.units,
                ", ".join(f"{platform} {mode}" for platform, mode in v.write_back.items()),
                v.digest,
            )
            for v in views
        ],
    )
    if any(v.owner for v in views):
        print("* the one athlete of this install: [email] to is theirs")
    return 0


def cmd_show(args: argparse.Namespace, settings: Settings | None) -> int:
    from syncd.entrypoints.wiring import open_reads
    from syncd.services.athletes import AthleteError, find_athlete, view

    assert settings is not None
    store = open_reads(settings)  # without SQLAlchemy on an existing database (issue 32)
    try:
        try:
            athlete = find_athlete(store, args.athlete)
            shown = view(store, settings, athlete)
        except AthleteError as exc:
            raise CommandError(str(exc)) from None
        notify = _notify_view(store, settings, athlete)
    finally:
        store.close()
    if args.json:
        print(json.dumps({**shown.as_json(), "notify": notify}, indent=2))
        return 0
    print(
        f"athlete      {shown.key} ({shown.name or 'no name'})" + ("  [the one athlete of this install]" * shown.owner)
    )
    print(f"units        {shown.units} ({shown.units_source})")
    print(f"time zone    {shown.timezone or 'from the activities'}")
    print(f"max HR       {f'{shown.max_heart_rate:g} bpm' if shown.max_heart_rate else 'not set (load in minutes)'}")
    print(f"write-back   strava {shown.write_back['strava']}, garmin {shown.write_back['garmin']}")
    print(f"email        {shown.email or 'not set'}")
    print(f"digest       {shown.digest}")
    print(f"notify       {_notify_line(notify)}")
    print(f"mode         {shown.mode.replace('_', ' ')} ({shown.mode_source})")
    if not shown.shoes:
        print("shoes        none synced")
    for shoe in shown.shoes:
        limit = shoe["limit"] or f"default ({shoe['limit_source']})"
        retired = ", retired" if shoe["retired"] else ""
        print(f"shoe         {shoe['gear_id']}  {shoe['name']}: {shoe['distance']}, limit {limit}{retired}")
    return 0


def cmd_set(args: argparse.Namespace, settings: Settings | None) -> int:
    from syncd.entrypoints.wiring import open_store, redo_marked
    from syncd.services.athletes import AthleteError, Changes, SettingsRepositories, apply, find_athlete

    assert settings is not None
    changes = Changes(
        email=args.email,
        digest=args.digest,
        units=args.units,
        timezone=args.timezone,
        max_heart_rate=args.max_hr,
        write_back=args.write_back,
        shoe_limits=list(args.shoe_limit),
        mode=args.mode,
    )
    urls = _notify_urls(args.notify)
    muted = _muted(args.notify_kinds)
    store = open_store(settings)
    try:
        try:
            athlete = find_athlete(store, args.athlete)
            if urls is not None:
                store.notifications.set_targets(athlete.id, urls)
                print(f"{athlete.key}: notify {_shown_urls(urls)}")
            if muted is not None:
                store.notifications.set_muted(athlete.id, muted)
                print(f"{athlete.key}: notify kinds off: {', '.join(muted) or 'none'}")
            if (urls is not None or muted is not None) and changes == Changes(shoe_limits=[]):
                return 0
            repos = SettingsRepositories(store, store, store, store.pain_diary)
            applied = apply(repos, settings, athlete, changes, datetime.now(UTC))
        except AthleteError as exc:
            raise ConfigError(str(exc)) from None  # a value to fix on the command line: exit 2
        for line in applied.lines:
            print(f"{athlete.key}: {line}")
        if applied.stale:  # every surface at once: the notes the change reaches are redone now, not at the re-scan
            redone = redo_marked(settings, store, athlete.id)
            print(f"{redone} note(s) redone (a platform's note that changed is queued for write-back)")
    finally:
        store.close()
    return 0
