"""The Atom feed (RFC 4287): one entry per annotated activity, newest first, built with ElementTree (escaping done
by the XML library, not by hand)."""

from __future__ import annotations

from datetime import UTC, datetime
from xml.etree import ElementTree as ET

from syncd.services.feed import CardView

ATOM = "http://www.w3.org/2005/Atom"


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
    if text is not None:
        element.text = text
    return element


def atom_feed(cards: list[CardView], *, base_url: str, title: str, feed_path: str) -> bytes:
    ET.register_namespace("", ATOM)
    base = base_url.rstrip("/")
    feed = ET.Element(f"{{{ATOM}}}feed")
    _sub(feed, "id", f"{base}{feed_path}")
    _sub(feed, "title", title)
    updated = max((c.row.annotated_at for c in cards if c.row.annotated_at), default=datetime(2000, 1, 1, tzinfo=UTC))
    _sub(feed, "updated", updated.isoformat())
    _sub(feed, "link", rel="self", href=f"{base}{feed_path}")
    _sub(feed, "link", rel="alternate", href=f"{base}/")
    author = _sub(feed, "author")
    _sub(author, "name", "syncd")
    _sub(feed, "generator", "syncd")
    for card in cards:
        entry = _sub(feed, "entry")
        _sub(entry, "id", f"{base}/activities/{card.id}")
        flags = ", ".join(f.title for f in card.flags) or "no flags"
        _sub(entry, "title", f"{card.title} ({card.when}): {flags}")
        _sub(entry, "updated", (card.row.annotated_at or card.row.start_utc).isoformat())
        _sub(entry, "published", card.row.start_utc.isoformat())
        _sub(entry, "link", rel="alternate", type="text/html", href=f"{base}/activities/{card.id}")
        for flag in card.flags:
            _sub(entry, "category", term=flag.code, label=flag.title)
        lines = [f"{card.sport}, {card.distance or '-'}, {card.duration or '-'}"]
        lines += [f"{f.title}: {f.evidence_line}" if f.evidence_line else f.title for f in card.flags]
        if card.note:
            lines += ["", card.note]
        _sub(entry, "content", "\n".join(lines), type="text")
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="unicode").encode()
