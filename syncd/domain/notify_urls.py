"""Apprise notification URLs as people type them: one list, or one string separated by commas, spaces or newlines.

Checked by shape only (`scheme://something`), so reading the config never imports Apprise; whether Apprise knows
the scheme is checked where it sends (`syncd notify test`, the first delivery). An error names the entry by its
position and never repeats it: these URLs carry tokens and passwords.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

_SHAPE = re.compile(r"^[a-z][a-z0-9+.-]{1,31}://\S+$", re.IGNORECASE)
_SEPARATORS = re.compile(r"[\s,]+")


class NotifyUrlError(ValueError):
    """A notify URL that cannot be used; str() names the entry by position and the fix, never the URL."""


def split_urls(value: object) -> list[str]:
    """The URLs in `value` (a string or a list of strings), each checked; NotifyUrlError on the first bad one."""
    if isinstance(value, str):
        parts: Iterable[object] = _SEPARATORS.split(value)
    elif isinstance(value, (list, tuple)):
        parts = [piece for item in value for piece in (_SEPARATORS.split(item) if isinstance(item, str) else [item])]
    else:
        raise NotifyUrlError(f"must be a list of Apprise URLs or one string; got a {type(value).__name__}")
    urls = [part for part in parts if part != ""]
    for position, url in enumerate(urls, start=1):
        if not isinstance(url, str) or not _SHAPE.match(url):
            raise NotifyUrlError(
                f"entry {position} is not an Apprise URL like ntfy://host/topic or tgram://bottoken/chatid"
            )
    return [str(url) for url in urls]


def log_secrets(url: str) -> list[str]:
    """What a log line must never show of the URL: user, password, query values and token-like pieces (a path
    segment of 8+ characters, a dotless "host" of 20+ such as a Telegram bot token); not a real host name, which
    would scrub every log line that names it."""
    parts = urlsplit(url)
    pieces = [parts.username, parts.password, *(p for p in parts.path.split("/") if len(p) >= 8)]
    host = parts.netloc.rpartition("@")[2]
    if len(host) >= 20 and "." not in host:  # "123456789:AAH…" is a bot token, not host:port
        pieces += [host, *host.split(":")]
    pieces += [pair.partition("=")[2] for pair in parts.query.split("&")]
    return [p for p in pieces if p and len(p) >= 6]


def scheme_of(url: str) -> str:
    """The URL's scheme (`ntfy`, `gotify`, `tgram`): safe to show, unlike the rest."""
    return urlsplit(url).scheme.lower() or "?"


def secret_parts(url: str) -> list[str]:
    """Every piece of the URL that may be a secret (user, password, host, path segments, query values), longest
    first, so a message from a library can be scrubbed of them."""
    parts = urlsplit(url)
    pieces = [parts.username, parts.password, parts.hostname, *parts.path.split("/"), url]
    pieces += [pair.partition("=")[2] for pair in parts.query.split("&")]
    return sorted({p for p in pieces if p and len(p) >= 3}, key=len, reverse=True)
