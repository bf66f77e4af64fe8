"""Turn a Digest into an email: Jinja2 text + HTML (autoescaped, inline CSS) and the load chart as an inline PNG.

The HTML refers to the chart by Content-ID (multipart/related), which mail clients show without loading remote
images; the preview written to a file inlines the same PNG as a data: URI instead, so it renders from disk.
"""

from __future__ import annotations

import base64
import email.policy
from collections.abc import Callable
from datetime import date, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from syncd.domain.digest import CHART_CSS_WIDTH, Digest
from syncd.domain.load import week_of
from syncd.domain.units import check_units, format_distance, format_duration, format_elevation

CHART_CID = "load-chart@syncd"
SEVERITY_COLOUR = {"high": "#c0392b", "caution": "#e67e22", "info": "#2c7bb6"}


def _ratio(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def _day(value: date) -> str:
    return f"{value:%a} {value.day} {value:%b}"


@cache
def environment() -> Environment:
    """One Jinja2 environment: autoescape for .html templates, StrictUndefined so a typo fails the tests."""
    env = Environment(
        loader=PackageLoader("syncd", "resources/templates"),
        autoescape=select_autoescape(["html", "html.j2"], default_for_string=False),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )
    filters: dict[str, Callable[..., str]] = {
        "distance": lambda metres, units="metric": format_distance(metres, check_units(units)),
        "elevation": lambda metres, units="metric": format_elevation(metres, check_units(units)),
        "duration": format_duration,
        "ratio": _ratio,
        "day": _day,
        "week_of": week_of,
    }
    env.filters.update(filters)
    return env


def render_text(digest: Digest, unsubscribe_url: str | None = None) -> str:
    return environment().get_template("digest.txt.j2").render(digest=digest, unsubscribe_url=unsubscribe_url)


def render_html(digest: Digest, chart_src: str | None, unsubscribe_url: str | None = None) -> str:
    """The HTML body; `chart_src` is "cid:…" in an email, a data: URI in a preview, or None for no chart."""
    return (
        environment()
        .get_template("digest.html.j2")
        .render(
            digest=digest,
            chart_src=chart_src,
            chart_width=CHART_CSS_WIDTH,
            severity_colour=SEVERITY_COLOUR,
            unsubscribe_url=unsubscribe_url,
        )
    )


def preview_html(digest: Digest, chart_png: bytes | None) -> str:
    """Stand-alone HTML for a file: the chart inlined as a data: URI."""
    src = None if chart_png is None else "data:image/png;base64," + base64.b64encode(chart_png).decode("ascii")
    return render_html(digest, src)


def build_message(
    digest: Digest,
    *,
    sender: str,
    to: str,
    reply_to: str | None = None,
    chart_png: bytes | None = None,
    message_id: str | None = None,
    now: datetime | None = None,
    unsubscribe_url: str | None = None,
) -> EmailMessage:
    """multipart/alternative (text, then multipart/related HTML + inline PNG), with subject, From, To, Reply-To.

    With `unsubscribe_url`: List-Unsubscribe and List-Unsubscribe-Post (RFC 8058 one-click: the mail client POSTs
    to the URL) headers, and the same link visible at the end of both bodies.
    """
    # Lines up to RFC 5322's 998 characters: a List-Unsubscribe URL has no space to fold at, and the default
    # 78 would turn it into an encoded word that mail clients no longer recognise as a URL.
    message = EmailMessage(policy=email.policy.default.clone(max_line_length=998))
    message["Subject"] = digest.subject
    message["From"] = sender
    message["To"] = to
    if reply_to:
        message["Reply-To"] = reply_to
    if now is not None:
        message["Date"] = format_datetime(now)
    domain = _domain(sender)
    message["Message-ID"] = message_id or make_msgid("digest", domain=domain)
    if unsubscribe_url:
        message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(render_text(digest, unsubscribe_url))
    chart_src = f"cid:{CHART_CID}" if chart_png is not None else None
    message.add_alternative(render_html(digest, chart_src, unsubscribe_url), subtype="html")
    if chart_png is not None:
        html_part = list(message.iter_parts())[1]
        html_part.add_related(
            chart_png, "image", "png", cid=f"<{CHART_CID}>", disposition="inline", filename="load-trend.png"
        )
    return message


def _domain(address: str) -> str | None:
    try:
        message = EmailMessage()
        message["From"] = address
        addresses: tuple[Address, ...] = message["From"].addresses
        return addresses[0].domain or None if addresses else None
    except (ValueError, IndexError, TypeError):
        return None
