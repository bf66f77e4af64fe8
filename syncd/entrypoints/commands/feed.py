"""`syncd feed-link`: print an athlete's own feed link (`/?key=…`), to hand to that athlete.

The link shows that athlete only (see docs/api.md, "Access"). Its key is an HMAC under `[web] token` (else
`[database] encryption_key`), exactly as the running web app checks it, so no table is written; changing the token
revokes every link.
"""

from __future__ import annotations

import argparse
from typing import Any
from urllib.parse import quote

from syncd.config import ConfigError, Settings

EXIT_OK = 0


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "feed-link",
        help="print an athlete's own feed link (shows that athlete only)",
        description="Print the feed URL for one athlete: it shows only that athlete's activities. Needs [web] token "
        "(or [database] encryption_key); changing the token revokes every link.",
    )
    parser.add_argument("athlete", metavar="ATHLETE", help='athlete key ("local", "strava:1001") or numeric id')
    parser.add_argument(
        "--base-url",
        metavar="URL",
        help="the address athletes reach the feed at (default: [web] base_url, else http://[web] host:port)",
    )
    parser.set_defaults(handler=cmd_feed_link, needs_settings=True)


def _base_url(args: argparse.Namespace, settings: Settings) -> str:
    if args.base_url:
        if not args.base_url.startswith(("http://", "https://")):
            raise ConfigError(f"--base-url {args.base_url!r} is not a URL: use the form https://feed.example.org")
        return str(args.base_url).rstrip("/")
    if settings.web.base_url:
        return settings.web.base_url
    host = settings.web.host
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"  # an IPv6 address
    return f"http://{host}:{settings.web.port}"


def cmd_feed_link(args: argparse.Namespace, settings: Settings | None) -> int:
    from syncd.entrypoints.web.auth import Authenticator
    from syncd.entrypoints.wiring import open_store

    assert settings is not None
    base = _base_url(args, settings)
    authenticator = Authenticator(settings)  # ConfigError (exit 2) when links cannot be made or checked
    store = open_store(settings)
    try:
        athletes = store.list_athletes()
    finally:
        store.close()
    wanted = str(args.athlete)
    athlete = next((a for a in athletes if a.key == wanted), None)
    if athlete is None and wanted.isdigit():
        athlete = next((a for a in athletes if a.id == int(wanted)), None)
    if athlete is None:
        known = ", ".join(f"{a.key} (id {a.id})" for a in athletes[:5]) or "none yet: import or link first"
        raise ConfigError(f"no athlete {wanted!r}: give one of these keys or ids: {known}")
    print(f"{base}/?key={quote(authenticator.athlete_key(athlete.id), safe='.')}")
    return EXIT_OK
