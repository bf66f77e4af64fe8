"""The Atom feed (RFC 4287): one entry per annotated activity, newest first, built with ElementTree (escaping done
by the XML library, not by hand).

Ids and links never come from the request (a `Host: evil.example` header must not end up in a feed reader): they
are built from `[web] base_url` when set; without it ids are tag: URIs (RFC 4151) naming this install, and links are
absolute only when the configured host:port is an address someone can open (else relative, resolved by the
reader against the feed's own URL). Each filtered feed is its own feed, so its id and self link carry its filters;
pages of one feed share its id and link to each other (RFC 5005).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlencode
from xml.etree import ElementTree as ET

from syncd.domain.digest import week_of_iso
from syncd.lru import Lru
from syncd.records import FeedCursor, FeedPage
from syncd.services.feed import CardView

ATOM = "http://www.w3.org/2005/Atom"
TAG_AUTHORITY = "syncd,2026"


@dataclass(frozen=True, slots=True)
class FeedAddress:
    """Where the feed lives: `link_base` prefixes links ("" = relative), `id_base` prefixes ids."""

    link_base: str
    id_base: str

    @classmethod
    def of(cls, base_url: str | None, host: str, port: int, install: str) -> FeedAddress:
        if base_url:
            base = base_url.rstrip("/")
            return cls(base, base)
        id_base = f"tag:{TAG_AUTHORITY}:{install}"
        if host in ("0.0.0.0", "::", "") or port == 0:  # a wildcard bind or a random port: nothing to link to
            return cls("", id_base)
        shown = f"[{host}]" if ":" in host else host
        return cls(f"http://{shown}:{port}", id_base)


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
    if text is not None:
        element.text = text
    return element


def with_query(path: str, query: dict[str, str]) -> str:
    """`path` with `query` in a canonical (sorted) order, so one filter always has one address."""
    return f"{path}?{urlencode(sorted(query.items()))}" if query else path


def _summary(card: CardView) -> str:
    """The flags of a run; for a cross-training or strength session, what it counts toward."""
    session = card.session
    if session is None:
        return ", ".join(f.title for f in card.flags) or "no flags"
    if session.count is None or session.target is None:
        return session.label.lower()
    return f"{session.label.lower()}, {session.count} of {session.target} in the week of {week_of_iso(session.week)}"


def atom_feed(
    cards: list[CardView],
    *,
    address: FeedAddress,
    title: str,
    filters: dict[str, str],
    page: FeedPage,
    before: FeedCursor | None = None,
) -> bytes:
    """The feed document; `filters` are the canonical filter parameters (no credentials, no page). A feed reader
    follows `next` by key (`?before=`: the same entries however many arrive above them, RFC 5005 paging)."""
    ET.register_namespace("", ATOM)
    links, ids = address.link_base, address.id_base
    feed_path = with_query("/feed.atom", filters)
    feed = ET.Element(f"{{{ATOM}}}feed")
    _sub(feed, "id", f"{ids}{feed_path}")
    _sub(feed, "title", title)
    updated = max((c.row.annotated_at for c in cards if c.row.annotated_at), default=datetime(2000, 1, 1, tzinfo=UTC))
    _sub(feed, "updated", updated.isoformat())

    def page_link(number: int) -> str:
        return links + with_query("/feed.atom", {**filters, **({"page": str(number)} if number > 1 else {})})

    def key_link(cursor: FeedCursor | None) -> str:
        return links + with_query("/feed.atom", {**filters, **({"before": str(cursor)} if cursor else {})})

    pages = page.pages
    self_link = page_link(page.page) if before is None else key_link(before)
    _sub(feed, "link", rel="self", type="application/atom+xml", href=self_link)
    _sub(feed, "link", rel="alternate", type="text/html", href=links + with_query("/", filters))
    if pages > 1:
        _sub(feed, "link", rel="first", href=page_link(1))
        _sub(feed, "link", rel="last", href=page_link(pages))
        if page.offset > 0:
            _sub(feed, "link", rel="previous", href=key_link(page.newer))
        if page.older is not None:
            _sub(feed, "link", rel="next", href=key_link(page.older))
    author = _sub(feed, "author")
    _sub(author, "name", "syncd")
    _sub(feed, "generator", "syncd")
    head = ET.tostring(feed, encoding="unicode").removesuffix("</feed>")
    entries = "".join(_entry_xml(card, links, ids) for card in cards)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + (head + entries + "</feed>").encode()


_ENTRY_START = f'<entry xmlns="{ATOM}">'
_ENTRIES: Lru[tuple[object, ...], str] = Lru(2048)


def _entry_xml(card: CardView, links: str, ids: str) -> str:
    """One entry's XML, serialised once per distinct card and address (serialising 50 entries was most of a feed
    request). Made alone, it declares the Atom namespace the feed around it already declares: that is dropped."""

    def build() -> str:
        entry = ET.Element(f"{{{ATOM}}}entry")
        _sub(entry, "id", f"{ids}/activities/{card.id}")
        _sub(entry, "title", f"{card.title} ({card.when}): {_summary(card)}")
        _sub(entry, "updated", (card.row.annotated_at or card.row.start_utc).isoformat())
        _sub(entry, "published", card.row.start_utc.isoformat())
        _sub(entry, "link", rel="alternate", type="text/html", href=f"{links}/activities/{card.id}")
        for flag in card.flags:
            _sub(entry, "category", term=flag.code, label=flag.title)
        lines = [f"{card.sport_label}, {card.distance or '-'}, {card.duration or '-'}"]
        if card.session is not None:
            lines.append(_summary(card))
        lines += [f"{f.title}: {f.evidence_line}" if f.evidence_line else f.title for f in card.flags]
        if card.note:
            lines += ["", card.note]
        _sub(entry, "content", "\n".join(lines), type="text")
        text = ET.tostring(entry, encoding="unicode")
        if not text.startswith(_ENTRY_START):
            raise RuntimeError("an Atom entry serialised without the default namespace")
        return "<entry>" + text.removeprefix(_ENTRY_START)

    return build() if card.key is None else _ENTRIES.get((card.key, links, ids), build)
