"""A fast path for GPX/TCX files in the shape devices and platforms write (issue 32): the point elements are read
by one regular expression over the bytes, and only the rest of the document (names, laps, types) goes through
ElementTree.

How it stays exactly as strict and as exact as the tree reader: each container of points (`<trkseg>`, `<Track>`)
is cut out of the document and must consist of nothing but whitespace and points in the grammar a reader's
pattern spells out (fixed child order, ASCII numbers and times, names with bound prefixes, no attributes beyond
the expected ones, no entities, comments or CDATA); the rest, the "skeleton", is parsed by ElementTree as usual.
Anything else — another encoding, a comment anywhere, a namespace declared below the root, a point the pattern
does not cover, a skeleton that does not parse, containers the tree counts differently, a time numpy will not
read — returns None, and the reader parses the whole document with the tree as before (so errors and their
wording come from the same place). The DTD refusal and the size caps run before either path.
"""

from __future__ import annotations

import contextlib
import functools
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from syncd.domain.model import FloatArray

WS = rb"[ \t\r\n]*+"  # possessive (and atomic names below): a point either matches or it does not
# An XML name with an optional prefix; the prefix is checked against the root's declarations.
# Where a point pattern allows a namespace prefix: `pattern_for` puts the prefixes the root declares there (so an
# unbound prefix is simply not in the grammar); as written, a regex comment, which allows none.
PREFIX = rb"(?#prefix)"
_ANY_PREFIX = rb"(?:[A-Za-z_][-.0-9A-Z_a-z]*+:)?"
NAME = rb"[A-Za-z_][-.0-9A-Z_a-z]*+"
# A number as float() reads it, ASCII only (no "inf", "nan", underscores: those take the tree path).
_NUMBER = rb"[-+]?+(?:\d++(?:\.\d*+)?+|\.\d++)(?:[eE][-+]?+\d++)?+"
# ISO 8601 UTC, years 1900-2199 (so microseconds since 1970 are exact in a float64, as in iso_seconds).
_TIME = rb"(?:19|20|21)\d\d-\d\d-\d\dT(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{1,6})?"
# Character data that is well-formed XML on its own in any ASCII-compatible encoding.
TEXT = rb"[^<&>\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\xff]"

_PROLOG = re.compile(
    rb"(?:\xef\xbb\xbf)?(?:<\?xml(?:[ \t\r\n]+(?:version|standalone)" + WS + rb"=" + WS + rb"(?:\"[^\"]*\"|'[^']*'))*"
    rb"(?:[ \t\r\n]+encoding" + WS + rb"=" + WS + rb"(?:\"(?i:utf-8|us-ascii)\"|'(?i:utf-8|us-ascii)'))?"
    rb"(?:[ \t\r\n]+(?:version|standalone)" + WS + rb"=" + WS + rb"(?:\"[^\"]*\"|'[^']*'))*" + WS + rb"\?>)?" + WS
)
_ROOT = re.compile(
    rb"<("
    + NAME
    + rb")((?:[ \t\r\n]+"
    + _ANY_PREFIX
    + NAME
    + WS
    + rb"="
    + WS
    + rb"(?:\"[^\"<]*\"|'[^'<]*'))*)"
    + WS
    + rb">"
)
# An attribute of the root start tag: the prefixes it declares are its `xmlns:NAME` attributes (not text that
# looks like one inside another attribute's value).
_ATTRIBUTE = re.compile(rb"[ \t\r\n]+(" + _ANY_PREFIX + NAME + rb")" + WS + rb"=" + WS + rb"(?:\"[^\"<]*\"|'[^'<]*')")


def number(group: str) -> bytes:
    """A number, with the whitespace around it, captured (without it) in `group`."""
    return WS + b"(?P<" + group.encode() + b">" + _NUMBER + b")" + WS


def time(group: str) -> bytes:
    """A UTC time, "Z" or naive (iso_seconds reads naive as UTC), captured without the "Z" in `group`."""
    return WS + b"(?P<" + group.encode() + b">" + _TIME + b")Z?" + WS


@dataclass(frozen=True)
class Shape:
    """What one reader's fast path reads: the container element, the point pattern, the words that must not
    be left in the skeleton (a point outside a container), the root element's name, and the attribute prefixes
    the point pattern allows (they must be declared on the root, like every element prefix)."""

    root: str
    container: bytes
    point: re.Pattern[bytes]
    forbidden: bytes
    attribute_prefixes: tuple[bytes, ...] = ()


@dataclass(frozen=True)
class Scanned:
    """The skeleton's tree and, per container element (by identity), the groups of each of its points."""

    root: ET.Element
    namespace: str
    points: dict[int, list[tuple[bytes, ...]]]


@functools.lru_cache(maxsize=64)
def pattern_for(pattern: bytes, declared: frozenset[bytes]) -> re.Pattern[bytes]:
    """A point pattern with its PREFIX places allowing exactly the prefixes the root declares (exporters use a
    handful of sets: compiled once per set and process)."""
    prefixes = b"|".join(re.escape(p) for p in sorted(declared))
    return re.compile(pattern.replace(PREFIX, b"(?:(?:" + prefixes + b"):)?" if prefixes else b""))


