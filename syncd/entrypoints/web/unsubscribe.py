"""`/unsubscribe?t=TOKEN`: stop an athlete's weekly digest from the email, without logging in.

GET shows a confirmation page with one button (a link prefetcher or a virus scanner following the link must not
unsubscribe anyone); POST unsubscribes: the button, or a mail client's RFC 8058 one-click request (body
`List-Unsubscribe=One-Click`). The token is checked by syncd.services.unsubscribe; it names the athlete it is for.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import BaseRoute, Route

from syncd.services.unsubscribe import PATH, PURPOSE, check_token, unsubscribe

if TYPE_CHECKING:
    from syncd.adapters.db.repository import Store

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer"><title>{title} · syncd</title></head>
<body style="font-family:system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a">
<h1>{title}</h1>{body}</body></html>"""
_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex"}


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(_PAGE.format(title=escape(title), body=body), status_code=status, headers=_HEADERS)


def _invalid() -> HTMLResponse:
    return _page(
        "This link does not work",
        "<p>This unsubscribe link is not valid for this syncd (it may be cut short, or from an older install). "
        "Ask whoever runs syncd to run <code>syncd athlete set --digest off</code> for you.</p>",
        status=400,
    )


def unsubscribe_routes(store: Store) -> list[BaseRoute]:
    async def confirm(request: Request) -> HTMLResponse:
        token = request.query_params.get("t", "")
        if check_token(store.signing_key(PURPOSE), token) is None:
            return _invalid()
        action = escape(f"{PATH}?t={token}", quote=True)
        return _page(
            "Stop the weekly digest?",
            "<p>You will get no more weekly back-care digests from this syncd. Your activities and notes stay.</p>"
            f'<form method="post" action="{action}"><button type="submit" '
            'style="font-size:1rem;padding:.6rem 1.2rem">Unsubscribe</button></form>',
        )

    async def one_click(request: Request) -> HTMLResponse:
        athlete = unsubscribe(store, store, request.query_params.get("t", ""))
        if athlete is None:
            return _invalid()
        return _page(
            "You are unsubscribed",
            "<p>No more weekly digests will be sent. To get them again, ask whoever runs syncd to run "
            f"<code>syncd athlete set {escape(athlete.key)} --digest on</code>.</p>",
        )

    return [Route(PATH, confirm, methods=["GET"]), Route(PATH, one_click, methods=["POST"])]
