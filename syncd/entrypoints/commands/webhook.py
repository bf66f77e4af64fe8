"""`syncd webhook subscribe|list|unsubscribe`: manage the Strava push subscription (one per app).

Subscribing makes Strava call the callback URL at once (GET with hub.challenge and our verify token), so
`syncd run` must already be serving it, reachable from the internet (deploy/Caddyfile), with the same
`[strava] webhook_verify_token`. Uses stravalib's subscription calls through our routed client.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any
from urllib.parse import urlsplit

from syncd.config import ConfigError, Settings

EXIT_OK, EXIT_FAILURE = 0, 1


def _url(text: str) -> str:
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an http(s) URL like https://syncd.example.org/webhook/strava"
        )
    return text


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("webhook", help="manage the Strava webhook subscription")
    sub = parser.add_subparsers(dest="webhook_command", required=True, metavar="ACTION")
    subscribe = sub.add_parser("subscribe", help="subscribe CALLBACK_URL (syncd run must be serving it)")
    subscribe.add_argument("--callback-url", type=_url, required=True, help="https://<host>/webhook/strava")
    sub.add_parser("list", help="show the subscription")
    unsubscribe = sub.add_parser("unsubscribe", help="delete the subscription")
    unsubscribe.add_argument("id", nargs="?", type=int, help="subscription id (default: every one of this app)")
    parser.set_defaults(handler=cmd_webhook, needs_settings=True)


def cmd_webhook(args: argparse.Namespace, settings: Settings | None) -> int:
    import requests
    from stravalib import exc as strava_exc

    from syncd.adapters.strava.client import make_client
    from syncd.entrypoints.wiring import strava_endpoint

    assert settings is not None
    endpoint = strava_endpoint(settings)
    client = make_client(endpoint.api_url, endpoint.oauth_url, timeout_s=endpoint.timeout_s)
    try:
        if args.webhook_command == "subscribe":
            token = settings.strava.webhook_verify_token
            if not token:
                raise ConfigError(
                    "[strava] webhook_verify_token is not set: choose a random string, set it"
                    " (webhook_verify_token_file or SYNCD_STRAVA_WEBHOOK_VERIFY_TOKEN), restart `syncd run`"
                    ", then subscribe"
                )
            created = client.create_subscription(
                endpoint.client_id, endpoint.client_secret, args.callback_url, verify_token=token.reveal()
            )
            print(f"subscribed: id {created.id}, callback {created.callback_url}")
            return EXIT_OK
        subscriptions = list(client.list_subscriptions(endpoint.client_id, endpoint.client_secret))
        if args.webhook_command == "list":
            for item in subscriptions:
                print(f"{item.id}\t{item.callback_url}\tcreated {item.created_at}")
            if not subscriptions:
                print("no webhook subscription; create one with `syncd webhook subscribe --callback-url URL`")
            return EXIT_OK
        ids = [args.id] if args.id is not None else [int(s.id) for s in subscriptions if s.id is not None]
        if not ids:
            print("no webhook subscription to delete")
            return EXIT_OK
        for sub_id in ids:
            client.delete_subscription(sub_id, endpoint.client_id, endpoint.client_secret)
            print(f"unsubscribed {sub_id}")
        return EXIT_OK
    except strava_exc.Fault as exc:
        status = exc.response.status_code if exc.response is not None else 0
        hint = {
            400: "Strava refused: a subscription may already exist (`syncd webhook list`), or the callback did not "
            "answer its check; is `syncd run` serving it with the same verify token?",
            401: "Strava rejected the app credentials; check [strava] client_id and client_secret",
            404: "no such subscription; see `syncd webhook list`",
        }.get(status, "Strava refused the request")
        print(f"syncd: error: webhook {args.webhook_command}: {status}: {hint}", file=sys.stderr)
        return EXIT_FAILURE
    except requests.RequestException as exc:
        print(
            f"syncd: error: webhook {args.webhook_command}: cannot reach Strava ({type(exc).__name__}); retry later",
            file=sys.stderr,
        )
        return EXIT_FAILURE