def point_pattern(body: bytes) -> re.Pattern[bytes]:
    """The findall pattern for a region: a point (after optional whitespace), or one other character, captured
    in the last group, so that anything in a container that is not a point shows up as a non-space junk."""
    return re.compile(WS + b"(?:" + body + rb")|([\s\S])")


def scan(data: bytes, shape: Shape) -> Scanned | None:
    """The document read by the fast path, or None when it is not in the shape the fast path fully understands."""
    prolog = _PROLOG.match(data)
    if prolog is None or b"<!" in data or b"<?" in data[prolog.end() :]:
        return None
    root_tag = _ROOT.match(data, prolog.end())
    if root_tag is None or root_tag.group(1) != shape.root.encode():
        return None
    declared = {name[6:] for name in _ATTRIBUTE.findall(root_tag.group(2)) if name.startswith(b"xmlns:")}
    hollowed = _hollow(data, shape.container)
    if hollowed is None or shape.forbidden in hollowed[0]:
        return None
    skeleton, regions = hollowed
    pattern = pattern_for(shape.point.pattern, frozenset(declared))
    points = []
    for region in regions:
        if any(p + b":" in region for p in shape.attribute_prefixes if p not in declared):
            return None  # an unbound prefix: expat refuses the document
        found = pattern.findall(region)
        if b"".join([row[-1] for row in found]).strip(b" \t\r\n"):
            return None  # something in the container that is not a point in the pattern's grammar
        points.append([row for row in found if not row[-1]])
    try:
        root = ET.fromstring(skeleton)
    except ET.ParseError:
        return None
    namespace = root.tag[: root.tag.index("}") + 1] if root.tag.startswith("{") else ""
    local = shape.container.decode()
    elements = list(root.iter(namespace + local))
    if len(elements) != len(regions) or any(len(element) for element in elements):
        return None
    # every element named like the container, in any namespace, is one that was hollowed (so the i-th region is
    # the i-th element: a <Track> under a redeclared default namespace, or a prefixed one, takes the tree path)
    if sum(1 for el in root.iter() if el.tag == local or el.tag.endswith("}" + local)) != len(regions):
        return None
    return Scanned(root, namespace, {id(el): found for el, found in zip(elements, points, strict=True)})


def columns(rows: Sequence[tuple[bytes, ...]]) -> list[tuple[bytes, ...]]:
    """The rows' groups as columns (one transpose in C instead of a pass per column)."""
    return list(zip(*rows, strict=True))


def either(first: Sequence[bytes], second: Sequence[bytes]) -> Sequence[bytes] | None:
    """Per point, the one of two groups that holds a value (a field read in two places of the pattern); None when
    a point has both, whose document order only the tree knows."""
    if not any(first):
        return second
    if not any(second):
        return first
    if any(a and b for a, b in zip(first, second, strict=True)):
        return None
    return [a or b for a, b in zip(first, second, strict=True)]


def floats(values: Sequence[bytes]) -> FloatArray:
    """float() of each value (as the tree readers call it on the text), NaN where the element was absent."""
    if b"" not in values:
        return np.array(list(map(float, values)), dtype=np.float64)
    nan = math.nan
    return np.array([float(v) if v else nan for v in values], dtype=np.float64)


def lenient_floats(values: Sequence[bytes]) -> FloatArray:
    """float() of each non-empty value, NaN where it is absent or float() refuses it (the GPX extension values)."""
    if b"" not in values:
        with contextlib.suppress(ValueError):
            return np.array(list(map(float, values)), dtype=np.float64)
    out = np.full(len(values), np.nan)
    for i, value in enumerate(values):
        if value:
            with contextlib.suppress(ValueError):
                out[i] = float(value)
    return out


def seconds(values: Sequence[bytes]) -> FloatArray | None:
    """Unix seconds of ISO times (as `xmlsafe.iso_seconds` computes them: microseconds / 1e6, both exact), or
    None when numpy refuses one (a day or month out of range): the caller then takes the tree path."""
    try:
        moments = np.array(values, dtype="datetime64[us]")
    except ValueError:
        return None
    return moments.astype(np.int64) / 1e6


def _hollow(data: bytes, tag: bytes) -> tuple[bytes, list[bytes]] | None:
    """The document with every `<tag>` container emptied, and the contents cut out (in document order)."""
    opening = re.compile(b"<" + tag + WS + b"(/?)>")
    closing = re.compile(b"</" + tag + WS + b">")
    pieces: list[bytes] = []
    regions: list[bytes] = []
    done = 0
    for start in opening.finditer(data):
        if start.start() < done:
            return None  # a container inside a container: not the shape
        if start.group(1):  # <trkseg/>
            regions.append(b"")
            continue
        end = closing.search(data, start.end())
        if end is None:
            return None
        pieces.append(data[done : start.end()])
        regions.append(data[start.end() : end.start()])
        done = end.start()
    if not regions:
        return None
    pieces.append(data[done:])
    return b"".join(pieces), regions
