"""`syncd link <provider>`: connect a platform account. Strava: OAuth in the browser with a local callback, an
authorization `--code`, or existing tokens from `--token-file`. Garmin: one interactive login (email, password,
MFA) or an existing garminconnect token store (`--token-store`); afterwards only the token store is used."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from syncd.config import ConfigError, Settings

if TYPE_CHECKING:
    import threading
    from http.server import HTTPServer

EXIT_OK, EXIT_FAILURE = 0, 1


def register(subparsers: Any) -> None:
    link = subparsers.add_parser("link", help="link a Strava (or Garmin) account")
    providers = link.add_subparsers(dest="provider", required=True, metavar="PROVIDER")
    strava = providers.add_parser(
        "strava",
        help="link a Strava account (browser OAuth, --code or --token-file)",
        description="Prints the authorize URL (scopes read_all, activity:read_all, activity:write), catches the "
        "redirect on a 127.0.0.1 callback, and stores the athlete with encrypted tokens.",
    )
    source = strava.add_mutually_exclusive_group()
    source.add_argument("--code", help="an authorization code you copied from the redirect URL")
    source.add_argument(
        "--token-file", type=Path, help='JSON file with {"access_token", "refresh_token", "expires_at"}'
    )
    strava.add_argument("--port", type=int, default=8765, help="local callback port (default 8765; 0 = any)")
    strava.add_argument("--timeout", type=float, default=600.0, help="seconds to wait for the browser (default 600)")
    strava.set_defaults(handler=cmd_link_strava, needs_settings=True)
    garmin = providers.add_parser(
        "garmin",
        help="link a Garmin Connect account (interactive login once, or --token-store)",
        description="Logs in once with email, password and MFA code (nothing is stored but the resulting token "
        "store, encrypted); or takes an existing garminconnect token store (garmin_tokens.json). syncd never logs "
        "in with a password again: when Garmin rejects the tokens, the account asks for `syncd link garmin`.",
    )
    garmin.add_argument(
        "--token-store", type=Path, help="a garminconnect token store: garmin_tokens.json, or the directory holding it"
    )
    garmin.add_argument("--email", help="Garmin account email (asked when missing)")
    garmin.add_argument(
        "--athlete",
        help="attach to this athlete (key like strava:123, or id; default: the only Strava-linked athlete)",
    )
    garmin.set_defaults(handler=cmd_link_garmin, needs_settings=True)


def cmd_link_strava(args: argparse.Namespace, settings: Settings | None) -> int:
    from syncd.adapters.strava.errors import StravaError
    from syncd.adapters.strava.sessions import link_with_code, link_with_tokens
    from syncd.entrypoints.wiring import link_repositories, open_store, strava_endpoint
    from syncd.services.accounts import LinkError, read_token_file

    assert settings is not None
    endpoint = strava_endpoint(settings)
    try:
        tokens = read_token_file(args.token_file) if args.token_file else None
        code = args.code
        if tokens is None and code is None:
            code = _browser_code(settings, endpoint.client_id, args.port, args.timeout)
        store = open_store(settings)
        try:
            linked = (
                link_with_tokens(link_repositories(store), endpoint, tokens)
                if tokens is not None
                else link_with_code(link_repositories(store), endpoint, str(code))
            )
        finally:
            store.close()
    except (LinkError, StravaError) as exc:
        print(f"syncd: error: {exc}", file=sys.stderr, flush=True)
        return EXIT_FAILURE
    who = f" ({linked.name})" if linked.name else ""
    print(f"linked Strava athlete {linked.external_id}{who} as account {linked.account_id}; run `syncd sync --once`")
    if linked.strava_units and linked.strava_units != settings.notes.units:
        print(
            f"Strava shows this athlete {linked.strava_units} units; notes follow [notes] units = "
            f"{settings.notes.units}: `syncd athlete set strava:{linked.external_id} --units {linked.strava_units}` "
            "to change that"
        )
    return EXIT_OK


def cmd_link_garmin(args: argparse.Namespace, settings: Settings | None) -> int:
    import getpass

    from syncd.adapters.garmin.sessions import link_interactive, link_with_token_store, read_token_store
    from syncd.entrypoints.wiring import garmin_endpoint, link_repositories, open_store
    from syncd.services.accounts import LinkError

    assert settings is not None
    endpoint = garmin_endpoint(settings)
    try:
        tokens = read_token_store(args.token_store) if args.token_store else None
        if tokens is None and not sys.stdin.isatty():
            raise ConfigError(
                "`syncd link garmin` needs a terminal for the email, password and MFA prompts; run it interactively "
                "or pass --token-store garmin_tokens.json"
            )
        store = open_store(settings)
        try:
            if tokens is not None:
                linked = link_with_token_store(link_repositories(store), endpoint, tokens, athlete=args.athlete)
            else:
                email = args.email or input("Garmin email: ").strip()
                password = getpass.getpass("Garmin password (used once, never stored): ")
                linked = link_interactive(
                    link_repositories(store),
                    endpoint,
                    email=email,
                    password=password,
                    prompt_mfa=lambda: input("Garmin MFA code: ").strip(),
                    athlete=args.athlete,
                )
        finally:
            store.close()
    except LinkError as exc:
        print(f"syncd: error: {exc}", file=sys.stderr, flush=True)
        return EXIT_FAILURE
    who = f" ({linked.name})" if linked.name else ""
    print(
        f"linked Garmin account {linked.external_id}{who} as account {linked.account_id} for athlete "
        f"{linked.athlete_id}; run `syncd sync --once`"
    )
    return EXIT_OK


def _browser_code(settings: Settings, client_id: int, port: int, timeout: float) -> str:
    """Serve one callback on 127.0.0.1, print the authorize URL, return the code Strava redirects with."""
    import secrets
    import threading

    from syncd.adapters.strava.client import authorize_url, make_client
    from syncd.services.accounts import SCOPES, LinkError

    state = secrets.token_urlsafe(16)
    result: dict[str, str] = {}
    done = threading.Event()

    server = _callback_server(port, state, result, done)
    redirect = f"http://127.0.0.1:{server.server_address[1]}/callback"
    client = make_client(settings.strava.api_url, settings.strava.oauth_url)
    url = authorize_url(
        client,
        settings.strava.oauth_url,
        client_id=client_id,
        redirect_uri=redirect,
        scope=SCOPES,
        state=state,
        approval_prompt="auto",
    )
    print("Open this URL in a browser and authorize syncd:", flush=True)
    print(url, flush=True)
    print(f"(waiting up to {int(timeout)} s for Strava to redirect to {redirect})", flush=True)
    print("(no browser on this machine? use --code CODE from the redirect address, or --token-file)", flush=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        if not done.wait(timeout):
            raise LinkError(
                f"no answer from the browser within {int(timeout)} s; on a server without a browser, open the URL "
                "anywhere, copy the code= value from the address it fails to load and run `syncd link strava --code "
                "CODE`, or link with existing tokens: `syncd link strava --token-file tokens.json`"
            )
    finally:
        server.shutdown()
        server.server_close()
    if "code" not in result:
        raise LinkError(f"Strava did not authorize syncd ({result.get('error')}); run `syncd link strava` again")
    granted = set(result.get("scope", "").split(","))
    if "activity:write" not in granted:
        print("warning: activity:write was not granted, so notes cannot be written back", flush=True)
    return result["code"]


def _callback_server(port: int, state: str, result: dict[str, str], done: threading.Event) -> HTTPServer:
    """The one-shot local server Strava redirects the browser to; it puts the code (or the error) in `result`."""
    from http.server import BaseHTTPRequestHandler, HTTPServer  # here: every `syncd` command registers `link`
    from urllib.parse import parse_qs, urlsplit

    class Callback(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def do_GET(self) -> None:
            query = {k: v[-1] for k, v in parse_qs(urlsplit(self.path).query).items()}
            if query.get("state") != state:
                self._answer(400, "This link is not from the current `syncd link strava`; start it again.")
                return
            if "error" in query or "code" not in query:
                result["error"] = query.get("error", "no code")
                self._answer(400, "Strava did not authorize syncd; you can close this tab.")
            else:
                result["code"], result["scope"] = query["code"], query.get("scope", "")
                self._answer(200, "syncd is linked to Strava; you can close this tab.")
            done.set()

        def _answer(self, status: int, text: str) -> None:
            body = f"<!doctype html><title>syncd</title><p>{text}</p>".encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    try:
        return HTTPServer(("127.0.0.1", port), Callback)
    except OSError as exc:
        raise ConfigError(f"cannot listen on 127.0.0.1:{port} ({exc.strerror}); pass another --port") from None
